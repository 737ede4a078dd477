"""Charging transactions: start, meter values and stop for both OCPP versions, idempotent under retries.

Authorization comes only from services.authorization.authorize(), re-checked at every start. Energy is
always the last meter register minus the start register, never a running sum, so a retried message
cannot count twice; meter samples are unique per (transaction, timestamp) and retries are ignored.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ..db import is_record_id, writing
from ..extensions import db
from ..hotpath import transactions as hot
from ..models import Transaction
from ..models.statuses import TransactionStatus
from . import NotFound, authorization, session_ends
from .authorization import AuthResult
from .transaction_plan import (
    EventPlan,
    Sample,
    TxEvent,
    asks_for_samples,
    begin_energy,
    last_energy,
    owner_columns,
    plan_event,
)

__all__ = ["Sample", "Started", "TxEvent"]  # the OCPP handlers build events and readings from these


@dataclass(frozen=True)
class Started:
    """A started (or re-found) transaction and the authorization status to answer with."""

    transaction_id: int
    status: str


def dedupe_key_v16(connector_id: int, id_tag: str, timestamp: str) -> str:
    """Return the key that makes a retried 1.6 StartTransaction find its first row."""
    return f"{connector_id}|{id_tag.strip().upper()}|{timestamp}"[:120]


def start(
    charger_id: int,
    connector_id: int,
    dedupe_key: str,
    token: str | None,
    token_type: str | None,
    meter_start: int,
    start_time: datetime,
) -> Started:
    """Start a transaction (authorizing its token again) or return the one a retry already started."""
    existing = hot.find_by_key(charger_id, dedupe_key)
    if existing is not None:
        return Started(existing.id, existing.auth_status or authorization.INVALID)
    result = authorization.authorize(charger_id, token, token_type)
    params = {
        "charger_id": charger_id,
        "connector_id": connector_id,
        "dedupe_key": dedupe_key,
        "start_time": start_time,
        "meter_start": meter_start,
        **owner_columns(token, token_type, result),
    }
    try:
        with writing():
            tx_id = hot.insert_transaction(params)
            _link_remote_start(tx_id, result)
    except IntegrityError:  # the same start arrived twice at once; the first one won
        existing = hot.find_by_key(charger_id, dedupe_key)
        if existing is None:
            raise
        return Started(existing.id, existing.auth_status or authorization.INVALID)
    return Started(tx_id, result.status)


def stop(
    charger_id: int,
    transaction_id: int,
    meter_stop: int,
    stop_time: datetime,
    reason: str | None,
    token: str | None = None,
    samples: Iterable[Sample] = (),
) -> str | None:
    """Complete a transaction (once); return the stop token's status, or None if there is nothing to say.

    An unknown transaction is not an error: the charger must get a normal answer or it resends forever.
    """
    if not is_record_id(transaction_id):
        return None
    with writing():
        row = hot.find_by_id(charger_id, transaction_id)
        if row is None:
            return None
        if row.status == TransactionStatus.ACTIVE:
            energy = max(0, meter_stop - row.meter_start)
            hot.complete(row.id, stop_time, meter_stop, energy, (reason or "Local")[:40])
        hot.insert_samples(row.id, samples)
    if row.status != TransactionStatus.ACTIVE:  # a retry, or a stop after the session was closed as rebooted
        session_ends.correct_after_reboot(charger_id, row.id, stop_time, meter_stop, reason)
    if not token:
        return None
    if _same_token(row.id_token, token):
        return row.auth_status
    return authorization.authorize(charger_id, token).status


def add_samples(
    charger_id: int,
    transaction_id: int | None,
    samples: Iterable[Sample],
    connector_id: int | None = None,
    evse_id: int | None = None,
    tell: bool = True,
) -> bool:
    """Store meter readings of a transaction (by id, else the 1.6 connector's or 2.0.1 EVSE's active one); tell
    whether one matched.

    `tell=False` (a charger's MeterValues, whose answer does not depend on a match): by transaction id the write is
    blind, so on PostgreSQL it may travel with other chargers' (hotpath/pggroup.py), and True is returned unchecked.
    """
    samples = list(samples)
    if not samples:
        return False
    with writing():
        if transaction_id is None:
            row = _active_on(charger_id, connector_id, evse_id)
            if row is None:
                return False
            _store_readings(row, samples)
            return True
        if not is_record_id(transaction_id):
            return False
        energy = last_energy(samples)
        register = round(energy) if energy is not None else None
        if not tell:
            hot.store_readings_by_id(charger_id, transaction_id, register, samples)
        elif not hot.record_readings_by_id(charger_id, transaction_id, register, samples):
            return False
    return True


def _store_readings(row, samples: list[Sample]) -> None:
    """Insert samples of a located transaction (retries ignored) and raise its energy if it runs."""
    hot.insert_samples(row.id, samples)
    energy = last_energy(samples)
    if row.status == TransactionStatus.ACTIVE and energy is not None:
        hot.raise_energy(row.id, round(energy) - row.meter_start)


def transaction_event(charger_id: int, event: TxEvent) -> str | None:
    """Apply a 2.0.1 TransactionEvent; return the idToken's status when the event carried one.

    A back-office start named by the event's remoteStartId makes the transaction its user's, origin App, whatever
    token (or none) the event carries.
    """
    plain = not (event.token or event.remote_start_id or begin_energy(event.samples) is not None)
    if event.kind == "Updated" and plain and _record_periodic(charger_id, event):
        return None
    # The one read of the row: the token's answer depends on it, and authorizing writes in a write of its own. A
    # charger sends one event at a time; what a racing retry could change, the statements guard (complete only
    # a running one, link an unlinked start, a unique dedupe key against a second insert: read again below).
    stored = hot.find_by_key(charger_id, event.ocpp_tx_id)
    answer, owner = _event_owner(charger_id, event, stored)
    try:
        tx_id, was_active = _apply_event(charger_id, event, stored, owner)
    except IntegrityError:  # a retry of the first event inserted the row meanwhile: apply onto that row
        stored = hot.find_by_key(charger_id, event.ocpp_tx_id)
        tx_id, was_active = _apply_event(charger_id, event, stored, owner)
    if event.kind == "Ended" and not was_active:  # a retry, or the end of a session closed meanwhile as rebooted
        last = last_energy(event.samples)
        meter_stop = round(last) if last is not None else None
        session_ends.correct_after_reboot(charger_id, tx_id, event.timestamp, meter_stop, event.stop_reason)
    return answer


def _event_owner(charger_id: int, event: TxEvent, stored) -> tuple[str | None, AuthResult | None]:
    """Return the status to answer the event's idToken with (None: no token) and whom the transaction belongs to."""
    owner = authorization.remote_start_owner(charger_id, event.remote_start_id) if event.remote_start_id else None
    if not event.token:
        return None, owner
    if owner is not None and event.token_type == "Central":
        return owner.status, owner  # our own one-time token echoed back, however late: the remote start decided
    if stored is not None and _same_token(stored.id_token, event.token):
        return stored.auth_status, owner
    by_token = authorization.authorize(charger_id, event.token, event.token_type)
    return by_token.status, owner or by_token


def _record_periodic(charger_id: int, event: TxEvent) -> bool:
    """Store the periodic meter values of a known transaction (the hot path); tell whether it was one."""
    energy = last_energy(event.samples)
    register = round(energy) if energy is not None else None
    with writing():
        row = hot.record_readings_by_key(charger_id, event.ocpp_tx_id, register, event.samples)
    # None: a new transaction; no start reading yet (its samples were not stored either): the plan decides.
    return row is not None and bool(row.meter_start or row.energy_wh)


def _apply_event(charger_id: int, event: TxEvent, stored, owner: AuthResult | None) -> tuple[int, bool]:
    """Plan the event against the row read before, apply the plan in one write; return its id and whether it ran."""
    with writing():
        has_reading = asks_for_samples(event, stored) and hot.has_energy_sample(stored.id)
        plan = plan_event(charger_id, event, stored, owner, has_reading)
        tx_id = hot.insert_transaction(plan.insert) if plan.insert is not None else stored.id
        _apply(tx_id, plan)
    return tx_id, plan.was_active


def _apply(tx_id: int, plan: EventPlan) -> None:
    """Write what a plan changes on a transaction besides inserting it."""
    if plan.owner is not None:
        hot.set_owner(tx_id, plan.owner)
    if plan.link_remote_start is not None:
        hot.link_remote_start(plan.link_remote_start, tx_id)
    hot.insert_samples(tx_id, plan.samples)
    if plan.meter is not None:
        hot.set_meter(tx_id, plan.meter.meter_start, plan.meter.energy_wh, plan.meter.counted_from)
    if plan.end is not None:
        end = plan.end
        hot.complete(tx_id, end.stop_time, end.meter_stop, end.energy_wh, end.reason)


def _active_on(charger_id: int, connector_id: int | None, evse_id: int | None):
    """Return the row (hotpath.transactions.ROW) of the transaction running on a connector or EVSE, or None."""
    if evse_id:
        return hot.active_on_evse(charger_id, evse_id)
    if not connector_id:
        return None
    return hot.active_on(charger_id, connector_id)


def _link_remote_start(tx_id: int, result: AuthResult) -> None:
    """Mark the back-office start whose one-time token began this transaction as used by it."""
    if result.remote_start_id is not None:
        hot.link_remote_start(result.remote_start_id, tx_id)


def _same_token(stored: str | None, token: str) -> bool:
    """Tell whether two idTags/idTokens are the same (OCPP compares them without case)."""
    return bool(stored) and stored.strip().upper() == token.strip().upper()


def get(tx_id: int) -> Transaction:
    """Return a transaction; raise NotFound."""
    tx = db.session.get(Transaction, tx_id)
    if tx is None:
        raise NotFound(f"Transaction {tx_id} does not exist.")
    return tx
