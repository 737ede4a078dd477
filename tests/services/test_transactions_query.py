"""Finding transactions: filters, order and paging of the query the screens share."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import AuditEvent, Transaction
from autocharge.services import NotFound, ServiceError, admins, chargers, transactions_query, users
from autocharge.services.transactions_query import TransactionFilter

T0 = utcnow().replace(microsecond=0) - timedelta(days=2)


@pytest.fixture
def stored(app):
    """Store five transactions on two chargers for two users; return (ids oldest first, charger ids, user ids)."""
    cp1, cp2 = chargers.add_charger("CP-1").id, chargers.add_charger("CP-2").id
    alice, bob = users.add_user("Alice", "a@example.com").id, users.add_user("Bob", "b@example.com").id
    specs = [
        (cp1, alice, "rfid", "completed"),
        (cp1, bob, "app", "completed"),
        (cp2, alice, "autocharge", "completed"),
        (cp2, bob, "rfid", "active"),
        (cp1, alice, "autocharge", "active"),
    ]
    with writing() as session:
        rows = [
            Transaction(
                charger_id=c, user_id=u, origin=o, status=s, dedupe_key=str(i), start_time=T0 + timedelta(hours=i)
            )
            for i, (c, u, o, s) in enumerate(specs)
        ]
        session.add_all(rows)
    return [r.id for r in rows], (cp1, cp2), (alice, bob)


def _ids(flt=None, number=1, per_page=50):
    return [tx.id for tx in transactions_query.page(flt, number, per_page).items]


def test_newest_first(stored):
    ids, _, _ = stored
    assert _ids() == ids[::-1]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda c, u: TransactionFilter(charger_id=c[0]), [4, 1, 0]),
        (lambda c, u: TransactionFilter(user_id=u[1]), [3, 1]),
        (lambda c, u: TransactionFilter(origin="autocharge"), [4, 2]),
        (lambda c, u: TransactionFilter(status="active"), [4, 3]),
        (lambda c, u: TransactionFilter(charger_id=c[1], status="completed"), [2]),
        (
            lambda c, u: TransactionFilter(
                started_from=T0 + timedelta(hours=1), started_before=T0 + timedelta(hours=3)
            ),
            [2, 1],
        ),
    ],
)
def test_filters(stored, make, expected):
    ids, charger_ids, user_ids = stored
    assert _ids(make(charger_ids, user_ids)) == [ids[i] for i in expected]


@pytest.mark.parametrize("kwargs", [{"origin": "cash"}, {"status": "running"}])
def test_filter_refuses_unknown_values(kwargs):
    with pytest.raises(ServiceError):
        TransactionFilter(**kwargs)


def test_pages_neither_overlap_nor_skip(stored):
    ids, _, _ = stored
    pages = [transactions_query.page(None, n, 2) for n in (1, 2, 3)]
    assert [tx.id for p in pages for tx in p.items] == ids[::-1]
    assert [p.has_next for p in pages] == [True, True, False]


def test_active_on_charger(stored):
    ids, (cp1, cp2), _ = stored
    assert [tx.id for tx in transactions_query.active_on_charger(cp1)] == [ids[4]]
    assert [tx.id for tx in transactions_query.active_on_charger(cp2)] == [ids[3]]


def test_detail(stored):
    ids, _, _ = stored
    assert transactions_query.detail(ids[0]).charger.charge_box_id == "CP-1"
    with pytest.raises(NotFound):
        transactions_query.detail(999)


@pytest.fixture
def many(app):
    """Store 23 transactions over two chargers and three users (some with none), equal start times too."""
    cps = [chargers.add_charger("CP-B").id, chargers.add_charger("CP-A").id]
    people = [users.add_user(n, f"{n}@example.com").id for n in ("Zoe", "Adam", "Mia")]
    with writing() as session:
        session.add_all(
            Transaction(
                charger_id=cps[i % 2],
                user_id=None if i % 7 == 0 else people[i % 3],
                origin=("rfid", "app", "autocharge", None)[i % 4],
                status="active" if i % 5 == 0 else "completed",
                dedupe_key=f"m{i}",
                start_time=T0 + timedelta(hours=i // 2),  # pairs share a start time: the id breaks the tie
                stop_time=T0 + timedelta(hours=i // 2, minutes=i) if i % 5 else None,
                energy_wh=(i * 37) % 11,
                id_token=f"TOKEN{i}",
            )
            for i in range(23)
        )


def _all_pages(flt, sort, descending, per_page):
    first = transactions_query.page(flt, 1, per_page, sort, descending)
    found = [tx.id for tx in first.items]
    for number in range(2, first.pages + 1):
        found += [tx.id for tx in transactions_query.page(flt, number, per_page, sort, descending).items]
    return found


@pytest.mark.parametrize("sort", list(transactions_query.SORTS))
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("flt", [None, TransactionFilter(status="completed")])
def test_every_sort_pages_without_overlap_or_gap(many, sort, descending, flt):
    expected = [tx.id for tx in transactions_query.page(flt, 1, 100, sort, descending).items]
    assert len(expected) == transactions_query.page(flt, 1, 1, sort, descending).total
    assert len(set(expected)) == len(expected)
    assert _all_pages(flt, sort, descending, 4) == expected


def test_user_sort_puts_sessions_without_a_user_at_the_start_ascending(many):
    rows = transactions_query.page(None, 1, 100, "user", False).items
    names = [tx.user.name if tx.user else "" for tx in rows]
    assert names == sorted(names) and names[0] == "" and names[-1] == "Zoe"


def test_search_and_unknown_sort(many):
    page = transactions_query.page(TransactionFilter(search="zo"), 1, 100)
    assert page.total > 0 and {tx.user.name for tx in page.items} == {"Zoe"}
    with pytest.raises(ServiceError):
        transactions_query.page(None, 1, 10, "id_token")


def test_export_batches_carry_no_token(many):
    rows = [
        row
        for batch in transactions_query.export_batches(TransactionFilter(origin="rfid"), with_vehicle=True)
        for row in batch
    ]
    assert len(rows) == 6 and all(len(row) == 11 for row in rows)  # the export columns and the plate
    assert not any(str(value).startswith("TOKEN") for row in rows for value in row)


def test_reveal_token_is_audited(stored, admin_id):
    ids, _, _ = stored
    assert transactions_query.reveal_token(ids[0], admin_id) == ""
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.subject_type == "transaction", AuditEvent.subject_id == ids[0])
    )
    assert [(e.action, e.admin_id) for e in events] == [("transaction.token_revealed", admin_id)]
    with pytest.raises(NotFound):
        transactions_query.reveal_token(999, admin_id)


@pytest.fixture
def admin_id(app) -> int:
    """Create an admin; return its id."""
    return admins.create_admin("boss@example.com", "long enough password").id


@pytest.mark.parametrize("sort", transactions_query.SORTS_WITH_INDEX)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    "flt",
    [
        TransactionFilter(origin="rfid"),
        TransactionFilter(status="completed"),
        TransactionFilter(origin="app", status="completed"),
    ],
)
def test_walking_the_sort_index_gives_the_same_pages(many, monkeypatch, sort, descending, flt):
    monkeypatch.setattr(transactions_query, "WALK_FROM_ROWS", 10**9)  # never: the filter's index, then a sort
    expected = _all_pages(flt, sort, descending, 2)
    assert expected
    monkeypatch.setattr(transactions_query, "WALK_FROM_ROWS", 0)  # always (on SQLite): along the sort's index
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - before_cursor_execute(conn, cursor, sql, ...)
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert _all_pages(flt, sort, descending, 2) == expected
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    walked = [s for s in statements if "|| ''" in s or "|| ?" in s]
    if db.engine.dialect.name == "sqlite":
        assert walked, statements
        if sort in ("user", "charger"):
            assert any("CROSS JOIN" in s for s in walked), walked
    else:
        assert not walked  # PostgreSQL's planner needs no such help
