"""Reads that decide on a token a charger presents: vehicles by identifier, back-office starts, RFID tags.

Every Authorize and every start runs them; the ORM versions (entity loading, a lazy load of the user) cost several
times more per message. Each returns a row with attribute access, or None.
"""

import sqlalchemy as sa

from ..models import RemoteStart, RfidTag, User, Vehicle
from ..models.statuses import VehicleStatus
from .runner import constant, prebuilt, run

_VEHICLE = prebuilt(
    "tokens.active_vehicle",
    sa.select(Vehicle.id, Vehicle.user_id, User.status)
    .join(User, User.id == Vehicle.user_id)
    .where(Vehicle.identifier == sa.bindparam("p_ident"), Vehicle.status == constant(VehicleStatus.ACTIVE.value)),
)
_RETIRED = prebuilt(
    "tokens.any_vehicle_id",
    sa.select(Vehicle.id).where(Vehicle.identifier == sa.bindparam("p_ident")).limit(1),
)
_REMOTE = prebuilt(
    "tokens.remote_start_by_token",
    sa.select(RemoteStart.id, RemoteStart.charger_id, RemoteStart.expires_at, RemoteStart.user_id, User.status)
    .join(User, User.id == RemoteStart.user_id)
    .where(RemoteStart.id_token == sa.bindparam("p_token")),
)
_REMOTE_BY_ID = prebuilt(
    "tokens.remote_start_by_id",
    sa.select(RemoteStart.id, RemoteStart.charger_id, RemoteStart.user_id, User.status)
    .join(User, User.id == RemoteStart.user_id)
    .where(RemoteStart.id == sa.bindparam("p_id")),
)
_RFID = prebuilt(
    "tokens.user_by_tag",
    sa.select(User.id, User.status)
    .join(RfidTag, RfidTag.user_id == User.id)
    .where(RfidTag.tag == sa.bindparam("p_tag")),
)
_ACTIVE_VEHICLES = prebuilt(
    "tokens.active_vehicle_ids",
    sa.select(Vehicle.id)
    .where(Vehicle.user_id == sa.bindparam("p_user"), Vehicle.status == constant(VehicleStatus.ACTIVE.value))
    .limit(2),
)


def active_vehicle(identifier: str):
    """Return (id, user_id, status of its user) of the active vehicle carrying a canonical identifier."""
    return run(_VEHICLE, {"p_ident": identifier}).first()


def any_vehicle_id(identifier: str) -> int | None:
    """Return the id of a vehicle that carries or carried an identifier (a retired one), or None."""
    return run(_RETIRED, {"p_ident": identifier}).scalar()


def remote_start_by_token(token: str):
    """Return (id, charger_id, expires_at, user_id, status of its user) of the back-office start with this token."""
    return run(_REMOTE, {"p_token": token}).first()


def remote_start_by_id(remote_start_id: int):
    """Return (id, charger_id, user_id, status of its user) of a back-office start."""
    return run(_REMOTE_BY_ID, {"p_id": remote_start_id}).first()


def user_by_tag(tag: str):
    """Return (id, status) of the user holding an RFID tag (normalized)."""
    return run(_RFID, {"p_tag": tag}).first()


def active_vehicle_ids(user_id: int) -> list[int]:
    """Return the ids of a user's active vehicles, two at most (enough to tell whether there is only one)."""
    return run(_ACTIVE_VEHICLES, {"p_user": user_id}).scalars()
