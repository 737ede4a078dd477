"""Ending sessions the charger never ended: closed after a reboot, or ended by hand by an operator.

A charger that reboots mid-session loses it, but usually sends the queued StopTransaction (1.6) or
TransactionEvent(Ended) (2.0.1) right after its BootNotification, and those win. So nothing is closed at the boot:
close_after_reboot(), run periodically by every server process, closes a session only once the grace period after
its charger's last boot has passed with no word about it (its updated_at, which every message for it moves, is
still before the boot), unless the charger reports the connector still charging and nothing newer started on it.
Each close is one guarded UPDATE, so on PostgreSQL the processes racing for the same row close it once, and a
StopTransaction landing in between wins. Energy is kept as last metered in both cases. A stop that arrives after
all (a charger that came back late, or queued it longer than the grace period) still has the last word:
correct_after_reboot() puts the charger's stop time, meter stop, energy and reason on the closed session, once.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..db import utcnow, writing
from ..extensions import db
from ..models import AuditEvent, Charger, Connector, Transaction
from ..models.statuses import Actor, ConnectorStatus, EndReason, TransactionStatus
from . import NotFound, ServiceError, audit

# The stop reasons written here (models/transaction.py STOP_REASONS says them in words).
REBOOTED = EndReason.CHARGER_REBOOTED
BY_HAND = EndReason.ENDED_BY_HAND
REASON_MAX = 500
BATCH = 200  # sessions closed per sweep at most; the next sweep takes the rest
# 1.6 statuses of a connector whose session runs: reported after the boot, the charger still knows its session.
RUNNING = (ConnectorStatus.CHARGING, ConnectorStatus.SUSPENDED_EV, ConnectorStatus.SUSPENDED_EVSE)


class AlreadyEnded(ServiceError):
    """The session was already completed (by the charger, a reboot or another operator)."""


def _ended_values(stop_time) -> dict:
    """Return the columns of a session ended here: completed, with its energy as last metered."""
    return {
        "status": TransactionStatus.COMPLETED,
        "stop_time": stop_time,
        "meter_stop": Transaction.meter_start + Transaction.energy_wh,
    }


def end_by_hand(tx_id: int, admin_id: int, reason: str) -> Transaction:
    """End a session now, keeping its energy as last metered, audited with the reason.

    Raises ServiceError (no reason), NotFound, AlreadyEnded.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError(
            "Say why the session is ended by hand (the reason is kept in the audit trail).", field="reason"
        )
    if len(reason) > REASON_MAX:
        raise ServiceError(f"The reason is too long ({len(reason)} characters; at most {REASON_MAX}).", field="reason")
    with writing() as session:
        tx = session.get(Transaction, tx_id)
        if tx is None:
            raise NotFound(f"Transaction {tx_id} does not exist.")
        ended = session.execute(
            sa.update(Transaction)
            .where(Transaction.id == tx_id, Transaction.status == TransactionStatus.ACTIVE)
            .values(**_ended_values(utcnow()), stop_reason=BY_HAND)
            .execution_options(synchronize_session=False)
        )
        if not ended.rowcount:
            raise AlreadyEnded(f"Transaction {tx_id} has already ended; there is nothing to end.")
        online = "online" if tx.charger.online else "offline"
        detail = f"Reason: {reason}. Energy kept at {tx.energy_wh} Wh; the charger was {online}."
        audit.record("transaction.ended_by_hand", "transaction", tx_id, admin_id=admin_id, detail=detail)
    session.refresh(tx)
    return tx


def hand_end_event(tx_id: int) -> AuditEvent | None:
    """Return the audit event of a session ended by hand (who, when, why), or None."""
    query = (
        sa.select(AuditEvent)
        .where(
            AuditEvent.subject_type == "transaction",
            AuditEvent.subject_id == tx_id,
            AuditEvent.action == "transaction.ended_by_hand",
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def _stale_after_reboot(booted_before: datetime) -> sa.Select:
    """Return the SELECT of open sessions whose charger booted before `booted_before` and never spoke of them since."""
    newer = aliased(Transaction)
    still_running = (
        sa.select(Connector.id)
        .where(
            Connector.charger_id == Transaction.charger_id,
            Connector.evse_id.is_not_distinct_from(Transaction.evse_id),  # both NULL for 1.6
            Connector.connector_id == Transaction.connector_id,
            Connector.status.in_(RUNNING),
            Connector.updated_at >= Charger.last_boot,
        )
        .exists()
    )
    superseded = (
        sa.select(newer.id)
        .where(
            newer.charger_id == Transaction.charger_id,
            newer.evse_id.is_not_distinct_from(Transaction.evse_id),
            newer.connector_id == Transaction.connector_id,
            newer.id > Transaction.id,
        )
        .exists()
    )
    return (
        sa.select(Transaction.id, Transaction.updated_at, Transaction.start_time, Charger.last_boot)
        .join(Charger, Charger.id == Transaction.charger_id)
        .where(
            Transaction.status == TransactionStatus.ACTIVE,
            Charger.last_boot < booted_before,
            Transaction.updated_at < Charger.last_boot,  # any message about it since the boot moved updated_at
            sa.or_(~still_running, superseded),
        )
        .order_by(Transaction.id)
        .limit(BATCH)
    )


def close_after_reboot(grace_seconds: float) -> list[int]:
    """Close the sessions left open by chargers that booted over `grace_seconds` ago; return their ids."""
    if grace_seconds <= 0:
        return []
    rows = db.session.execute(_stale_after_reboot(utcnow() - timedelta(seconds=grace_seconds))).all()
    db.session.rollback()  # end the read before writing (SQLite: no read transaction held across the write lock)
    closed = []
    for row in rows:
        # Stopped when it was last heard of (never before it started): the reboot happened some time after that.
        stop_time = max(row.updated_at, row.start_time)
        with writing() as session:
            done = session.execute(
                sa.update(Transaction)
                .where(
                    Transaction.id == row.id,
                    Transaction.status == TransactionStatus.ACTIVE,
                    Transaction.updated_at == row.updated_at,  # a message arriving meanwhile wins
                )
                .values(**_ended_values(stop_time), stop_reason=REBOOTED)
                .returning(Transaction.energy_wh)
                .execution_options(synchronize_session=False)
            ).first()
            if done is not None:
                detail = (
                    f"The charger booted at {row.last_boot:%Y-%m-%d %H:%M:%S} UTC and did not report the session "
                    f"within {grace_seconds:g} s; energy kept at {done.energy_wh} Wh."
                )
                audit.record(
                    "transaction.closed_after_reboot", "transaction", row.id, actor=Actor.SYSTEM, detail=detail
                )
                closed.append(row.id)
    return closed


def correct_after_reboot(
    charger_id: int, tx_id: int, stop_time: datetime, meter_stop: int | None, reason: str | None
) -> bool:
    """Give a session closed as rebooted the stop its charger reported after all; tell whether it was corrected.

    Once: the guarded UPDATE matches only while the reason is still REBOOTED, so a retried stop (or a second
    process) changes nothing. Without a meter stop (a 2.0.1 Ended event with no reading) the energy stays as metered.
    """
    values = {"stop_time": stop_time, "stop_reason": (reason or "Local")[:40]}
    if meter_stop is not None:
        energy = sa.case((Transaction.meter_start < meter_stop, meter_stop - Transaction.meter_start), else_=0)
        values |= {"meter_stop": meter_stop, "energy_wh": energy}
    with writing() as session:
        done = session.execute(
            sa.update(Transaction)
            .where(
                Transaction.id == tx_id,
                Transaction.charger_id == charger_id,
                Transaction.status == "completed",
                Transaction.stop_reason == REBOOTED,
            )
            .values(**values)
            .returning(Transaction.meter_stop, Transaction.energy_wh)
            .execution_options(synchronize_session=False)
        ).first()
        if done is not None:
            detail = (
                f"The charger reported the stop after the session was closed as rebooted: stopped "
                f"{stop_time:%Y-%m-%d %H:%M:%S} UTC ({values['stop_reason']}), meter stop {done.meter_stop} Wh, "
                f"energy {done.energy_wh} Wh."
            )
            audit.record("transaction.corrected_after_reboot", "transaction", tx_id, actor="charger", detail=detail)
    return done is not None
