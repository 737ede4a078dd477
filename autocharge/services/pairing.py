"""Vehicle pairing: an admin waits for a charger to report a vehicle's identifier, which is then stored read-only.

Every state lives in the pairing_session table, so a waiting pairing survives a restart and expires on time
whether or not anybody is watching. The OCPP side calls the on_* hooks; they read before they write, so the
common case (nothing waits on this charger) costs one indexed query and never takes the write lock.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..db import utcnow, writing
from ..extensions import db
from ..hotpath.pairing import waiting_pairing_id
from ..models import Admin, Charger, PairingSession, Vehicle
from ..models.statuses import Actor, AutochargeSupport, ConnectorStatus, PairingState, Registration, VehicleStatus
from . import NotFound, ServiceError, audit, identifiers, vehicles
from .identifiers import Identifier
from .paging import contains_text

WAITING = PairingState.WAITING
# 1.6 Preparing; 2.0.1 Occupied (cable plugged in)
PLUGGED_STATUSES = {ConnectorStatus.PREPARING, ConnectorStatus.OCCUPIED}


class PairingConflict(ServiceError):
    """Another pairing already waits on this charger or for this vehicle."""


@dataclass(frozen=True)
class ChargerChoice:
    """A charger as offered on the Pair screen: whether it can be chosen, and why (not)."""

    charger: Charger
    selectable: bool
    note: str = ""  # shown next to a selectable charger (e.g. unknown Auto Charge support)
    reason: str = ""  # why a charger cannot be chosen


def when(moment: datetime | None) -> str:
    """Format a stored (naive UTC) time for messages."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def get(session_id: int) -> PairingSession:
    """Return a pairing session; raise NotFound."""
    session = db.session.get(PairingSession, session_id)
    if session is None:
        raise NotFound(f"Pairing {session_id} does not exist.")
    return session


def remaining_seconds(session: PairingSession) -> int:
    """Return the whole seconds left before a waiting pairing's deadline (0 when ended or past)."""
    if session.state != WAITING:
        return 0
    return max(0, int((session.deadline - utcnow()).total_seconds() + 0.999))


def plugged_step(session: PairingSession) -> tuple[str, str]:
    """Return the "plugged in" step of a pairing's progress: its state (done / now / skipped) and its words.

    Some chargers send the identifier (Authorize) before any Preparing or Occupied status: an identifier received
    proves the EV was plugged in, so the step is done then too.
    """
    charger = session.charger
    if session.preparing_at:
        status = (
            "Cable plugged in (connector Occupied)" if charger.ocpp_version == "2.0.1" else "Connector went Preparing"
        )
        return "done", f"{status} at {when(session.preparing_at)}"
    if session.received_identifier:
        return "done", f"EV plugged in: {charger.charge_box_id} reported its identifier at {when(session.ended_at)}"
    if session.state == WAITING:
        return "now", "Waiting for the EV to be plugged in"
    return "skipped", "The EV was not reported plugged in"


def _waiting(**where) -> sa.Select:
    """Build a query for waiting pairings matching `where` (charger_id or vehicle_id)."""
    query = sa.select(PairingSession).where(PairingSession.state == WAITING)
    for column, value in where.items():
        query = query.where(getattr(PairingSession, column) == value)
    return query


def waiting_for_vehicle(vehicle_id: int) -> PairingSession | None:
    """Return the pairing waiting for this vehicle, if any."""
    return db.session.scalar(_waiting(vehicle_id=vehicle_id))


def latest_for_vehicles(vehicle_ids: list[int]) -> dict[int, PairingSession]:
    """Return each vehicle's newest pairing session (for the Vehicles page)."""
    if not vehicle_ids:
        return {}
    rows = db.session.scalars(
        sa.select(PairingSession).where(PairingSession.vehicle_id.in_(vehicle_ids)).order_by(PairingSession.id)
    )
    return {row.vehicle_id: row for row in rows}


def _end(
    session: PairingSession,
    state: str,
    reason: str | None,
    admin_id: int | None = None,
    ident: Identifier | None = None,
) -> None:
    """End a waiting pairing (inside a write) and record why on the vehicle's audit trail.

    The reason is shown to admins on the pairing itself; the audit trail gets it with `ident` masked, and names the
    charger as the actor when its report ended the pairing.
    """
    session.state, session.ended_at, session.failure_reason = state, utcnow(), reason
    action = f"pairing.{state}"  # failed, expired or cancelled
    detail = reason.replace(ident.display, ident.masked) if reason and ident else reason
    actor = Actor.CHARGER if ident else Actor.SYSTEM
    audit.record(action, "vehicle", session.vehicle_id, admin_id=admin_id, detail=detail, actor=actor)


def _expire_if_due(session: PairingSession) -> bool:
    """Expire a waiting pairing whose deadline passed (inside a write); tell whether it did."""
    if session.state != WAITING or session.deadline > utcnow():
        return False
    minutes = current_app.config["AUTOCHARGE_PAIRING_TIMEOUT"] / 60
    _end(
        session,
        PairingState.EXPIRED,
        f"The deadline passed ({minutes:g} min) before {session.charger.charge_box_id} "
        "reported the vehicle's identifier.",
    )
    return True


def expire_due() -> int:
    """Expire every waiting pairing past its deadline; return how many (the background job runs this)."""
    due = sa.select(PairingSession.id).where(PairingSession.state == WAITING, PairingSession.deadline <= utcnow())
    if db.session.scalar(due.limit(1)) is None:
        return 0
    count = 0
    with writing() as session:
        for row in session.scalars(_waiting().where(PairingSession.deadline <= utcnow())):
            count += _expire_if_due(row)
    return count


def refresh(session_id: int) -> PairingSession:
    """Return a pairing session, expiring it first if its deadline passed (expire on read)."""
    session = get(session_id)
    if session.state == WAITING and session.deadline <= utcnow():
        with writing():
            _expire_if_due(get(session_id))
    return session


def _conflict_message(other: PairingSession, on_charger: bool) -> str:
    """Say who started the waiting pairing that blocks a new one, and when."""
    who = other.admin.email if other.admin else "someone"
    where = (
        f"on {other.charger.charge_box_id} (for {other.vehicle.plate})"
        if on_charger
        else f"for {other.vehicle.plate} on {other.charger.charge_box_id}"
    )
    return (
        f"Another pairing already waits {where}: started by {who} at {when(other.created_at)}, "
        f"until {when(other.deadline)}. Wait for it to end or cancel it."
    )


def _unavailable_reason(charger: Charger) -> str:
    """Say why a charger cannot take a pairing now, or return '' when it can."""
    if charger.registration != Registration.ACCEPTED:
        return f"Registration is {charger.registration}; accept the charger first."
    if not charger.online:
        seen = f" (last seen {when(charger.last_seen)})" if charger.last_seen else ""
        return f"Offline{seen}: the charger must be connected to report the identifier."
    if charger.autocharge == AutochargeSupport.UNSUPPORTED:
        return "Does not support Auto Charge: it cannot report a vehicle identifier."
    return ""


def _check_pairable(vehicle: Vehicle) -> None:
    """Raise ServiceError unless the vehicle still waits for its identifier."""
    if vehicle.status == VehicleStatus.RETIRED:
        raise ServiceError(f"{vehicle.plate} is retired; add a new vehicle instead.")
    if vehicle.identifier or vehicle.status != VehicleStatus.PENDING:
        raise ServiceError(
            f"{vehicle.plate} is already paired with {identifiers.display(vehicle.identifier)}. "
            "An identifier is read-only once paired; add a replacement vehicle instead."
        )


SUPPORT_RANK = (AutochargeSupport.SUPPORTED, AutochargeSupport.UNKNOWN)
CHOICES = 20  # chargers offered at once on the Pair screen; a search by charge box id finds the others


def charger_choices(search: str = "", limit: int = CHOICES) -> tuple[list[ChargerChoice], int]:
    """Offer at most `limit` chargers (online Auto Charge ones first, unusable ones last with why) and the total.

    Each tier is its own ordered, limited query, so the screen costs the same with ten or ten thousand chargers.
    """
    named = [contains_text(Charger.charge_box_id, search.strip())] if search.strip() else []
    busy = sa.select(PairingSession.charger_id).where(
        PairingSession.state == WAITING, PairingSession.deadline > utcnow()
    )
    usable = sa.and_(Charger.registration == Registration.ACCEPTED, Charger.online.is_(True), Charger.id.not_in(busy))
    # Usable ones first, each group by Auto Charge support (supported, unknown); chargers that do not support it last.
    tiers = [sa.and_(ready, Charger.autocharge == support) for ready in (usable, ~usable) for support in SUPPORT_RANK]
    tiers.append(Charger.autocharge.not_in(SUPPORT_RANK))
    found: list[Charger] = []
    for tier in tiers:
        if len(found) < limit:
            query = sa.select(Charger).where(tier, *named).order_by(Charger.charge_box_id, Charger.id)
            found += db.session.scalars(query.limit(limit - len(found)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Charger).where(*named)) or 0
    return _choices(found), total


def _choices(found: list[Charger]) -> list[ChargerChoice]:
    """Say for each offered charger whether it can be chosen, with a note or the reason why not."""
    ids = [charger.id for charger in found]
    waiting = {p.charger_id: p for p in db.session.scalars(_waiting().where(PairingSession.charger_id.in_(ids)))}
    choices = []
    for charger in found:
        reason = _unavailable_reason(charger)
        other = waiting.get(charger.id)
        if not reason and other is not None and other.deadline > utcnow():
            reason = _conflict_message(other, on_charger=True)
        note = (
            "Auto Charge support unknown: pairing works only if this charger reports the vehicle's identifier."
            if charger.autocharge == AutochargeSupport.UNKNOWN
            else ""
        )
        choices.append(ChargerChoice(charger, not reason, note, reason))
    return choices


def start(vehicle_id: int, charger_id: int, admin_id: int | None = None) -> PairingSession:
    """Start waiting for `charger_id` to report the vehicle's identifier; raise ServiceError or PairingConflict."""
    return _start(vehicle_id, charger_id, admin_id, "pairing.started")


def _start(vehicle_id: int, charger_id: int, admin_id: int | None, action: str) -> PairingSession:
    """Start a pairing recorded as `action` (started, or retried); raise ServiceError or PairingConflict."""
    try:
        with writing() as session:
            vehicle, charger = vehicles.get(vehicle_id), session.get(Charger, charger_id)
            if charger is None:
                raise NotFound(f"Charger {charger_id} does not exist.", field="charger_id")
            _check_pairable(vehicle)
            reason = _unavailable_reason(charger)
            if reason:
                raise ServiceError(f"{charger.charge_box_id} cannot pair now. {reason}", field="charger_id")
            _expire_overdue(charger_id, vehicle_id)
            conflict = _conflict(charger_id, vehicle_id)
            pairing = None if conflict else _insert(vehicle_id, charger, admin_id, action)
    except IntegrityError:
        # The partial unique indexes let exactly one of two racing admins in; tell the other who won.
        conflict = _conflict(charger_id, vehicle_id) or "Another pairing started at the same moment; reload to see it."
    if conflict:
        raise PairingConflict(conflict)
    return pairing


def _insert(vehicle_id: int, charger: Charger, admin_id: int | None, action: str) -> PairingSession:
    """Add the waiting pairing and its audit event to the current write."""
    deadline = utcnow() + timedelta(seconds=current_app.config["AUTOCHARGE_PAIRING_TIMEOUT"])
    pairing = PairingSession(
        vehicle_id=vehicle_id, charger_id=charger.id, admin_id=admin_id, state=WAITING, deadline=deadline
    )
    db.session.add(pairing)
    db.session.flush()
    detail = f"on {charger.charge_box_id}, deadline {when(deadline)}"
    audit.record(action, "vehicle", vehicle_id, admin_id=admin_id, detail=detail)
    return pairing


def _expire_overdue(charger_id: int, vehicle_id: int) -> None:
    """Expire (inside a write) pairings on this charger or for this vehicle whose deadline passed unnoticed."""
    query = _waiting().where(sa.or_(PairingSession.charger_id == charger_id, PairingSession.vehicle_id == vehicle_id))
    for other in db.session.scalars(query):
        _expire_if_due(other)
    db.session.flush()  # frees the one-waiting partial indexes for our insert


def _conflict(charger_id: int, vehicle_id: int) -> str | None:
    """Say who blocks a new pairing: one still in time on this charger or for this vehicle (reads only)."""
    for other, on_charger in (
        (db.session.scalar(_waiting(charger_id=charger_id)), True),
        (db.session.scalar(_waiting(vehicle_id=vehicle_id)), False),
    ):
        if other is not None and other.deadline > utcnow():
            return _conflict_message(other, on_charger)
    return None


def cancel(session_id: int, admin_id: int | None = None) -> PairingSession:
    """Cancel a waiting pairing; raise ServiceError when it already ended."""
    with writing():
        session = get(session_id)
        ended = _expire_if_due(session) or session.state != WAITING
        if not ended:
            admin = db.session.get(Admin, admin_id) if admin_id else None
            _end(
                session,
                PairingState.CANCELLED,
                f"Cancelled by {admin.email if admin else 'an admin'}.",
                admin_id=admin_id,
            )
    if ended:
        raise ServiceError(f"This pairing already ended ({session.state}).")
    return session


def retry(session_id: int, admin_id: int | None = None) -> PairingSession:
    """Start a new pairing for the same vehicle on the same charger after one ended."""
    old = get(session_id)
    if old.state == WAITING:
        raise ServiceError("This pairing is still waiting.")
    return _start(old.vehicle_id, old.charger_id, admin_id, "pairing.retried")


# --- Hooks called by the OCPP side (services.authorization, services.charger_state) ---


def _waiting_id(charger_id: int) -> int | None:
    """Return the id of the pairing waiting on a charger: the cheap read every hook starts with (the hot path)."""
    return waiting_pairing_id(charger_id)


def on_identifier(charger_id: int, ident: Identifier) -> None:
    """Complete a pairing waiting on this charger with the identifier it reported, if one waits.

    Called before the vehicle lookup of the same request, so that request is answered Accepted.
    """
    if _waiting_id(charger_id) is None:
        return
    retired_old = False
    try:
        with writing():
            session = db.session.scalar(_waiting(charger_id=charger_id))
            if session is None or _expire_if_due(session):
                return
            session.received_raw, session.received_identifier = ident.raw[:64], ident.canonical
            try:
                old = vehicles.attach_identifier(session.vehicle, ident, charger_id, session.admin_id)
            except ServiceError as exc:
                _end(session, PairingState.FAILED, str(exc), ident=ident)
                return
            session.state, session.ended_at = PairingState.PAIRED, utcnow()
            retired_old = old is not None
    except IntegrityError:
        # Another charger completed a pairing with this identifier at the same instant (PostgreSQL).
        _fail_duplicate(charger_id, ident)
        return
    if retired_old:
        vehicles.clear_caches()


def _fail_duplicate(charger_id: int, ident: Identifier) -> None:
    """Fail the waiting pairing because its identifier just became active on another vehicle."""
    with writing():
        session = db.session.scalar(_waiting(charger_id=charger_id))
        if session is None:
            return
        session.received_raw, session.received_identifier = ident.raw[:64], ident.canonical
        holder = vehicles.active_with_identifier(ident.canonical)
        _end(
            session,
            PairingState.FAILED,
            vehicles.duplicate_message(ident, holder)
            if holder
            else f"Identifier {ident.display} was just paired elsewhere.",
            ident=ident,
        )


def on_card_presented(charger_id: int, token: str, token_type: str | None = None) -> None:
    """Note on a waiting pairing that an RFID card (or a malformed identifier) came instead; it keeps waiting."""
    if not token or _waiting_id(charger_id) is None:
        return
    with writing():
        session = db.session.scalar(_waiting(charger_id=charger_id))
        if session is None or _expire_if_due(session):
            return
        session.card_presented_at = utcnow()
        if identifiers.looks_like_vehicle(token, token_type):
            session.received_raw = token[:64]  # shown as "not a valid identifier" while received_identifier stays empty


def on_connector_status(charger_id: int, connector_id: int, status: str) -> None:
    """Note connector progress (Preparing / Occupied: cable plugged in) on a pairing waiting on this charger."""
    if status not in PLUGGED_STATUSES or _waiting_id(charger_id) is None:
        return
    with writing():
        session = db.session.scalar(_waiting(charger_id=charger_id))
        if session is not None and session.preparing_at is None and not _expire_if_due(session):
            session.preparing_at = utcnow()


def on_charger_offline(charger_id: int) -> None:
    """Fail a pairing waiting on a charger that went offline."""
    if _waiting_id(charger_id) is None:
        return
    with writing():
        for session in db.session.scalars(_waiting(charger_id=charger_id)):
            if not _expire_if_due(session):
                _end(
                    session,
                    PairingState.FAILED,
                    f"Charger {session.charger.charge_box_id} went offline before it reported "
                    "the vehicle's identifier.",
                )
