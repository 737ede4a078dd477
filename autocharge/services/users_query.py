"""Finding users for the Users screen and its export: search, status filter, sort, counted pages."""

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import RfidTag, User, Vehicle
from ..models.statuses import UserStatus, VehicleStatus
from ..models.user import USER_STATUSES
from . import ServiceError
from .paging import Page, contains_text, count, load_in_order, order, page_ids

# Sortable columns; each ends with the id so equal values never swap places between pages.
SORTS = {
    "name": (User.name, User.id),
    "email": (User.email, User.id),
    "status": (User.status, User.name, User.id),
    "created": (User.created_at, User.id),
}
DEFAULT_SORT = "name"
EXPORT_BATCH = 2000


@dataclass(frozen=True)
class UserFilter:
    """What to narrow the users to: a search text (name, email, RFID tag, plate) and a status."""

    search: str = ""
    status: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in USER_STATUSES:
            raise ServiceError(f"Status must be one of {', '.join(USER_STATUSES)}.", field="status")


def _conditions(flt: UserFilter) -> list:
    """Return the WHERE conditions of a filter."""
    conditions = []
    if flt.status:
        conditions.append(User.status == flt.status)
    text = flt.search.strip()
    if text:
        key = "".join(ch for ch in text.upper() if ch not in " -")  # how plates and tags are stored
        # One id list from each source, so each can use its own index (PostgreSQL's trigram indexes).
        sources = [
            sa.select(User.id).where(contains_text(User.name, text)),
            sa.select(User.id).where(contains_text(User.email, text.lower())),
            sa.select(RfidTag.user_id).where(contains_text(RfidTag.tag, text.upper())),
        ]
        if key:
            plated = sa.select(Vehicle.user_id).where(
                contains_text(Vehicle.plate_key, key), Vehicle.status != VehicleStatus.RETIRED
            )
            sources.append(plated)
        conditions.append(User.id.in_(sa.union(*sources)))
    return conditions


def _sort_columns(sort: str) -> tuple:
    """Return the ORDER BY columns of a sort key; raise ServiceError for an unknown one."""
    if sort not in SORTS:
        raise ServiceError(f"Users can be sorted by {', '.join(SORTS)}.")
    return SORTS[sort]


def page(flt: UserFilter, sort: str = DEFAULT_SORT, descending: bool = False, number: int = 1, per_page: int = 50):
    """Return one counted page of matching users, with their RFID tags loaded."""
    columns = _sort_columns(sort)
    query = sa.select(User.id).where(*_conditions(flt))
    number = max(number, 1)
    if flt.search.strip():
        # A search scans the users anyway: one ordered scan gives both the count and the page.
        every = list(db.session.scalars(query.order_by(*order(columns, descending))))
        total, ids = len(every), every[(number - 1) * per_page : number * per_page]
    else:
        total = count(query)
        ids = page_ids(query, columns, descending, total, number, per_page)
    return Page(load_in_order(User, ids, selectinload(User.tags)), number, per_page, total)


def pick(search: str = "", limit: int = 20, status: str | None = UserStatus.ACTIVE) -> list[User]:
    """Return at most `limit` users by name that match a search (any when empty): the choices of a user picker."""
    query = sa.select(User).where(*_conditions(UserFilter(search=search, status=status)))
    return list(db.session.scalars(query.order_by(User.name, User.id).limit(limit)))


def plates_by_user(user_ids: list[int]) -> dict[int, list[Vehicle]]:
    """Return each user's current (pending or active) vehicles, by plate, for the Vehicles column."""
    if not user_ids:
        return {}
    query = (
        sa.select(Vehicle)
        .where(Vehicle.user_id.in_(user_ids), Vehicle.status != VehicleStatus.RETIRED)
        .order_by(Vehicle.plate, Vehicle.id)
    )
    found: dict[int, list[Vehicle]] = {}
    for vehicle in db.session.scalars(query):
        found.setdefault(vehicle.user_id, []).append(vehicle)
    return found


EXPORT_HEADER = ("id", "name", "email", "status", "created_utc")


def export_batches(flt: UserFilter, sort: str = DEFAULT_SORT, descending: bool = False) -> Iterator[list]:
    """Yield batches of (id, name, email, status, created) rows of every matching user, as the cursor reads them.

    Never vehicles, plates, RFID tags or identifiers: an export leaves the back office.
    """
    columns = _sort_columns(sort)
    created = sa.type_coerce(User.created_at, sa.String)  # the stored text on SQLite: see transactions_query
    query = (
        sa.select(User.id, User.name, User.email, User.status, created)
        .where(*_conditions(flt))
        .order_by(*order(columns, descending))
    )
    yield from db.session.connection().execution_options(yield_per=EXPORT_BATCH).execute(query).partitions()
