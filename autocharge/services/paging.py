"""Paging and sorting the big tables: a counted page of ids, read from the cheaper end of the index."""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import Join

from ..extensions import db

PER_PAGE = 50
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Page:
    """One page of a counted result; `number` may lie past the last page (then there are no items)."""

    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Return how many pages there are (at least one, even when empty)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        """Tell whether a later page exists."""
        return self.number < self.pages

    @property
    def out_of_range(self) -> bool:
        """Tell whether the page asked for lies past the last one."""
        return self.number > self.pages

    @property
    def first_index(self) -> int:
        """Return the 1-based position of the page's first row (0 when it has none)."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        """Return the 1-based position of the page's last row."""
        return self.first_index + len(self.items) - 1 if self.items else 0


def clamp_per_page(per_page: int | None) -> int:
    """Return a usable page size."""
    return min(max(per_page or PER_PAGE, 1), MAX_PER_PAGE)


def contains_text(column, text: str):
    """Return "column contains text, ignoring case" in a form the database can run fast."""
    text = text.replace("\x00", "")  # no stored text holds a NUL, and PostgreSQL refuses one in a parameter
    # SQLite's LIKE already ignores ASCII case; lower() around it would only cost time.
    if db.engine.dialect.name == "sqlite":
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


def order(columns: Sequence, descending: bool) -> list:
    """Return ORDER BY clauses with one direction for every column (so one index serves them)."""
    return [c.desc() if descending else c.asc() for c in columns]


def count(query: sa.Select) -> int:
    """Return how many rows a SELECT gives."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def page_ids(query: sa.Select, columns: Sequence, descending: bool, total: int, number: int, per_page: int) -> list:
    """Return the ids of one page of `query` (a SELECT of ids) ordered by `columns`.

    A page in the second half is read backwards from the other end: the last page of a million rows
    then costs what the first does, instead of skipping 999,950 index entries.
    """
    offset = (number - 1) * per_page
    if offset >= total:
        return []
    if offset <= total // 2:
        return list(db.session.scalars(query.order_by(*order(columns, descending)).offset(offset).limit(per_page)))
    back_offset = max(total - offset - per_page, 0)
    limit = min(per_page, total - offset)
    rows = db.session.scalars(query.order_by(*order(columns, not descending)).offset(back_offset).limit(limit))
    return list(rows)[::-1]


def load_in_order(model, ids: list, *options) -> list:
    """Return the `model` rows with these ids, in the order of `ids`."""
    if not ids:
        return []
    found = {row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)).options(*options))}
    return [found[i] for i in ids if i in found]


class OrderedJoin(Join):
    """An inner JOIN whose left table SQLite must loop over first (CROSS JOIN); a plain JOIN elsewhere.

    Walking the left table's index in the page's order (users by name, then each user's sessions by index) finds
    one page without sorting the whole join, where SQLite's planner would otherwise start from the other table.
    """

    inherit_cache = True

    def __init__(self, left, right, onclause):
        super().__init__(sa.inspect(left).local_table, sa.inspect(right).local_table, onclause)


@compiles(OrderedJoin, "sqlite")
def _cross_join(join, compiler, **kw) -> str:
    """Render the join with SQLite's CROSS JOIN, which fixes its loop order."""
    return compiler.visit_join(join, **kw).replace(" JOIN ", " CROSS JOIN ", 1)
