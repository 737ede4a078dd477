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
from ..models.statuses import Origin, TransactionStatus
from . import NotFound, authorization, session_ends
from .authorization import AuthResult

BEGIN = "Transaction.Begin"


@dataclass(frozen=True)
class Sample:
    """One meter reading: what the session chart plots."""

    timestamp: datetime
    energy_wh: float | None = None  # Energy.Active.Import.Register
    power_w: float | None = None  # Power.Active.Import
    soc: float | None = None
    context: str | None = None  # the energy register's ReadingContext: Transaction.Begin is the start reading


@dataclass(frozen=True)
class Started:
    """A started (or re-found) transaction and the authorization status to answer with."""

    transaction_id: int
    status: str


@dataclass(frozen=True)
class TxEvent:
    """An OCPP 2.0.1 TransactionEvent, reduced to what the back office keeps."""

    kind: str  # Started / Updated / Ended
    ocpp_tx_id: str
    timestamp: datetime
    connector_id: int | None = None
    token: str | None = None
    token_type: str | None = None
    samples: tuple[Sample, ...] = ()
    stop_reason: str | None = None
    remote_start_id: int | None = None  # transactionInfo.remoteStartId: our RemoteStart row's id


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
        **_owner(token, token_type, result),
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
    charger_id: int, transaction_id: int | None, samples: Iterable[Sample], connector_id: int | None = None
) -> bool:
    """Store meter readings of a transaction (by id, else the connector's active one); tell whether one matched."""
    samples = list(samples)
    if not samples:
        return False
    with writing():
        if transaction_id is None:
            row = _active_on(charger_id, connector_id)
            if row is None:
                return False
            _store_readings(row, samples)
            return True
        if not is_record_id(transaction_id):
            return False
        energy = _last_energy(samples)
        if not hot.record_register_by_id(charger_id, transaction_id, round(energy) if energy is not None else None):
            return False
        hot.insert_samples(transaction_id, samples)
    return True


def _store_readings(row, samples: list[Sample]) -> None:
    """Insert samples of a located transaction (retries ignored) and raise its energy if it runs."""
    hot.insert_samples(row.id, samples)
    energy = _last_energy(samples)
    if row.status == TransactionStatus.ACTIVE and energy is not None:
        hot.raise_energy(row.id, round(energy) - row.meter_start)


def transaction_event(charger_id: int, event: TxEvent) -> str | None:
    """Apply a 2.0.1 TransactionEvent; return the idToken's status when the event carried one.

    A back-office start named by the event's remoteStartId makes the transaction its user's, origin App, whatever
    token (or none) the event carries.
    """
    plain = not (event.token or event.remote_start_id or _begin_energy(event.samples) is not None)
    if event.kind == "Updated" and plain and _record_periodic(charger_id, event):
        return None
    known = hot.find_by_key(charger_id, event.ocpp_tx_id)
    result = authorization.remote_start_owner(charger_id, event.remote_start_id) if event.remote_start_id else None
    answer = None
    if event.token:
        if result is not None and event.token_type == "Central":
            answer = result.status  # our own one-time token echoed back, however late: the remote start decided
        elif known is not None and _same_token(known.id_token, event.token):
            answer = known.auth_status
        else:
            by_token = authorization.authorize(charger_id, event.token, event.token_type)
            answer, result = by_token.status, result or by_token
    try:
        tx_id, was_active = _apply_event(charger_id, event, result)
    except IntegrityError:  # a retry of the first event raced this one; apply again onto its row
        tx_id, was_active = _apply_event(charger_id, event, result)
    if event.kind == "Ended" and not was_active:  # a retry, or the end of a session closed meanwhile as rebooted
        last = _last_energy(event.samples)
        meter_stop = round(last) if last is not None else None
        session_ends.correct_after_reboot(charger_id, tx_id, event.timestamp, meter_stop, event.stop_reason)
    return answer


def _record_periodic(charger_id: int, event: TxEvent) -> bool:
    """Store the periodic meter values of a known transaction (the hot path); tell whether it was one."""
    energy = _last_energy(event.samples)
    with writing():
        row = hot.record_register_by_key(charger_id, event.ocpp_tx_id, round(energy) if energy is not None else None)
        if row is None or not (row.meter_start or row.energy_wh):
            return False  # a new transaction, or its start reading is still to come: _apply_event decides
        hot.insert_samples(row.id, event.samples)
    return True


def _apply_event(charger_id: int, event: TxEvent, result: AuthResult | None) -> tuple[int, bool]:
    """Create or update the event's transaction in one write; return its id and whether it was running."""
    first, last, begin = _first_reading(event.samples), _last_energy(event.samples), _begin_energy(event.samples)
    with writing():
        row = hot.find_by_key(charger_id, event.ocpp_tx_id)
        start_changed = energy_changed = False
        if row is None:
            meter_start, counted_from = _start_of_new(event, first, begin)
            params = {
                "charger_id": charger_id,
                "connector_id": event.connector_id or 1,
                "dedupe_key": event.ocpp_tx_id,
                "ocpp_tx_id": event.ocpp_tx_id,
                "start_time": event.timestamp,
                "meter_start": meter_start,
                "counted_from": counted_from,
            }
            tx_id, status, energy_wh = hot.insert_transaction(params), TransactionStatus.ACTIVE, 0
            id_token = auth_status = origin = None
        else:
            tx_id, status, meter_start, energy_wh, id_token, auth_status, origin, counted_from = row
            if begin is not None:
                # The charger's own start register wins, however late it comes (often only in the Ended event).
                start_changed = status == TransactionStatus.ACTIVE and (
                    round(begin) != meter_start or counted_from is not None
                )
                if start_changed:
                    energy_wh = max(0, meter_start + energy_wh - round(begin))
                    meter_start, counted_from = round(begin), None
            elif first is not None and meter_start == energy_wh == 0 and counted_from is None:
                # No start reading came: count from the first reading, and remember that the start is unknown.
                start_changed = not hot.has_energy_sample(tx_id)
                if start_changed:
                    meter_start, counted_from = round(first.energy_wh), first.timestamp
        # Owned once: by the first token, or by our remote start (then a later token, even a card's, changes nothing).
        if result is not None and id_token is None and (auth_status is None or (event.token and origin != Origin.APP)):
            owner = _owner(event.token, event.token_type, result)
            hot.set_owner(tx_id, owner)
            _link_remote_start(tx_id, result)
        hot.insert_samples(tx_id, event.samples)
        if status == TransactionStatus.ACTIVE and last is not None and round(last) - meter_start > energy_wh:
            energy_wh, energy_changed = round(last) - meter_start, True
        if event.kind == "Ended" and status == TransactionStatus.ACTIVE:
            meter_stop = round(last) if last is not None else meter_start + energy_wh
            energy_wh, energy_changed = max(0, meter_stop - meter_start), False  # complete() writes it
            hot.complete(tx_id, event.timestamp, meter_stop, energy_wh, (event.stop_reason or "Local")[:40])
        if start_changed or energy_changed:
            hot.set_meter(tx_id, meter_start, energy_wh, counted_from)
    return tx_id, status == TransactionStatus.ACTIVE


def _start_of_new(event: TxEvent, first: Sample | None, begin: float | None) -> tuple[int, datetime | None]:
    """Return (meter_start, counted_from) of a transaction first heard of in this event.

    The readings of a Started event are the start; a transaction first heard of later (its Started event lost)
    counts from its first reading. Without any reading the start waits for one (0, None).
    """
    if begin is not None:
        return round(begin), None
    if first is None:
        return 0, None
    return round(first.energy_wh), None if event.kind == "Started" else first.timestamp


def _active_on(charger_id: int, connector_id: int | None):
    """Return the row (hotpath.transactions.ROW) of the transaction running on a connector, or None."""
    if not connector_id:
        return None
    return hot.active_on(charger_id, connector_id)


def _owner(token: str | None, token_type: str | None, result: AuthResult) -> dict:
    """Return the columns saying whom the transaction belongs to, as authorization decided."""
    return {
        "id_token": token[:64] if token else None,
        "id_token_type": token_type,
        "auth_status": result.status,
        "user_id": result.user_id,
        "vehicle_id": result.vehicle_id,
        "origin": result.origin,
    }


def _link_remote_start(tx_id: int, result: AuthResult) -> None:
    """Mark the back-office start whose one-time token began this transaction as used by it."""
    if result.remote_start_id is not None:
        hot.link_remote_start(result.remote_start_id, tx_id)


def _first_reading(samples: Iterable[Sample]) -> Sample | None:
    """Return the earliest sample with an energy register."""
    return next((s for s in sorted(samples, key=lambda s: s.timestamp) if s.energy_wh is not None), None)


def _begin_energy(samples: Iterable[Sample]) -> float | None:
    """Return the energy register the charger read at the transaction's start (context Transaction.Begin)."""
    return next((s.energy_wh for s in samples if s.context == BEGIN and s.energy_wh is not None), None)


def _last_energy(samples: Iterable[Sample]) -> float | None:
    """Return the latest energy register among samples."""
    readings = [s for s in samples if s.energy_wh is not None]
    return max(readings, key=lambda s: s.timestamp).energy_wh if readings else None


def _same_token(stored: str | None, token: str) -> bool:
    """Tell whether two idTags/idTokens are the same (OCPP compares them without case)."""
    return bool(stored) and stored.strip().upper() == token.strip().upper()


def get(tx_id: int) -> Transaction:
    """Return a transaction; raise NotFound."""
    tx = db.session.get(Transaction, tx_id)
    if tx is None:
        raise NotFound(f"Transaction {tx_id} does not exist.")
    return tx
