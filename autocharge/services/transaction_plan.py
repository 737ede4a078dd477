"""What a 2.0.1 TransactionEvent does to its transaction, decided without a database.

plan_event() takes the event, the stored transaction as it was read (or None) and whom authorization says it belongs
to, and returns an EventPlan: the row to insert, or the owner, start reading, energy and end to write, and the meter
readings to keep. services.transactions applies it in one write. Energy is always a register minus the start
register, never a sum, so applying the plan of a retried event changes nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from ..models.statuses import Origin, TransactionStatus

BEGIN = "Transaction.Begin"
STARTED, ENDED = "Started", "Ended"


class Sample(NamedTuple):
    """One meter reading: what the session chart plots (a named tuple: made per meter value, 3x cheaper than a
    frozen dataclass)."""

    timestamp: datetime
    energy_wh: float | None = None  # Energy.Active.Import.Register
    power_w: float | None = None  # Power.Active.Import
    soc: float | None = None
    context: str | None = None  # the energy register's ReadingContext: Transaction.Begin is the start reading


@dataclass(frozen=True)
class TxEvent:
    """An OCPP 2.0.1 TransactionEvent, reduced to what the back office keeps."""

    kind: str  # Started / Updated / Ended
    ocpp_tx_id: str
    timestamp: datetime
    evse_id: int | None = None  # evse.id: sent in the first event after the EV connected, often only there
    token: str | None = None
    token_type: str | None = None
    samples: tuple[Sample, ...] = ()
    stop_reason: str | None = None
    remote_start_id: int | None = None  # transactionInfo.remoteStartId: our RemoteStart row's id
    connector_id: int | None = None  # evse.connectorId: the connector on that EVSE (optional in OCPP)


class Stored(Protocol):
    """The stored transaction as the plan reads it (hotpath.transactions.ROW has these names)."""

    id: int
    status: str
    meter_start: int
    energy_wh: int
    id_token: str | None
    auth_status: str | None
    origin: str | None
    counted_from: datetime | None


class Owner(Protocol):
    """Whom authorization says a transaction belongs to (services.authorization.AuthResult)."""

    status: str
    user_id: int | None
    vehicle_id: int | None
    origin: str | None
    remote_start_id: int | None


@dataclass(frozen=True)
class Meter:
    """A transaction's start register, energy, and when counting began (None: at the start reading)."""

    meter_start: int
    energy_wh: int
    counted_from: datetime | None


@dataclass(frozen=True)
class End:
    """How a running transaction ends."""

    stop_time: datetime
    meter_stop: int
    energy_wh: int
    reason: str


@dataclass(frozen=True)
class EventPlan:
    """What one event does: insert a transaction, or update the stored one; keep its readings."""

    insert: dict | None = None  # every column of a transaction first heard of (owner and end included)
    owner: dict | None = None  # whom the stored transaction now belongs to
    meter: Meter | None = None  # a new start reading or a higher energy for the stored transaction
    end: End | None = None  # the stored transaction ends
    link_remote_start: int | None = None  # the back-office start this transaction now uses
    samples: tuple[Sample, ...] = ()
    was_active: bool = True  # whether the transaction ran before this event (a new one did)


def asks_for_samples(event: TxEvent, stored: Stored | None) -> bool:
    """Tell whether the plan needs to know if the stored transaction has an energy reading already.

    A stored start register of 0 with no energy is either a register that was 0 or no start reading yet; only the
    readings stored say which. Rare (a new meter, a station that sends no start reading), so asked only then.
    """
    return (
        stored is not None
        and begin_energy(event.samples) is None
        and first_reading(event.samples) is not None
        and _waits_for_start(stored)
    )


def plan_event(
    charger_id: int, event: TxEvent, stored: Stored | None, owner: Owner | None, has_reading: bool = False
) -> EventPlan:
    """Return what the event does to its transaction (`has_reading`: the answer asks_for_samples() asked for)."""
    if stored is None:
        return _plan_new(charger_id, event, owner)
    meter = _start_reading(event, stored, has_reading)
    running = stored.status == TransactionStatus.ACTIVE
    energy = _raised(meter.energy_wh, meter.meter_start, event.samples) if running else meter.energy_wh
    end = _end(event, meter.meter_start, energy) if running else None
    changed = (meter.meter_start, meter.counted_from) != (stored.meter_start, stored.counted_from)
    written = Meter(meter.meter_start, end.energy_wh if end else energy, meter.counted_from)
    takes_owner = owner is not None and _may_take(stored, event)
    return EventPlan(
        owner=owner_columns(event.token, event.token_type, owner) if takes_owner else None,
        meter=written if changed or (energy != stored.energy_wh and end is None) else None,
        end=end,
        link_remote_start=owner.remote_start_id if takes_owner else None,
        samples=event.samples,
        was_active=running,
    )


def _plan_new(charger_id: int, event: TxEvent, owner: Owner | None) -> EventPlan:
    """Return the plan of a transaction first heard of in this event: one INSERT with all it knows."""
    meter_start, counted_from = _start_of_new(event)
    energy = _raised(0, meter_start, event.samples)
    end = _end(event, meter_start, energy)
    columns = {
        "charger_id": charger_id,
        "evse_id": event.evse_id or 1,  # no evse sent (its first event lost): 2.0.1 all the same
        "connector_id": event.connector_id or 1,
        "dedupe_key": event.ocpp_tx_id,
        "ocpp_tx_id": event.ocpp_tx_id,
        "start_time": event.timestamp,
        "meter_start": meter_start,
        "counted_from": counted_from,
        "energy_wh": end.energy_wh if end else energy,
        **(owner_columns(event.token, event.token_type, owner) if owner is not None else {}),
    }
    if end is not None:
        columns |= {
            "status": TransactionStatus.COMPLETED,
            "stop_time": end.stop_time,
            "meter_stop": end.meter_stop,
            "stop_reason": end.reason,
        }
    link = owner.remote_start_id if owner is not None else None
    return EventPlan(insert=columns, link_remote_start=link, samples=event.samples)


def _start_of_new(event: TxEvent) -> tuple[int, datetime | None]:
    """Return (meter_start, counted_from) of a transaction first heard of in this event.

    The readings of a Started event are the start; a transaction first heard of later (its Started event lost)
    counts from its first reading. Without any reading the start waits for one (0, None).
    """
    begin, first = begin_energy(event.samples), first_reading(event.samples)
    if begin is not None:
        return round(begin), None
    if first is None:
        return 0, None
    return round(first.energy_wh), None if event.kind == STARTED else first.timestamp


def _start_reading(event: TxEvent, stored: Stored, has_reading: bool) -> Meter:
    """Return the stored transaction's start register, energy and counted-from time once this event is read."""
    begin, first = begin_energy(event.samples), first_reading(event.samples)
    kept = Meter(stored.meter_start, stored.energy_wh, stored.counted_from)
    if begin is not None:
        # The charger's own start register wins, however late it comes (often only in the Ended event).
        same = round(begin) == stored.meter_start and stored.counted_from is None
        if same or stored.status != TransactionStatus.ACTIVE:
            return kept
        return Meter(round(begin), max(0, stored.meter_start + stored.energy_wh - round(begin)), None)
    if first is not None and _waits_for_start(stored) and not has_reading:
        # No start reading came: count from the first reading, and remember that the start is unknown (also for a
        # session closed meanwhile as rebooted: its correction then counts from there).
        return Meter(round(first.energy_wh), stored.energy_wh, first.timestamp)
    return kept


def _waits_for_start(stored: Stored) -> bool:
    """Tell whether a stored transaction may still have no start reading (register 0, no energy, not counted)."""
    return stored.meter_start == stored.energy_wh == 0 and stored.counted_from is None


def _raised(energy_wh: int, meter_start: int, samples: Iterable[Sample]) -> int:
    """Return the energy the latest register gives a running transaction, never lower than it has."""
    last = last_energy(samples)
    return max(energy_wh, round(last) - meter_start) if last is not None else energy_wh


def _end(event: TxEvent, meter_start: int, energy_wh: int) -> End | None:
    """Return how an Ended event ends a running transaction (None for other events)."""
    if event.kind != ENDED:
        return None
    last = last_energy(event.samples)
    meter_stop = round(last) if last is not None else meter_start + energy_wh
    return End(event.timestamp, meter_stop, max(0, meter_stop - meter_start), (event.stop_reason or "Local")[:40])


def _may_take(stored: Stored, event: TxEvent) -> bool:
    """Tell whether a stored transaction takes an owner: owned once, by the first token or by our remote start.

    After a remote start, a later token (even a card's) changes nothing; a transaction whose first token was refused
    (no id_token kept, an auth_status) is taken by a later token unless our remote start owns it.
    """
    return stored.id_token is None and (
        stored.auth_status is None or (bool(event.token) and stored.origin != Origin.APP)
    )


def owner_columns(token: str | None, token_type: str | None, owner: Owner) -> dict:
    """Return the columns saying whom a transaction belongs to (both OCPP versions' starts)."""
    return {
        "id_token": token[:64] if token else None,
        "id_token_type": token_type,
        "auth_status": owner.status,
        "user_id": owner.user_id,
        "vehicle_id": owner.vehicle_id,
        "origin": owner.origin,
    }


def first_reading(samples: Iterable[Sample]) -> Sample | None:
    """Return the earliest sample with an energy register."""
    return next((s for s in sorted(samples, key=lambda s: s.timestamp) if s.energy_wh is not None), None)


def begin_energy(samples: Iterable[Sample]) -> float | None:
    """Return the energy register the charger read at the transaction's start (context Transaction.Begin)."""
    return next((s.energy_wh for s in samples if s.context == BEGIN and s.energy_wh is not None), None)


def last_energy(samples: Iterable[Sample]) -> float | None:
    """Return the latest energy register among samples."""
    readings = [s for s in samples if s.energy_wh is not None]
    return max(readings, key=lambda s: s.timestamp).energy_wh if readings else None
