"""Sessions the charger never ended: closed after a reboot's grace period, or ended by hand (services/session_ends.py)."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import AuditEvent, Charger, Transaction
from autocharge.services import NotFound, ServiceError, admins, charger_state, chargers, session_ends, transactions
from autocharge.services.transactions import Sample, TxEvent

GRACE = 90
T0 = datetime(2024, 5, 1, 10, 0)


@pytest.fixture
def charger(app) -> int:
    """Return the id of an accepted charger."""
    return chargers.add_charger("CP-1").id


def start(charger: int, connector: int = 1, stamp: str = "2024-05-01T10:00:00Z") -> int:
    """Start a 1.6 transaction (meter at 1000 Wh) and raise its energy to 2500 Wh; return its id."""
    key = transactions.dedupe_key_v16(connector, "TAG1", stamp)
    tx_id = transactions.start(charger, connector, key, "TAG1", None, 1000, T0).transaction_id
    transactions.add_samples(charger, tx_id, [Sample(T0 + timedelta(minutes=10), energy_wh=3500)])
    return tx_id


def rebooted(charger: int, seconds_ago: float, heard_ago: float | None = None) -> None:
    """Record a boot `seconds_ago`, and make every session of the charger last heard of `heard_ago` (before it)."""
    charger_state.boot(charger, "Acme", "Box")
    now = utcnow()
    with writing() as session:
        session.execute(
            sa.update(Charger).where(Charger.id == charger).values(last_boot=now - timedelta(seconds=seconds_ago))
        )
        heard = now - timedelta(seconds=heard_ago if heard_ago is not None else seconds_ago + 60)
        session.execute(sa.update(Transaction).where(Transaction.charger_id == charger).values(updated_at=heard))


def tx(tx_id: int) -> Transaction:
    """Return the transaction as stored now."""
    db.session.expire_all()
    return db.session.get(Transaction, tx_id)


def events(action: str) -> list[AuditEvent]:
    """Return the audit events of an action, oldest first."""
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_session_not_reported_within_the_grace_period_is_closed_as_rebooted(charger):
    tx_id = start(charger)
    rebooted(charger, GRACE + 5)
    heard = tx(tx_id).updated_at
    assert session_ends.close_after_reboot(GRACE) == [tx_id]
    closed = tx(tx_id)
    assert (closed.status, closed.stop_reason, closed.stop_reason_label) == (
        "completed",
        "ChargerRebooted",
        "Charger rebooted",
    )
    assert (closed.meter_start, closed.energy_wh, closed.meter_stop) == (1000, 2500, 3500)  # as last metered
    assert closed.stop_time == heard  # when it was last heard of
    [event] = events("transaction.closed_after_reboot")
    assert (event.actor, event.subject_type, event.subject_id, event.admin_id) == ("system", "transaction", tx_id, None)
    assert "2500 Wh" in event.detail


def test_closing_is_idempotent(charger):
    tx_id = start(charger)
    rebooted(charger, GRACE + 5)
    assert session_ends.close_after_reboot(GRACE) == [tx_id]
    assert session_ends.close_after_reboot(GRACE) == []
    assert len(events("transaction.closed_after_reboot")) == 1


def test_nothing_is_closed_during_the_grace_period(charger):
    tx_id = start(charger)
    rebooted(charger, GRACE - 10)
    assert session_ends.close_after_reboot(GRACE) == []
    assert tx(tx_id).status == "active"


def test_a_queued_stop_transaction_after_the_boot_wins(charger):
    tx_id = start(charger)
    rebooted(charger, GRACE + 5)
    transactions.stop(charger, tx_id, 4000, T0 + timedelta(minutes=20), "PowerLoss")  # sent right after the boot
    assert session_ends.close_after_reboot(GRACE) == []
    stopped = tx(tx_id)
    assert (stopped.stop_reason, stopped.energy_wh, stopped.meter_stop) == ("PowerLoss", 3000, 4000)
    assert events("transaction.closed_after_reboot") == []


def test_a_queued_2_0_1_ended_event_after_the_boot_wins(charger):
    started = TxEvent("Started", "tx-201", T0, 1, "TAG1", "ISO14443", (Sample(T0, energy_wh=100),))
    transactions.transaction_event(charger, started)
    tx_id = db.session.scalar(sa.select(Transaction.id))
    rebooted(charger, GRACE + 5)
    end = T0 + timedelta(minutes=5)
    transactions.transaction_event(
        charger, TxEvent("Ended", "tx-201", end, samples=(Sample(end, energy_wh=900),), stop_reason="PowerLoss")
    )
    assert session_ends.close_after_reboot(GRACE) == []
    assert (tx(tx_id).stop_reason, tx(tx_id).energy_wh) == ("PowerLoss", 800)


def test_a_2_0_1_session_not_reported_is_closed(charger):
    started = TxEvent("Started", "tx-201", T0, 1, "TAG1", "ISO14443", (Sample(T0, energy_wh=100),))
    transactions.transaction_event(charger, started)
    transactions.transaction_event(charger, TxEvent("Updated", "tx-201", T0, samples=(Sample(T0, energy_wh=700),)))
    tx_id = db.session.scalar(sa.select(Transaction.id))
    rebooted(charger, GRACE + 5)
    assert session_ends.close_after_reboot(GRACE) == [tx_id]
    assert (tx(tx_id).stop_reason, tx(tx_id).energy_wh, tx(tx_id).meter_stop) == ("ChargerRebooted", 600, 700)


def test_meter_values_after_the_boot_keep_the_session_open(charger):
    tx_id = start(charger)
    rebooted(charger, GRACE + 5)
    transactions.add_samples(charger, tx_id, [Sample(T0 + timedelta(minutes=30), energy_wh=4000)])
    assert session_ends.close_after_reboot(GRACE) == []
    assert tx(tx_id).status == "active"


def test_a_connector_still_charging_after_the_boot_keeps_its_session_until_a_newer_one_starts(charger):
    tx_id = start(charger)
    rebooted(charger, GRACE + 5)
    charger_state.connector_status(charger, 1, "Charging")
    assert session_ends.close_after_reboot(GRACE) == []
    newer = start(charger, stamp="2024-05-01T12:00:00Z")  # the charger began a new session on that connector
    assert session_ends.close_after_reboot(GRACE) == [tx_id]
    assert tx(newer).status == "active"


def test_a_charger_that_never_booted_or_a_disabled_grace_closes_nothing(charger):
    tx_id = start(charger)
    with writing() as session:
        session.execute(sa.update(Transaction).values(updated_at=utcnow() - timedelta(days=1)))
    assert session_ends.close_after_reboot(GRACE) == []
    rebooted(charger, GRACE + 5)
    assert session_ends.close_after_reboot(0) == []
    assert tx(tx_id).status == "active"


@pytest.fixture
def operator(app) -> int:
    """Return the id of an operator admin."""
    return admins.create_admin("ops@example.com", "correct horse battery", role="operator").id


def test_end_by_hand_keeps_the_energy_and_records_who_and_why(charger, operator):
    tx_id = start(charger)
    before = utcnow()
    session_ends.end_by_hand(tx_id, operator, "  Simulator died\n mid-charge ")
    ended = tx(tx_id)
    assert (ended.status, ended.stop_reason, ended.energy_wh, ended.meter_stop) == (
        "completed",
        "EndedByHand",
        2500,
        3500,
    )
    assert before <= ended.stop_time <= utcnow()
    [event] = events("transaction.ended_by_hand")
    assert (event.admin_id, event.actor, event.subject_id) == (operator, "admin", tx_id)
    assert "Reason: Simulator died mid-charge." in event.detail and "offline" in event.detail
    assert session_ends.hand_end_event(tx_id).id == event.id


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_end_by_hand_needs_a_reason(charger, operator, reason):
    tx_id = start(charger)
    with pytest.raises(ServiceError, match="reason"):
        session_ends.end_by_hand(tx_id, operator, reason)
    assert tx(tx_id).status == "active"


def test_end_by_hand_refuses_an_ended_or_unknown_session(charger, operator):
    tx_id = start(charger)
    transactions.stop(charger, tx_id, 4000, T0 + timedelta(minutes=20), "Local")
    with pytest.raises(session_ends.AlreadyEnded, match="already ended"):
        session_ends.end_by_hand(tx_id, operator, "stuck")
    with pytest.raises(NotFound):
        session_ends.end_by_hand(tx_id + 1000, operator, "stuck")
    assert tx(tx_id).stop_reason == "Local" and events("transaction.ended_by_hand") == []
