"""A user's vehicles: adding, renaming the plate, retiring and replacing; the identifier is never edited here."""

import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import attributes

from ..db import utcnow, writing
from ..extensions import db
from ..models import AuditEvent, PairingSession, UnknownIdentifier, Vehicle
from ..models.statuses import IdentifierKind, PairingState, VehicleStatus
from . import NotFound, ServiceError, audit, link, local_auth, users
from .identifiers import Identifier

MAX_PLATE = 20
_PLATE_PUNCTUATION = set(" -.·")
STATUS_ORDER = {VehicleStatus.ACTIVE: 0, VehicleStatus.PENDING: 1, VehicleStatus.RETIRED: 2}


class IdentifierReadOnly(ServiceError):
    """Something tried to change a vehicle's identifier after it was set."""


# active_history loads the stored value first, so an expired (not yet loaded) identifier is still guarded. A trigger
# refuses the change in the database too, for UPDATE statements this event never sees (migration e6b2a4c8d0f5).
@event.listens_for(Vehicle.identifier, "set", active_history=True)
def _identifier_is_write_once(target: Vehicle, value, oldvalue, _initiator) -> None:
    """Refuse any change of an identifier once set, whatever code path tries it (defence behind the forms)."""
    if oldvalue in (None, attributes.NO_VALUE, attributes.NEVER_SET) or value == oldvalue:
        return
    raise IdentifierReadOnly("A vehicle's identifier is read-only once paired; add a replacement vehicle instead.")


@dataclass(frozen=True)
class Plate:
    """A license plate as shown (trimmed, upper-case) and the key it is compared by."""

    shown: str
    key: str


def normalize_plate(plate: str | None) -> Plate:
    """Return a plate's shown form and comparison key; raise ServiceError if it cannot be a plate.

    The key drops spaces, dashes and dots, so "ab-123 cd" and "AB 123CD" are the same plate.
    """
    text = unicodedata.normalize("NFKC", plate or "")
    if not text.isprintable():
        raise ServiceError("A license plate is one line of letters, digits, spaces, dashes and dots.", field="plate")
    shown = " ".join(text.upper().split())
    if not shown or len(shown) > MAX_PLATE:
        raise ServiceError(f"A license plate is 1-{MAX_PLATE} characters.", field="plate")
    if not all(c.isalnum() or c in _PLATE_PUNCTUATION for c in shown):
        raise ServiceError("A license plate has only letters, digits, spaces, dashes and dots.", field="plate")
    key = "".join(c for c in shown if c.isalnum())
    if not key:
        raise ServiceError("A license plate needs at least one letter or digit.", field="plate")
    return Plate(shown, key)


def get(vehicle_id: int) -> Vehicle:
    """Return a vehicle; raise NotFound."""
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"Vehicle {vehicle_id} does not exist.")
    return vehicle


def get_for_user(user_id: int, vehicle_id: int) -> Vehicle:
    """Return one of a user's vehicles; raise NotFound if it is not theirs."""
    vehicle = get(vehicle_id)
    if vehicle.user_id != user_id:
        raise NotFound(f"Vehicle {vehicle_id} does not belong to this user.")
    return vehicle


def list_for_user(user_id: int) -> list[Vehicle]:
    """Return a user's vehicles: active, then pending, then retired; newest first within each."""
    rows = db.session.scalars(sa.select(Vehicle).where(Vehicle.user_id == user_id).order_by(Vehicle.id.desc()))
    return sorted(rows, key=lambda v: STATUS_ORDER.get(v.status, 9))


def replaced_by(vehicle_ids: list[int]) -> dict[int, Vehicle]:
    """Return, for each of these vehicles that has one, the newest vehicle added as its replacement."""
    if not vehicle_ids:
        return {}
    rows = db.session.scalars(sa.select(Vehicle).where(Vehicle.replaces_id.in_(vehicle_ids)).order_by(Vehicle.id))
    return {v.replaces_id: v for v in rows}


def describe_owner(vehicle: Vehicle) -> str:
    """Say whose vehicle this is, for refusals: 'AB-123 of Jane Doe (jane@example.com)'."""
    return f"{vehicle.plate} of {vehicle.user.name} ({vehicle.user.email})"


def _plate_holder(key: str, except_id: int | None = None) -> Vehicle | None:
    """Return the active or pending vehicle that has this plate key, if any."""
    query = sa.select(Vehicle).where(Vehicle.plate_key == key, Vehicle.status != VehicleStatus.RETIRED)
    if except_id is not None:
        query = query.where(Vehicle.id != except_id)
    return db.session.scalar(query)


def _plate_taken_message(holder: Vehicle, user_id: int) -> str:
    """Explain why a plate cannot be used: it is already current on this or another user's vehicle."""
    if holder.user_id == user_id:
        return f"This user already has a {holder.status} vehicle with plate {holder.plate}."
    return (
        f"Plate {holder.plate} is already {holder.status} for another user, {holder.user.name} "
        f"({holder.user.email}). A vehicle belongs to one user; retire it there first."
    )


def _check_replacement(user_id: int, replaces_id: int) -> Vehicle:
    """Return the vehicle to be replaced; raise ServiceError unless it is this user's active vehicle."""
    old = get_for_user(user_id, replaces_id)
    if old.status != VehicleStatus.ACTIVE:
        raise ServiceError(f"Only an active vehicle can be replaced; {old.plate} is {old.status}.", field="replaces")
    pending = db.session.scalar(
        sa.select(Vehicle).where(Vehicle.replaces_id == old.id, Vehicle.status == VehicleStatus.PENDING)
    )
    if pending is not None:
        raise ServiceError(
            f"{pending.plate} is already waiting to replace {old.plate}; pair or retire it first.", field="replaces"
        )
    return old


def add_locked(user_id: int, plate: Plate, admin_id: int | None = None, replaces_id: int | None = None) -> Vehicle:
    """Add a pending vehicle inside the caller's write transaction; raise ServiceError if refused."""
    user = users.get(user_id)
    old = _check_replacement(user_id, replaces_id) if replaces_id else None
    holder = _plate_holder(plate.key)
    if holder is not None:
        raise ServiceError(_plate_taken_message(holder, user_id), field="plate")
    vehicle = Vehicle(
        user_id=user.id,
        plate=plate.shown,
        plate_key=plate.key,
        status=VehicleStatus.PENDING,
        replaces_id=old.id if old else None,
    )
    db.session.add(vehicle)
    db.session.flush()
    detail = vehicle.plate + (f", replacing {old.plate}" if old else "")
    audit.record("vehicle.added", "vehicle", vehicle.id, admin_id=admin_id, detail=detail)
    return vehicle


def add_vehicle(user_id: int, plate: str, admin_id: int | None = None, replaces_id: int | None = None) -> Vehicle:
    """Add a pending vehicle (optionally as the replacement of an active one); raise ServiceError if refused."""
    normal = normalize_plate(plate)
    try:
        with writing():
            vehicle = add_locked(user_id, normal, admin_id, replaces_id)
    except IntegrityError:  # another admin added the same plate between our check and our insert
        raise ServiceError(plate_taken(normal, user_id), field="plate") from None
    return vehicle


def plate_taken(plate: Plate, user_id: int) -> str:
    """Explain, after a lost insert race, who holds the plate now."""
    holder = _plate_holder(plate.key)
    return _plate_taken_message(holder, user_id) if holder else f"Plate {plate.shown} was just taken."


def rename_vehicle(vehicle_id: int, plate: str, admin_id: int | None = None) -> Vehicle:
    """Correct a vehicle's license plate (the identifier is not editable, here or anywhere)."""
    normal = normalize_plate(plate)
    try:
        with writing():
            vehicle = get(vehicle_id)
            if vehicle.status == VehicleStatus.RETIRED:
                raise ServiceError("A retired vehicle is kept as it was; its plate cannot change.", field="plate")
            holder = _plate_holder(normal.key, except_id=vehicle.id)
            if holder is not None:
                raise ServiceError(_plate_taken_message(holder, vehicle.user_id), field="plate")
            if vehicle.plate != normal.shown:
                audit.record(
                    "vehicle.updated",
                    "vehicle",
                    vehicle.id,
                    admin_id=admin_id,
                    detail=f"plate {vehicle.plate} -> {normal.shown}",
                )
                vehicle.plate, vehicle.plate_key = normal.shown, normal.key
    except IntegrityError:
        raise ServiceError(plate_taken(normal, vehicle.user_id), field="plate") from None
    return vehicle


def retire_locked(vehicle: Vehicle, admin_id: int | None, detail: str | None = None) -> None:
    """Retire a vehicle inside the caller's write transaction, ending any pairing that waits for it."""
    if vehicle.status == VehicleStatus.ACTIVE:  # its identifier leaves the chargers' local lists
        local_auth.changed_locked("vehicle", vehicle.identifier, None)
    vehicle.status, vehicle.retired_at = VehicleStatus.RETIRED, utcnow()
    waiting = db.session.scalar(
        sa.select(PairingSession).where(
            PairingSession.vehicle_id == vehicle.id, PairingSession.state == PairingState.WAITING
        )
    )
    if waiting is not None:
        waiting.state, waiting.ended_at = PairingState.CANCELLED, utcnow()
        waiting.failure_reason = "The vehicle was retired."
        audit.record("pairing.cancelled", "vehicle", vehicle.id, admin_id=admin_id, detail=waiting.failure_reason)
    audit.record("vehicle.retired", "vehicle", vehicle.id, admin_id=admin_id, detail=detail or vehicle.plate)


def retire_vehicle(vehicle_id: int, admin_id: int | None = None) -> tuple[Vehicle, int]:
    """Retire a vehicle: its identifier stays on record but stops authenticating now, on every charger.

    Return the vehicle and how many online chargers were asked to clear their authorization cache.
    """
    with writing():
        vehicle = get(vehicle_id)
        if vehicle.status == VehicleStatus.RETIRED:
            raise ServiceError(f"{vehicle.plate} is already retired.")
        had_identifier = vehicle.status == VehicleStatus.ACTIVE
        retire_locked(vehicle, admin_id)
    return vehicle, clear_caches() if had_identifier else 0


def active_with_identifier(canonical: str) -> Vehicle | None:
    """Return the active vehicle carrying this identifier, if any."""
    return db.session.scalar(
        sa.select(Vehicle).where(Vehicle.identifier == canonical, Vehicle.status == VehicleStatus.ACTIVE)
    )


def duplicate_message(ident: Identifier, holder: Vehicle) -> str:
    """Explain that an identifier is already active on another vehicle: which plate, which user."""
    return (
        f"Identifier {ident.display} is already active on vehicle {describe_owner(holder)}. "
        "An identifier is active on one vehicle only; retire that vehicle first if the car changed hands."
    )


def attach_identifier(
    vehicle: Vehicle, ident: Identifier, charger_id: int | None, admin_id: int | None
) -> Vehicle | None:
    """Store a reported identifier on a pending vehicle (inside the caller's write) and make it active.

    Raise ServiceError when the vehicle is no longer pending or the identifier is active elsewhere.
    Return the vehicle this one replaced when it was retired now, so the caller clears the chargers' caches.
    """
    if vehicle.status != VehicleStatus.PENDING or vehicle.identifier:
        raise ServiceError(f"{vehicle.plate} is {vehicle.status} and cannot take an identifier now.")
    old = vehicle.replaces if vehicle.replaces is not None and vehicle.replaces.status == VehicleStatus.ACTIVE else None
    holder = active_with_identifier(ident.canonical)
    # The car being replaced may come back under a new plate with the same identifier; anything else is a clash.
    if holder is not None and holder is not old:
        raise ServiceError(duplicate_message(ident, holder))
    if old is not None:
        retire_locked(old, admin_id, detail=f"{old.plate}, replaced by {vehicle.plate}")
        audit.record("vehicle.replaced", "vehicle", old.id, admin_id=admin_id, detail=f"by {vehicle.plate}")
        db.session.flush()  # retire first: the partial unique index must never see two active holders
    vehicle.identifier, vehicle.identifier_raw = ident.canonical, ident.raw[:64]
    vehicle.randomized_mac = ident.randomized
    vehicle.status, vehicle.paired_at, vehicle.paired_charger_id = VehicleStatus.ACTIVE, utcnow(), charger_id
    local_auth.changed_locked("vehicle", ident.canonical, local_auth.list_status(vehicle.user.status))
    db.session.execute(
        sa.delete(UnknownIdentifier).where(
            UnknownIdentifier.kind == IdentifierKind.VEHICLE, UnknownIdentifier.value == ident.canonical
        )
    )
    warning = ", randomised MAC" if ident.randomized else ""
    audit.record(
        "pairing.completed",
        "vehicle",
        vehicle.id,
        admin_id=admin_id,
        detail=f"identifier {ident.masked}{warning}",  # personal data: masked, as everywhere in the trail
    )
    return old


def clear_caches() -> int:
    """Ask every online charger to drop its authorization cache, so a cached Accepted cannot outlive a retirement.

    Called after the write transaction: it sends on sockets (never I/O inside writing()).
    """
    return link.current().everywhere("clear_cache")


def trail_for_user(user_id: int, limit: int = 200) -> list[tuple[AuditEvent, str]]:
    """Return the audit events about a user's vehicles, newest first, each with the vehicle's plate."""
    plates = dict(db.session.execute(sa.select(Vehicle.id, Vehicle.plate).where(Vehicle.user_id == user_id)).all())
    if not plates:
        return []
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.subject_type == "vehicle", AuditEvent.subject_id.in_(list(plates)))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [(e, plates[e.subject_id]) for e in events]
