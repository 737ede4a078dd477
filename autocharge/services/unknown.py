"""Identifiers that were refused: pairing a vehicle identifier directly (it was already seen: no plug-in), or giving
an RFID tag to its user."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..db import writing, writing_or
from ..extensions import db
from ..models import RfidTag, UnknownIdentifier, User, Vehicle
from ..models.statuses import IdentifierKind, VehicleStatus
from . import NotFound, ServiceError, audit, identifiers, pairing, users, users_query, vehicles
from .identifiers import Identifier
from .paging import PER_PAGE, Page, count, load_in_order, page_ids

KINDS = tuple(IdentifierKind)
MASK = "••"


def mask(canonical: str) -> str:
    """Show only the first two octets and the last one of an identifier (personal data): AA:BB:••:••:••:FF."""
    octets = identifiers.display(canonical).split(":")
    if len(octets) != 6:
        return MASK
    return ":".join(octets[:2] + [MASK] * 3 + octets[5:])


def masked(row: UnknownIdentifier) -> str:
    """Show a refused identifier or RFID tag with its middle hidden."""
    return mask(row.value) if row.kind == IdentifierKind.VEHICLE else mask_tag(row.value)


def mask_tag(tag: str) -> str:
    """Show an RFID tag with its middle hidden: AB••EF."""
    return tag[:2] + MASK * 2 + tag[-2:] if len(tag) > 6 else MASK


def find_users(query: str, limit: int = 20) -> list[User]:
    """Return users (any status) whose name, email, RFID tag or plate contains `query`: whose vehicle it may be."""
    text = (query or "").strip()
    return users_query.pick(text, limit, status=None) if text else []


def get(unknown_id: int) -> UnknownIdentifier:
    """Return an unknown identifier; raise NotFound."""
    row = db.session.get(UnknownIdentifier, unknown_id)
    if row is None:
        raise NotFound(f"Unknown identifier {unknown_id} does not exist (it may have been paired meanwhile).")
    return row


def page(kind: str = "vehicle", number: int = 1, per_page: int = PER_PAGE) -> Page:
    """Return one counted page of refused identifiers of one kind, most recently seen first, with their charger."""
    if kind not in KINDS:
        raise ServiceError(f"Kind must be one of {', '.join(KINDS)}.")
    query = sa.select(UnknownIdentifier.id).where(UnknownIdentifier.kind == kind)
    total = count(query)
    ids = page_ids(query, (UnknownIdentifier.last_seen, UnknownIdentifier.id), True, total, max(number, 1), per_page)
    return Page(load_in_order(UnknownIdentifier, ids, joinedload(UnknownIdentifier.charger)), number, per_page, total)


def reveal(unknown_id: int, admin_id: int | None = None) -> str:
    """Return the full identifier for display, recording who looked at it (identifiers are personal data)."""
    with writing():
        row = get(unknown_id)
        detail = f"{'vehicle identifier' if row.kind == IdentifierKind.VEHICLE else 'RFID tag'} {masked(row)}"
        audit.record("identifier.revealed", "unknown", row.id, admin_id=admin_id, detail=detail)
    return identifiers.display(row.value) if row.kind == IdentifierKind.VEHICLE else row.value


def pending_vehicles(user_id: int) -> list[Vehicle]:
    """Return a user's vehicles that still wait for an identifier."""
    return list(
        db.session.scalars(
            sa.select(Vehicle)
            .where(Vehicle.user_id == user_id, Vehicle.status == VehicleStatus.PENDING)
            .order_by(Vehicle.plate)
        )
    )


def _target_vehicle(user_id: int, vehicle_id: int | None, plate: str | None, admin_id: int | None) -> Vehicle:
    """Return the pending vehicle to pair (inside a write): one of the user's, or a new one with `plate`."""
    if vehicle_id and (plate or "").strip():
        raise ServiceError("Choose one of the user's vehicles or enter a new plate, not both.")
    if vehicle_id:
        vehicle = vehicles.get_for_user(user_id, vehicle_id)
        other = pairing.waiting_for_vehicle(vehicle.id)
        if other is not None:
            raise ServiceError(
                f"A pairing already waits for {vehicle.plate} on {other.charger.charge_box_id}; cancel it first.",
                field="vehicle_id",
            )
        return vehicle
    if not (plate or "").strip():
        raise ServiceError("Choose one of the user's vehicles waiting for pairing, or enter a new plate.")
    return vehicles.add_locked(user_id, vehicles.normalize_plate(plate), admin_id)


def pair_directly(
    unknown_id: int, user_id: int, vehicle_id: int | None = None, plate: str | None = None, admin_id: int | None = None
) -> Vehicle:
    """Pair a refused vehicle identifier with a user's pending vehicle (or a new one), with pairing's checks."""
    raced = ServiceError(
        "Another admin paired this identifier at the same moment; reload the Unknown identifiers to see where."
    )
    with writing_or(raced):
        row = get(unknown_id)
        if row.kind != IdentifierKind.VEHICLE:
            raise ServiceError("Only vehicle identifiers can be paired; this is an RFID tag.")
        vehicle = _target_vehicle(user_id, vehicle_id, plate, admin_id)
        audit.record(
            "pairing.started",
            "vehicle",
            vehicle.id,
            admin_id=admin_id,
            detail=f"directly from unknown identifiers ({mask(row.value)})",
        )
        old = vehicles.attach_identifier(vehicle, Identifier(row.value, row.raw), row.charger_id, admin_id)
    if old is not None:
        vehicles.clear_caches()
    return vehicle


def assign_tag(unknown_id: int, user_id: int, admin_id: int | None = None) -> RfidTag:
    """Give a refused RFID tag to a user and drop it from the unknown identifiers; raise ServiceError if it is taken."""
    raced = ServiceError("Another admin assigned this tag at the same moment; reload the Unknown identifiers.")
    with writing_or(raced) as session:
        row = get(unknown_id)
        if row.kind != IdentifierKind.RFID:
            raise ServiceError("Only RFID tags can be assigned to a user; pair a vehicle identifier with a vehicle.")
        value = users.normalize_tag(row.value)
        rfid = users.give_tag(user_id, value, admin_id, shown=masked(row), source=" (from unknown identifiers)")
        session.delete(row)
    return rfid
