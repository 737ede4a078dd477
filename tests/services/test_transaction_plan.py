"""What a 2.0.1 TransactionEvent does to its transaction, planned without a database (services/transaction_plan.py)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from autocharge.services.transaction_plan import (
    End,
    Meter,
    Sample,
    TxEvent,
    asks_for_samples,
    plan_event,
)

T0 = datetime(2024, 5, 1, 10, 0)
CHARGER = 7


def at(minutes: int) -> datetime:
    """Return T0 plus `minutes`."""
    return T0 + timedelta(minutes=minutes)


def begin(wh: float, minute: int = 0) -> Sample:
    """Return a start reading (Transaction.Begin)."""
    return Sample(at(minute), energy_wh=wh, context="Transaction.Begin")


def reading(wh: float, minute: int) -> Sample:
    """Return a periodic reading."""
    return Sample(at(minute), energy_wh=wh, context="Sample.Periodic")


@dataclass(frozen=True)
class Row:
    """A stored transaction as hotpath.transactions.ROW reads it."""

    id: int = 41
    status: str = "active"
    meter_start: int = 1000
    energy_wh: int = 0
    id_token: str | None = None
    auth_status: str | None = None
    origin: str | None = None
    counted_from: datetime | None = None


@dataclass(frozen=True)
class Owner:
    """Whom authorization says the transaction belongs to."""

    status: str = "Accepted"
    user_id: int | None = 3
    vehicle_id: int | None = None
    origin: str | None = "rfid"
    remote_start_id: int | None = None


def event(kind: str, minute: int = 0, *samples: Sample, **fields) -> TxEvent:
    """Return an event of transaction TX-1."""
    return TxEvent(kind, "TX-1", at(minute), samples=samples, **fields)


# A transaction first heard of: (event, the row's meter columns, its end columns).
NEW = [
    pytest.param(event("Started", 0, begin(1000)), (1000, None, 0), None, id="started-with-begin"),
    pytest.param(event("Started", 0), (0, None, 0), None, id="started-without-reading-waits"),
    pytest.param(event("Started", 0, reading(500, 0)), (500, None, 0), None, id="started-reading-is-the-start"),
    pytest.param(
        event("Updated", 5, reading(500, 5), reading(800, 6)),
        (500, at(5), 300),
        None,
        id="started-lost-counts-from-first-reading",
    ),
    pytest.param(
        event("Ended", 30, begin(100, 0), reading(604.55, 30), stop_reason="EVDisconnected"),
        (100, None, 505),
        ("completed", at(30), 605, "EVDisconnected"),
        id="first-heard-in-ended",
    ),
    pytest.param(
        event("Ended", 30), (0, None, 0), ("completed", at(30), 0, "Local"), id="ended-without-anything-says-local"
    ),
]


@pytest.mark.parametrize(("tx_event", "meter", "end"), NEW)
def test_a_new_transaction_is_one_insert_with_all_it_knows(tx_event, meter, end):
    plan = plan_event(CHARGER, tx_event, None, None)
    columns = plan.insert
    assert (columns["meter_start"], columns["counted_from"], columns["energy_wh"]) == meter
    ended = ("status", "stop_time", "meter_stop", "stop_reason")
    assert (tuple(columns[k] for k in ended) if end else tuple(k for k in ended if k in columns)) == (end or ())
    assert (columns["charger_id"], columns["dedupe_key"], columns["ocpp_tx_id"]) == (CHARGER, "TX-1", "TX-1")
    assert (plan.owner, plan.meter, plan.end, plan.was_active) == (None, None, None, True)
    assert plan.samples == tx_event.samples


@pytest.mark.parametrize(
    ("evse_id", "connector_id", "stored"),
    [(2, 3, (2, 3)), (2, None, (2, 1)), (None, None, (1, 1))],
    ids=["both-sent", "no-connector-id", "no-evse-sent"],
)
def test_a_new_transaction_keeps_its_evse_and_connector_apart(evse_id, connector_id, stored):
    plan = plan_event(CHARGER, event("Started", 0, evse_id=evse_id, connector_id=connector_id), None, None)
    assert (plan.insert["evse_id"], plan.insert["connector_id"]) == stored


def test_a_new_transaction_takes_its_owner_in_the_insert():
    owner = Owner(origin="app", remote_start_id=9)
    plan = plan_event(CHARGER, event("Started", 0, token="APP1", token_type="Central"), None, owner)
    assert {k: plan.insert[k] for k in ("id_token", "id_token_type", "auth_status", "user_id", "origin")} == {
        "id_token": "APP1",
        "id_token_type": "Central",
        "auth_status": "Accepted",
        "user_id": 3,
        "origin": "app",
    }
    assert plan.link_remote_start == 9


# A stored running transaction: (stored row, event, has_reading, the Meter written or None).
METER = [
    pytest.param(Row(energy_wh=500), event("Updated", 5, reading(1800, 5)), False, Meter(1000, 800, None), id="raise"),
    pytest.param(Row(energy_wh=900), event("Updated", 5, reading(1800, 5)), False, None, id="never-lower"),
    pytest.param(Row(energy_wh=500), event("Updated", 5), False, None, id="no-reading-nothing"),
    pytest.param(
        Row(meter_start=0, energy_wh=0),
        event("Updated", 5, reading(148.55, 5)),
        False,
        Meter(149, 0, at(5)),
        id="first-reading-is-the-start-and-says-so",
    ),
    pytest.param(
        Row(meter_start=0, energy_wh=0),
        event("Updated", 5, reading(148.55, 5)),
        True,
        Meter(0, 149, None),
        id="register-was-really-zero",
    ),
    pytest.param(
        Row(meter_start=149, energy_wh=300, counted_from=at(5)),
        event("Updated", 20, begin(0, 0), reading(604.55, 20)),
        False,
        Meter(0, 605, None),
        id="late-begin-replaces-the-first-reading",
    ),
    pytest.param(
        Row(meter_start=1000, energy_wh=200), event("Updated", 9, begin(1000)), False, None, id="same-begin-again"
    ),
]


@pytest.mark.parametrize(("stored", "tx_event", "has_reading", "meter"), METER)
def test_a_running_transaction_gets_its_start_and_energy(stored, tx_event, has_reading, meter):
    plan = plan_event(CHARGER, tx_event, stored, None, has_reading)
    assert (plan.insert, plan.meter, plan.end, plan.was_active) == (None, meter, None, True)


@pytest.mark.parametrize(
    ("stored", "tx_event", "asks"),
    [
        (Row(meter_start=0, energy_wh=0), event("Updated", 5, reading(10, 5)), True),
        (Row(meter_start=0, energy_wh=0), event("Updated", 5, begin(0)), False),  # the start is in the event
        (Row(meter_start=0, energy_wh=0), event("Updated", 5), False),  # nothing to count from
        (Row(meter_start=0, energy_wh=0, counted_from=at(1)), event("Updated", 5, reading(10, 5)), False),
        (Row(meter_start=10, energy_wh=0), event("Updated", 5, reading(10, 5)), False),
        (None, event("Started", 0, reading(10, 0)), False),
    ],
)
def test_only_an_ambiguous_start_asks_for_the_stored_readings(stored, tx_event, asks):
    assert asks_for_samples(tx_event, stored) is asks


END = [
    pytest.param(Row(energy_wh=500), event("Ended", 30, reading(4000, 30)), End(at(30), 4000, 3000, "Local"), None),
    pytest.param(Row(energy_wh=500), event("Ended", 30), End(at(30), 1500, 500, "Local"), None, id="no-reading"),
    pytest.param(
        Row(meter_start=149, energy_wh=300, counted_from=at(5)),
        event("Ended", 30, begin(0, 0), reading(604.55, 30), stop_reason="EVDisconnected"),
        End(at(30), 605, 605, "EVDisconnected"),
        Meter(0, 605, None),
        id="begin-only-in-ended",
    ),
    pytest.param(
        Row(), event("Ended", 30, stop_reason="X" * 50), End(at(30), 1000, 0, "X" * 40), None, id="reason-cut"
    ),
]


@pytest.mark.parametrize(("stored", "tx_event", "end", "meter"), END)
def test_an_ended_event_completes_a_running_transaction(stored, tx_event, end, meter):
    plan = plan_event(CHARGER, tx_event, stored, None)
    assert (plan.end, plan.meter, plan.was_active) == (end, meter, True)


def test_a_retried_ended_event_changes_nothing_on_a_completed_transaction():
    stored = Row(status="completed", energy_wh=3000)
    plan = plan_event(CHARGER, event("Ended", 30, reading(4000, 30)), stored, None)
    assert (plan.end, plan.meter, plan.was_active) == (None, None, False)
    assert plan.samples == (reading(4000, 30),)  # retried readings are skipped by the insert, not here


# Ownership of a stored transaction: (stored row, event token, owner given, taken).
OWNERS = [
    pytest.param(Row(), None, Owner(), True, id="unowned-takes-the-first"),
    pytest.param(Row(id_token="TAG1", auth_status="Accepted"), "TAG2", Owner(), False, id="owned-once"),
    pytest.param(Row(auth_status="Accepted", origin="app"), "CARD", Owner(), False, id="remote-start-keeps-it"),
    pytest.param(Row(auth_status="Invalid", origin=None), "CARD", Owner(), True, id="refused-then-a-card"),
    pytest.param(Row(auth_status="Invalid"), None, Owner(), False, id="refused-no-token"),
    pytest.param(Row(), "TAG1", None, False, id="nobody-to-own-it"),
]


@pytest.mark.parametrize(("stored", "token", "owner", "taken"), OWNERS)
def test_a_stored_transaction_is_owned_once(stored, token, owner, taken):
    plan = plan_event(CHARGER, event("Updated", 3, token=token, token_type="ISO14443"), stored, owner)
    assert (plan.owner is not None) is taken
    if taken:
        assert (plan.owner["id_token"], plan.owner["user_id"]) == (token, 3)


def test_a_remote_start_owner_is_linked():
    plan = plan_event(CHARGER, event("Updated", 1), Row(), Owner(origin="app", remote_start_id=5))
    assert (plan.owner["origin"], plan.link_remote_start) == ("app", 5)
