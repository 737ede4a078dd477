"""Charging transactions: start, meter values and stop for both OCPP versions, idempotent under retries.

Authorization comes only from services.authorization.authorize(), re-checked at every start. Energy is
always the last meter register minus the start register, never a running sum, so a retried message
cannot count twice; meter samples are unique per (transaction, timestamp) and retries are ignored.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import hotsql
from ..db import is_record_id, writing
from ..extensions import db
from ..models import MeterSample, RemoteStart, Transaction
from ..models.statuses import Origin, TransactionStatus
from . import NotFound, authorization, dialect, session_ends
from .authorization import AuthResult

BEGIN = "Transaction.Begin"

# Prebuilt hot-path statements (see services/dialect.py): meter values arrive every few seconds per charger.
_ROW = (
    Transaction.id,
    Transaction.status,
    Transaction.meter_start,
    Transaction.energy_wh,
    Transaction.id_token,
    Transaction.auth_status,
    Transaction.origin,
    Transaction.counted_from,
)
_BY_KEY = sa.select(*_ROW).where(
    Transaction.charger_id == sa.bindparam("charger_id"), Transaction.dedupe_key == sa.bindparam("key")
)
_BY_ID = sa.select(*_ROW).where(
    Transaction.charger_id == sa.bindparam("charger_id"), Transaction.id == sa.bindparam("tx_id")
)
_INSERT = sa.insert(Transaction).returning(Transaction.id)
_COMPLETE = (
    sa.update(Transaction)
    .where(Transaction.id == sa.bindparam("p_tx"), Transaction.status == TransactionStatus.ACTIVE)
    .values(
        status=TransactionStatus.COMPLETED,
        stop_time=sa.bindparam("p_time"),
        meter_stop=sa.bindparam("p_stop"),
        energy_wh=sa.bindparam("p_energy"),
        stop_reason=sa.bindparam("p_reason"),
    )
)
# 1.6 MeterValues name their transaction: one statement checks it is this charger's and raises its energy
# (running transactions only; the register only grows); RETURNING tells whether it matched.
_REGISTER = sa.bindparam("p_register", type_=sa.BigInteger)


def _raised_energy(*conditions):
    """Return the energy a meter register gives a running transaction, never lower than it has (SQL CASE)."""
    grows = _REGISTER - Transaction.meter_start > Transaction.energy_wh
    return sa.case(
        (
            sa.and_(Transaction.status == TransactionStatus.ACTIVE, *conditions, grows),
            _REGISTER - Transaction.meter_start,
        ),
        else_=Transaction.energy_wh,
    )


_RECORD_BY_ID = (
    sa.update(Transaction)
    .where(Transaction.id == sa.bindparam("p_tx"), Transaction.charger_id == sa.bindparam("p_charger"))
    .values(energy_wh=_raised_energy())
    .returning(Transaction.id)
)
# The same for a 2.0.1 transaction named by the charger's transactionId. A transaction whose Started event
# had no reading (meter_start and energy both 0) is left alone: _apply_event counts from its first reading.
_RECORD_BY_KEY = (
    sa.update(Transaction)
    .where(Transaction.charger_id == sa.bindparam("p_charger"), Transaction.dedupe_key == sa.bindparam("p_key"))
    .values(energy_wh=_raised_energy(sa.or_(Transaction.meter_start != 0, Transaction.energy_wh != 0)))
    .returning(Transaction.id, Transaction.meter_start, Transaction.energy_wh)
)
_ACTIVE_ON = (
    sa.select(*_ROW)
    .where(
        Transaction.charger_id == sa.bindparam("charger_id"),
        Transaction.connector_id == sa.bindparam("connector_id"),
        Transaction.status == TransactionStatus.ACTIVE,
    )
    .order_by(Transaction.id.desc())
    .limit(1)
)
_LINK_REMOTE = (
    sa.update(RemoteStart)
    .where(RemoteStart.id == sa.bindparam("p_remote"), RemoteStart.transaction_id.is_(None))
    .values(transaction_id=sa.bindparam("p_tx"))
)


_OWNER_COLUMNS = ("id_token", "id_token_type", "auth_status", "user_id", "vehicle_id", "origin")
_SET_OWNER = (
    sa.update(Transaction)
    .where(Transaction.id == sa.bindparam("p_tx"))
    .values({name: sa.bindparam(f"p_{name}") for name in _OWNER_COLUMNS})
)
_SET_METER = (
    sa.update(Transaction)
    .where(Transaction.id == sa.bindparam("p_tx"))
    .values(
        meter_start=sa.bindparam("p_start"), energy_wh=sa.bindparam("p_energy"), counted_from=sa.bindparam("p_from")
    )
)
_HAS_ENERGY = (
    sa.select(MeterSample.id)
    .where(MeterSample.transaction_id == sa.bindparam("tx_id"), MeterSample.energy_wh.is_not(None))
    .limit(1)
)
# The register only grows: a late, older reading (queued while offline) must not lower the energy.
_RAISE_ENERGY = (
    sa.update(Transaction)
    .where(Transaction.id == sa.bindparam("tx_id"), Transaction.energy_wh < sa.bindparam("energy"))
    .values(energy_wh=sa.bindparam("energy"))
)


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
    existing = _find(charger_id, dedupe_key)
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
            tx_id = hotsql.connection().execute(_INSERT, params).scalar_one()
            _link_remote_start(tx_id, result)
    except IntegrityError:  # the same start arrived twice at once; the first one won
        existing = _find(charger_id, dedupe_key)
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
        conn = hotsql.connection()
        row = conn.execute(_BY_ID, {"charger_id": charger_id, "tx_id": transaction_id}).first()
        if row is None:
            return None
        if row.status == TransactionStatus.ACTIVE:
            conn.execute(
                _COMPLETE,
                {
                    "p_tx": row.id,
                    "p_time": stop_time,
                    "p_stop": meter_stop,
                    "p_energy": max(0, meter_stop - row.meter_start),
                    "p_reason": (reason or "Local")[:40],
                },
            )
        _insert_samples(row.id, samples)
    if (
        row.status != TransactionStatus.ACTIVE
    ):  # a retry, or the stop of a session closed meanwhile as rebooted: the charger's word
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
        params = {
            "p_tx": transaction_id,
            "p_charger": charger_id,
            "p_register": round(energy) if energy is not None else None,
        }
        if hotsql.connection().execute(_RECORD_BY_ID, params).first() is None:
            return False
        _insert_samples(transaction_id, samples)
    return True


def _store_readings(row, samples: list[Sample]) -> None:
    """Insert samples of a located transaction (retries ignored) and raise its energy if it runs."""
    _insert_samples(row.id, samples)
    energy = _last_energy(samples)
    if row.status == TransactionStatus.ACTIVE and energy is not None:
        hotsql.connection().execute(_RAISE_ENERGY, {"tx_id": row.id, "energy": round(energy) - row.meter_start})


def transaction_event(charger_id: int, event: TxEvent) -> str | None:
    """Apply a 2.0.1 TransactionEvent; return the idToken's status when the event carried one.

    A back-office start named by the event's remoteStartId makes the transaction its user's, origin App, whatever
    token (or none) the event carries.
    """
    plain = not (event.token or event.remote_start_id or _begin_energy(event.samples) is not None)
    if event.kind == "Updated" and plain and _record_periodic(charger_id, event):
        return None
    known = _find(charger_id, event.ocpp_tx_id)
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
    params = {
        "p_charger": charger_id,
        "p_key": event.ocpp_tx_id,
        "p_register": round(energy) if energy is not None else None,
    }
    with writing():
        row = hotsql.connection().execute(_RECORD_BY_KEY, params).first()
        if row is None or not (row.meter_start or row.energy_wh):
            return False  # a new transaction, or its start reading is still to come: _apply_event decides
        _insert_samples(row.id, event.samples)
    return True


def _apply_event(charger_id: int, event: TxEvent, result: AuthResult | None) -> tuple[int, bool]:
    """Create or update the event's transaction in one write; return its id and whether it was running."""
    first, last, begin = _first_reading(event.samples), _last_energy(event.samples), _begin_energy(event.samples)
    with writing():
        conn = hotsql.connection()
        row = _find(charger_id, event.ocpp_tx_id)
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
            tx_id, status, energy_wh = conn.execute(_INSERT, params).scalar_one(), TransactionStatus.ACTIVE, 0
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
                start_changed = not _has_energy(conn, tx_id)
                if start_changed:
                    meter_start, counted_from = round(first.energy_wh), first.timestamp
        # Owned once: by the first token, or by our remote start (then a later token, even a card's, changes nothing).
        if result is not None and id_token is None and (auth_status is None or (event.token and origin != Origin.APP)):
            owner = _owner(event.token, event.token_type, result)
            conn.execute(_SET_OWNER, {"p_tx": tx_id, **{f"p_{k}": v for k, v in owner.items()}})
            _link_remote_start(tx_id, result)
        _insert_samples(tx_id, event.samples)
        if status == TransactionStatus.ACTIVE and last is not None and round(last) - meter_start > energy_wh:
            energy_wh, energy_changed = round(last) - meter_start, True
        if event.kind == "Ended" and status == TransactionStatus.ACTIVE:
            meter_stop = round(last) if last is not None else meter_start + energy_wh
            energy_wh, energy_changed = max(0, meter_stop - meter_start), False  # _COMPLETE writes it
            params = {"p_tx": tx_id, "p_time": event.timestamp, "p_stop": meter_stop, "p_energy": energy_wh}
            conn.execute(_COMPLETE, {**params, "p_reason": (event.stop_reason or "Local")[:40]})
        if start_changed or energy_changed:
            params = {"p_tx": tx_id, "p_start": meter_start, "p_energy": energy_wh, "p_from": counted_from}
            conn.execute(_SET_METER, params)
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


def _find(charger_id: int, dedupe_key: str):
    """Return the charger's transaction row (_ROW columns) with this dedupe key, or None."""
    return hotsql.connection().execute(_BY_KEY, {"charger_id": charger_id, "key": dedupe_key}).first()


def _active_on(charger_id: int, connector_id: int | None):
    """Return the row (_ROW columns) of the transaction running on a connector, or None."""
    if not connector_id:
        return None
    params = {"charger_id": charger_id, "connector_id": connector_id}
    return hotsql.connection().execute(_ACTIVE_ON, params).first()


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
        hotsql.connection().execute(_LINK_REMOTE, {"p_remote": result.remote_start_id, "p_tx": tx_id})


def _insert_samples(tx_id: int, samples: Iterable[Sample]) -> None:
    """Insert meter samples, ignoring those a retried message already stored."""
    rows = [
        {
            "transaction_id": tx_id,
            "timestamp": s.timestamp,
            "energy_wh": s.energy_wh,
            "power_w": s.power_w,
            "soc": s.soc,
        }
        for s in samples
    ]
    if rows:
        conn = hotsql.connection()
        conn.execute(dialect.insert_ignoring(MeterSample, ("transaction_id", "timestamp"), conn.dialect.name), rows)


def _has_energy(conn, tx_id: int) -> bool:
    """Tell whether the transaction already has an energy reading."""
    return conn.execute(_HAS_ENERGY, {"tx_id": tx_id}).first() is not None


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
