"""Transactions: idempotent starts and stops, meter samples, 2.0.1 events (services/transactions.py)."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import MeterSample, RemoteStart, Transaction, UnknownIdentifier
from autocharge.services import NotFound, chargers, transactions, users
from autocharge.services.transactions import Sample, TxEvent

T0 = datetime(2024, 5, 1, 10, 0)


@pytest.fixture
def charger(app) -> int:
    """Return the id of an accepted charger."""
    return chargers.add_charger("CP-1").id


@pytest.fixture
def driver(app) -> int:
    """Return the id of an active user with RFID tag TAG1."""
    user = users.add_user("Jane Doe", "jane@example.com")
    users.add_tag(user.id, "TAG1")
    return user.id


def at(minutes: int) -> datetime:
    """Return T0 plus `minutes`."""
    return T0 + timedelta(minutes=minutes)


def start(charger: int, tag: str = "TAG1", meter: int = 1000, stamp: str = "2024-05-01T10:00:00Z"):
    """Start a 1.6 transaction on connector 1."""
    key = transactions.dedupe_key_v16(1, tag, stamp)
    return transactions.start(charger, 1, key, tag, None, meter, T0)


def rows(model) -> list:
    """Return every row of a model, by id."""
    return list(db.session.scalars(sa.select(model).order_by(model.id)))


def test_dedupe_key_ignores_tag_case():
    assert transactions.dedupe_key_v16(1, "tag1", "2024-05-01T10:00:00Z") == "1|TAG1|2024-05-01T10:00:00Z"


def test_retried_start_is_the_same_transaction(charger, driver):
    first, again = start(charger), start(charger, tag="tag1")
    assert first == again and first.status == "Accepted"
    [tx] = rows(Transaction)
    assert (tx.id, tx.user_id, tx.origin, tx.meter_start) == (first.transaction_id, driver, "rfid", 1000)


def test_retried_start_with_an_unknown_tag_is_counted_once(charger):
    assert start(charger, tag="NOBODY").status == start(charger, tag="NOBODY").status == "Invalid"
    [unknown] = rows(UnknownIdentifier)
    assert (unknown.value, unknown.attempts) == ("NOBODY", 1)


def test_start_with_a_remote_start_token_is_app_and_marks_it_used(charger, driver):
    with writing() as session:
        remote = RemoteStart(
            charger_id=charger, user_id=driver, id_token="APPABCDEF012345", expires_at=utcnow() + timedelta(minutes=5)
        )
        session.add(remote)
    started = start(charger, tag="APPABCDEF012345")
    tx = db.session.get(Transaction, started.transaction_id)
    assert (started.status, tx.origin, tx.user_id) == ("Accepted", "app", driver)
    assert db.session.get(RemoteStart, remote.id).transaction_id == tx.id


def test_stop_twice_counts_energy_once(charger, driver):
    tx_id = start(charger).transaction_id
    readings = [Sample(at(30), energy_wh=3000), Sample(at(60), energy_wh=5000)]
    assert transactions.stop(charger, tx_id, 5000, at(60), "Local", "TAG1", readings) == "Accepted"
    assert transactions.stop(charger, tx_id, 5000, at(60), "Local", "TAG1", readings) == "Accepted"
    db.session.expire_all()
    [tx] = rows(Transaction)
    assert (tx.status, tx.energy_wh, tx.meter_stop, tx.stop_time) == ("completed", 4000, 5000, at(60))
    assert [s.energy_wh for s in rows(MeterSample)] == [3000, 5000]


@pytest.mark.parametrize("tx_id", [999, 0, -1, 2**40])
def test_stop_of_an_unknown_transaction_says_nothing(charger, tx_id):
    assert transactions.stop(charger, tx_id, 5000, at(60), "Local", "TAG1") is None


def test_stop_of_another_chargers_transaction_is_unknown(charger, driver):
    tx_id = start(charger).transaction_id
    other = chargers.add_charger("CP-2").id
    assert transactions.stop(other, tx_id, 5000, at(60), "Local") is None
    assert db.session.get(Transaction, tx_id).status == "active"


def test_samples_by_id_or_by_the_connectors_active_transaction(charger, driver):
    tx_id = start(charger).transaction_id
    assert transactions.add_samples(charger, tx_id, [Sample(at(1), energy_wh=1500, power_w=7000)])
    assert transactions.add_samples(charger, None, [Sample(at(2), energy_wh=1800)], connector_id=1)
    assert not transactions.add_samples(charger, None, [Sample(at(3), energy_wh=1900)], connector_id=2)
    assert not transactions.add_samples(charger, 12345, [Sample(at(4), energy_wh=1900)])
    assert transactions.add_samples(charger, tx_id, [Sample(at(2), energy_wh=1800)])  # a retry: ignored
    assert transactions.add_samples(charger, tx_id, [Sample(at(0), energy_wh=1200)])  # late, older reading
    samples = db.session.scalars(
        sa.select(MeterSample).where(MeterSample.transaction_id == tx_id).order_by(MeterSample.timestamp)
    )
    assert [(s.energy_wh, s.power_w) for s in samples] == [
        (1200, None),
        (1500, 7000),
        (1800, None),
    ]
    db.session.expire_all()
    assert db.session.get(Transaction, tx_id).energy_wh == 800


def test_event_sequence_with_the_token_arriving_later(charger, driver):
    tx = "TX-201"
    assert (
        transactions.transaction_event(
            charger, TxEvent("Started", tx, at(0), 1, samples=(Sample(at(0), energy_wh=100),))
        )
        is None
    )
    assert transactions.transaction_event(charger, TxEvent("Updated", tx, at(1), 1, "TAG1", "ISO14443")) == "Accepted"
    # A different token later (e.g. the card that stopped it) is answered but does not take the session over.
    assert transactions.transaction_event(charger, TxEvent("Updated", tx, at(2), 1, "NOBODY", "ISO14443")) == "Invalid"
    ended = TxEvent("Ended", tx, at(30), 1, samples=(Sample(at(30), energy_wh=2100),), stop_reason="EVDisconnected")
    transactions.transaction_event(charger, ended)
    transactions.transaction_event(charger, ended)
    [row] = rows(Transaction)
    assert (row.ocpp_tx_id, row.user_id, row.origin, row.id_token, row.status) == (
        tx,
        driver,
        "rfid",
        "TAG1",
        "completed",
    )
    assert (row.meter_start, row.meter_stop, row.energy_wh, row.stop_reason) == (100, 2100, 2000, "EVDisconnected")
    assert [s.energy_wh for s in rows(MeterSample)] == [100, 2100]


def test_get_and_the_stop_of_one_of_two(charger, driver):
    first = start(charger).transaction_id
    second = start(charger, stamp="2024-05-01T11:00:00Z").transaction_id
    transactions.stop(charger, first, 2000, at(10), "Local")
    assert transactions.get(first).status == "completed"
    assert transactions.get(second).status == "active"
    newest_first = sa.select(Transaction.id).where(Transaction.charger_id == charger, Transaction.user_id == driver)
    # Both started at T0: the id breaks the tie, as the Transactions table does (PostgreSQL gives ties in any order).
    newest_first = newest_first.order_by(Transaction.start_time.desc(), Transaction.id.desc())
    assert db.session.scalars(newest_first).all() == [second, first]
    with pytest.raises(NotFound):
        transactions.get(4242)


def remote_start_row(charger: int, driver: int, expires_in: timedelta = timedelta(minutes=5)) -> int:
    """Store the RemoteStart commands.remote_start makes; return its id (the 2.0.1 remoteStartId)."""
    with writing() as session:
        remote = RemoteStart(
            charger_id=charger, user_id=driver, id_token="APPABCDEF012345", expires_at=utcnow() + expires_in
        )
        session.add(remote)
    return remote.id


@pytest.mark.parametrize(("token", "token_type"), [(None, None), ("", "NoAuthorization"), ("TAG9", "ISO14443")])
def test_event_naming_a_remote_start_is_app_whatever_token_it_carries(charger, driver, token, token_type):
    remote_id = remote_start_row(charger, driver, expires_in=timedelta(minutes=-30))
    event = TxEvent("Started", "TX-R", at(0), 1, token, token_type, (Sample(at(0), energy_wh=0),), None, remote_id)
    transactions.transaction_event(charger, event)
    [row] = rows(Transaction)
    assert (row.user_id, row.origin, row.auth_status) == (driver, "app", "Accepted")
    assert db.session.get(RemoteStart, remote_id).transaction_id == row.id


def test_remote_start_id_names_the_start_of_this_charger_only(charger, driver):
    other = chargers.add_charger("CP-2").id
    remote_id = remote_start_row(other, driver)
    assert transactions.authorization.remote_start_owner(charger, remote_id) is None
    assert transactions.authorization.remote_start_owner(other, remote_id).user_id == driver
    assert transactions.authorization.remote_start_owner(other, 2**40) is None


def begin_and_end(start: float, stop: float, minutes: int = 30) -> tuple[Sample, ...]:
    """Return the readings an Ended event carries: the register at the start and at the end."""
    return (Sample(at(0), energy_wh=start, context="Transaction.Begin"), Sample(at(minutes), energy_wh=stop))


def test_start_register_from_the_ended_event_replaces_the_first_reading(charger):
    transactions.transaction_event(charger, TxEvent("Started", "TX-B", at(0), 1))
    transactions.transaction_event(charger, TxEvent("Updated", "TX-B", at(5), 1, samples=(Sample(at(5), 148.55),)))
    [row] = rows(Transaction)
    assert (row.meter_start, row.energy_wh, row.counted_from) == (149, 0, at(5))
    ended = TxEvent("Ended", "TX-B", at(30), 1, samples=begin_and_end(0, 604.55))
    transactions.transaction_event(charger, ended)
    transactions.transaction_event(charger, ended)  # a retry changes nothing
    db.session.expire_all()
    [row] = rows(Transaction)
    assert (row.meter_start, row.meter_stop, row.energy_wh, row.counted_from) == (0, 605, 605, None)


def test_transaction_first_heard_of_in_its_ended_event_counts_from_its_first_reading(charger):
    samples = (Sample(at(10), energy_wh=2000), Sample(at(30), energy_wh=2600))
    transactions.transaction_event(charger, TxEvent("Ended", "TX-L", at(30), 1, samples=samples))
    [row] = rows(Transaction)
    assert (row.meter_start, row.energy_wh, row.counted_from, row.status) == (2000, 600, at(10), "completed")
