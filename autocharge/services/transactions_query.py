"""Finding transactions for the screens and the export: filters, sorts, counted pages, one query builder."""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..db import writing
from ..extensions import db
from ..models import Charger, Transaction, User, Vehicle
from ..models.statuses import TransactionStatus
from ..models.transaction import ORIGINS
from . import NotFound, ServiceError, audit
from .paging import PER_PAGE, OrderedJoin, Page, contains_text, count, load_in_order, order, page_ids

STATUSES = tuple(TransactionStatus)
# Sortable columns, each ending in (start_time, id) or id so one index serves the whole ORDER BY.
# "charger" and "user" sort by name through a join; "user" is paged specially (see _user_sorted_ids).
SORTS = {
    "start": (Transaction.start_time, Transaction.id),
    "id": (Transaction.id,),
    "stop": (Transaction.stop_time, Transaction.id),
    "energy": (Transaction.energy_wh, Transaction.id),
    "origin": (Transaction.origin, Transaction.start_time, Transaction.id),
    "status": (Transaction.status, Transaction.start_time, Transaction.id),
    "charger": (Charger.charge_box_id, Transaction.start_time, Transaction.id),
    "user": (User.name, User.id, Transaction.start_time, Transaction.id),
}
DEFAULT_SORT = "start"
# Origin and status are too broad to be worth their index when the page is sorted by another column.
WALK_FROM_ROWS = 20_000  # fewer matching rows sort in a few ms; more are cheaper to find along the sort's index
SORTS_WITH_INDEX = ("energy", "stop", "charger", "user")  # other sorts lead with start_time or the filter
EXPORT_BATCH = 2000


@dataclass(frozen=True)
class TransactionFilter:
    """What to narrow the transactions to; every field left None means "any"."""

    charger_id: int | None = None
    user_id: int | None = None
    origin: str | None = None  # a key of ORIGINS
    status: str | None = None  # active / completed
    started_from: datetime | None = None  # naive UTC, inclusive
    started_before: datetime | None = None  # naive UTC, exclusive
    search: str = ""  # part of the user's name

    def __post_init__(self) -> None:
        if self.origin is not None and self.origin not in ORIGINS:
            raise ServiceError(f"Origin must be one of {', '.join(ORIGINS)}.", field="origin")
        if self.status is not None and self.status not in STATUSES:
            raise ServiceError(f"Status must be one of {', '.join(STATUSES)}.", field="status")


def conditions(flt: TransactionFilter | None, walk_sort: bool = False) -> list:
    """Return the WHERE conditions of a filter (`walk_sort`: keep SQLite off the origin and status indexes)."""
    flt = flt or TransactionFilter()
    found = []
    narrow = {Transaction.charger_id: flt.charger_id, Transaction.user_id: flt.user_id}
    found += [column == value for column, value in narrow.items() if value is not None]
    for column, value in ((Transaction.origin, flt.origin), (Transaction.status, flt.status)):
        if value is not None:
            # origin || '' = ? is the same test, but SQLite cannot answer it from an index, so it walks the
            # index of the sort instead: a third of a million rows is then never sorted for one page of 50. The ''
            # is typed String: as the column's Enum it would be refused for not being a status.
            found.append((column.concat(sa.literal("", sa.String)) if walk_sort else column) == value)
    if flt.started_from is not None:
        found.append(Transaction.start_time >= flt.started_from)
    if flt.started_before is not None:
        found.append(Transaction.start_time < flt.started_before)
    if flt.search.strip():
        # An id list from the users table, then the (user_id, start_time) index: no join over a million rows.
        found.append(Transaction.user_id.in_(sa.select(User.id).where(contains_text(User.name, flt.search.strip()))))
    return found


def build_query(flt: TransactionFilter | None = None) -> sa.Select:
    """Return the SELECT of transactions matching `flt`, newest first."""
    # The id breaks ties between equal start times so pages never overlap or skip rows.
    query = sa.select(Transaction).where(*conditions(flt))
    return query.order_by(Transaction.start_time.desc(), Transaction.id.desc())


def sort_columns(sort: str) -> tuple:
    """Return the ORDER BY columns of a sort key; raise ServiceError for an unknown one."""
    if sort not in SORTS:
        raise ServiceError(f"Transactions can be sorted by {', '.join(SORTS)}.")
    return SORTS[sort]


def page(
    flt: TransactionFilter | None = None,
    number: int = 1,
    per_page: int = PER_PAGE,
    sort: str = DEFAULT_SORT,
    descending: bool = True,
) -> Page:
    """Return one counted page of matching transactions with their charger, user and vehicle loaded."""
    columns = sort_columns(sort)
    number = max(number, 1)
    total = _count(flt)
    walk = _walks_sort(flt, sort, total)
    where = conditions(flt, walk_sort=walk)
    if sort == "user":
        ids = _user_sorted_ids(where, descending, total, number, per_page, walk)
    else:
        query = sa.select(Transaction.id).where(*where)
        if sort == "charger" and walk:
            query = query.select_from(OrderedJoin(Charger, Transaction, Charger.id == Transaction.charger_id))
        elif sort == "charger":
            query = query.join(Charger, Charger.id == Transaction.charger_id)
        ids = page_ids(query, columns, descending, total, number, per_page)
    options = (joinedload(Transaction.charger), joinedload(Transaction.user), joinedload(Transaction.vehicle))
    return Page(load_in_order(Transaction, ids, *options), number, per_page, total)


def _count(flt: TransactionFilter | None) -> int:
    """Return how many transactions match; completed ones as all minus the few active ones."""
    if flt is not None and flt.status == TransactionStatus.COMPLETED:
        # Nearly every session is completed: counting them read a million index entries (~300 ms at 1M rows),
        # while the rest of the filter's count plus the handful of active ones costs a fraction of that.
        # Exact because the status column holds only "active" and "completed" (its CHECK constraint).
        everything = count(sa.select(Transaction.id).where(*conditions(replace(flt, status=None))))
        return everything - count(
            sa.select(Transaction.id).where(*conditions(replace(flt, status=TransactionStatus.ACTIVE)))
        )
    return count(sa.select(Transaction.id).where(*conditions(flt)))


def _walks_sort(flt: TransactionFilter | None, sort: str, total: int) -> bool:
    """Tell whether a page is cheaper read along its sort's index than through a broad filter's (SQLite)."""
    if flt is None or db.engine.dialect.name != "sqlite" or sort not in SORTS_WITH_INDEX or total < WALK_FROM_ROWS:
        return False
    return flt.origin is not None or flt.status is not None


def _user_sorted_ids(
    where: list, descending: bool, total: int, number: int, per_page: int, walk: bool = False
) -> list[int]:
    """Return a page of ids by user name: sessions with no user first (ascending) or last (descending).

    Walking users by name and each user's sessions by index needs an inner join; the few sessions
    without a user are paged separately around it instead of a LEFT JOIN that sorts a million rows.
    """
    offset = (number - 1) * per_page
    if offset >= total:
        return []
    orphans = sa.select(Transaction.id).where(*where, Transaction.user_id.is_(None))
    orphan_count = count(orphans)
    named = sa.select(Transaction.id).where(*where)
    if walk:
        named = named.select_from(OrderedJoin(User, Transaction, User.id == Transaction.user_id))
    else:
        named = named.join(User, User.id == Transaction.user_id)
    parts = [(orphans, SORTS["start"], orphan_count), (named, SORTS["user"], total - orphan_count)]
    if descending:
        parts.reverse()
    ids: list[int] = []
    for query, columns, size in parts:
        if offset < size and len(ids) < per_page:
            wanted = per_page - len(ids)
            ids += db.session.scalars(query.order_by(*order(columns, descending)).offset(offset).limit(wanted))
        offset = max(offset - size, 0)
    return ids


EXPORT_HEADER = (
    "id",
    "charger",
    "evse",  # 2.0.1 only: its connector is numbered on the EVSE; empty for 1.6
    "connector",
    "user",
    "origin",
    "start_utc",
    "stop_utc",
    "duration_s",
    "energy_kwh",
    "status",
)


def export_batches(
    flt: TransactionFilter | None,
    sort: str = DEFAULT_SORT,
    descending: bool = True,
    with_vehicle: bool = False,
) -> Iterator[list]:
    """Yield batches of export rows of every matching transaction, as the cursor reads them.

    Columns: charger, EVSE (2.0.1), connector, user, origin, times, energy, status and, only when asked, the plate;
    never the id token or a vehicle identifier.
    """
    # Times come as the stored text on SQLite (parsing 2M datetimes would halve the export's speed);
    # PostgreSQL's driver hands datetimes whatever the type says. exports.py formats both.
    columns = [
        Transaction.id,
        Charger.charge_box_id,
        Transaction.evse_id,
        Transaction.connector_id,
        User.name,
        Transaction.origin,
        sa.type_coerce(Transaction.start_time, sa.String),
        sa.type_coerce(Transaction.stop_time, sa.String),
        Transaction.energy_wh,
        Transaction.status,
    ]
    query = (
        sa.select(*columns, *([Vehicle.plate] if with_vehicle else []))
        .join(Charger, Charger.id == Transaction.charger_id)
        .outerjoin(User, User.id == Transaction.user_id)
        .where(*conditions(flt))
        .order_by(*order(sort_columns(sort), descending))
    )
    if with_vehicle:
        query = query.outerjoin(Vehicle, Vehicle.id == Transaction.vehicle_id)
    # Core on the session's connection: no ORM work per row; yield_per streams with a bounded buffer.
    result = db.session.connection().execution_options(yield_per=EXPORT_BATCH).execute(query)
    yield from result.partitions()


def detail(tx_id: int) -> Transaction:
    """Return one transaction with its meter samples; raise NotFound."""
    query = (
        sa.select(Transaction)
        .where(Transaction.id == tx_id)
        .options(
            joinedload(Transaction.charger),
            joinedload(Transaction.user),
            joinedload(Transaction.vehicle),
            selectinload(Transaction.samples),
        )
    )
    tx = db.session.scalar(query)
    if tx is None:
        raise NotFound(f"Transaction {tx_id} does not exist.")
    return tx


def active_on_charger(charger_id: int) -> list[Transaction]:
    """Return the charger's transactions that have not stopped yet, by connector."""
    query = (
        build_query(TransactionFilter(charger_id=charger_id, status=TransactionStatus.ACTIVE))
        .options(joinedload(Transaction.user))
        .order_by(None)
        .order_by(Transaction.evse_id, Transaction.connector_id, Transaction.id)
    )
    return list(db.session.scalars(query))


def reveal_token(tx_id: int, admin_id: int) -> str:
    """Return the raw id token a transaction was started with, recording who looked; raise NotFound."""
    with writing():
        tx = db.session.get(Transaction, tx_id)
        if tx is None:
            raise NotFound(f"Transaction {tx_id} does not exist.")
        audit.record("transaction.token_revealed", "transaction", tx.id, admin_id=admin_id)
        return tx.id_token or ""
