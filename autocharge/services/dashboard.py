"""The Home screen's figures: the fleet at a glance, from a few counts and sums, none of them per charger."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from ..db import utcnow
from ..extensions import db
from ..models import Charger, PairingSession, Transaction, UnknownIdentifier, Vehicle
from ..models.statuses import IdentifierKind, PairingState, Registration, TransactionStatus
from .chargers_query import ChargerFilter, conditions

RECENTLY_OFFLINE = 10  # chargers listed under "went offline recently"
WAITING_SHOWN = 10  # waiting pairings listed by name
UNKNOWN_WINDOW = timedelta(hours=24)
# Each charger figure is exactly what the Chargers list shows for this filter (the same conditions), so a figure and
# the table it links to cannot disagree.
CHARGER_FIGURES = {
    "online": ChargerFilter(connection="online"),
    "offline": ChargerFilter(connection="offline"),
    "faulted": ChargerFilter(status="faulted"),
    "pending": ChargerFilter(status=Registration.PENDING),
}
# Where "connectors charging" leads: the online chargers with a session running, whose connectors those are.
CHARGING = ChargerFilter(status="charging", connection="online")


@dataclass(frozen=True)
class OfflineCharger:
    """A charger that is offline, and when it was last heard from."""

    id: int
    charge_box_id: str
    last_seen: datetime


@dataclass(frozen=True)
class WaitingPairing:
    """A pairing that waits for its vehicle to be plugged in."""

    id: int
    plate: str
    charge_box_id: str
    deadline: datetime


@dataclass(frozen=True)
class Figures:
    """The fleet's state at `now` (naive UTC); days and months are UTC ones."""

    now: datetime
    today: date
    month_first: date
    month_last: date
    chargers: int
    online: int
    offline: int
    faulted: int
    pending: int
    connectors_charging: int  # connectors of online chargers with a session running
    active_sessions: int
    energy_today_wh: int  # of the sessions started today, whenever they end
    energy_month_wh: int  # of the sessions started this month
    pairings_waiting: int
    unknown_vehicles: int  # refused vehicle identifiers last seen within UNKNOWN_WINDOW
    unknown_tags: int  # refused RFID tags, likewise
    recently_offline: tuple[OfflineCharger, ...]
    waiting: tuple[WaitingPairing, ...]


def _count(model, *where) -> sa.ScalarSelect:
    """Return a scalar subquery counting the rows of `model` that match `where`."""
    return sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()


def _connectors_charging() -> sa.ScalarSelect:
    """Return a scalar subquery counting the connectors with a session running on the chargers of CHARGING."""
    # The active sessions only (few: one per busy connector), through ix_transaction_status_start. Distinct, so a
    # session left open under a newer one on the same connector does not count that connector twice (DISTINCT takes
    # the NULL EVSEs of 1.6 sessions as equal).
    running = (
        sa.select(Transaction.charger_id, Transaction.evse_id, Transaction.connector_id)
        .join(Charger, Charger.id == Transaction.charger_id)
        .where(Transaction.status == "active", *conditions(CHARGING))
        .distinct()
        .subquery()
    )
    return sa.select(sa.func.count()).select_from(running).scalar_subquery()


def _energy(start: datetime, end: datetime) -> sa.ScalarSelect:
    """Return a scalar subquery summing the energy of the sessions started in [start, end)."""
    started = sa.and_(Transaction.start_time >= start, Transaction.start_time < end)
    return sa.select(sa.func.coalesce(sa.func.sum(Transaction.energy_wh), 0)).where(started).scalar_subquery()


def _midnight(day: date) -> datetime:
    """Return the start of `day` (naive UTC, as the columns store times)."""
    return datetime.combine(day, time())


def month_bounds(day: date) -> tuple[date, date]:
    """Return the first and the last day of `day`'s month."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _totals(now: datetime, month_first: date, month_last: date) -> dict[str, int]:
    """Return every count and sum of the screen, read in one statement of scalar subqueries."""
    midnight = _midnight(now.date())
    figures = {name: _count(Charger, *conditions(flt)) for name, flt in CHARGER_FIGURES.items()}
    figures |= {
        "chargers": _count(Charger),
        "connectors_charging": _connectors_charging(),
        "active_sessions": _count(Transaction, Transaction.status == TransactionStatus.ACTIVE),
        "energy_today_wh": _energy(midnight, midnight + timedelta(days=1)),
        "energy_month_wh": _energy(_midnight(month_first), _midnight(month_last + timedelta(days=1))),
        "pairings_waiting": _count(PairingSession, PairingSession.state == PairingState.WAITING),
    }
    since = now - UNKNOWN_WINDOW
    for name, kind in (("unknown_vehicles", IdentifierKind.VEHICLE), ("unknown_tags", IdentifierKind.RFID)):
        figures[name] = _count(UnknownIdentifier, UnknownIdentifier.kind == kind, UnknownIdentifier.last_seen >= since)
    row = db.session.execute(sa.select(*(query.label(name) for name, query in figures.items()))).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


def _recently_offline() -> tuple[OfflineCharger, ...]:
    """Return the offline chargers heard from most recently (a disconnect writes last seen, so: the last to go)."""
    # A scan of the chargers (10,000: about a millisecond). No index on last_seen: every connected charger writes it
    # every few seconds, and an index would make each of those writes dearer than this read is.
    query = (
        sa.select(Charger.id, Charger.charge_box_id, Charger.last_seen)
        .where(Charger.online.is_(False), Charger.last_seen.is_not(None))
        .order_by(Charger.last_seen.desc(), Charger.id.desc())
        .limit(RECENTLY_OFFLINE)
    )
    return tuple(OfflineCharger(*row) for row in db.session.execute(query))


def _waiting() -> tuple[WaitingPairing, ...]:
    """Return the pairings that wait, the nearest deadline first (few: one per charger at most, each for minutes)."""
    query = (
        sa.select(PairingSession.id, Vehicle.plate, Charger.charge_box_id, PairingSession.deadline)
        .join(Vehicle, Vehicle.id == PairingSession.vehicle_id)
        .join(Charger, Charger.id == PairingSession.charger_id)
        .where(PairingSession.state == PairingState.WAITING)
        .order_by(PairingSession.deadline, PairingSession.id)
        .limit(WAITING_SHOWN)
    )
    return tuple(WaitingPairing(*row) for row in db.session.execute(query))


def figures(now: datetime | None = None) -> Figures:
    """Return the fleet's figures now: three statements whatever the size of the tables."""
    now = now or utcnow()
    month_first, month_last = month_bounds(now.date())
    totals = _totals(now, month_first, month_last)
    waiting = _waiting() if totals["pairings_waiting"] else ()
    return Figures(
        now=now,
        today=now.date(),
        month_first=month_first,
        month_last=month_last,
        recently_offline=_recently_offline(),
        waiting=waiting,
        **totals,
    )
