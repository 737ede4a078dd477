"""Finding users: search sources, status, sorts, counted pages read from either end, plates, export batches."""

import pytest

from autocharge.db import writing
from autocharge.models import Vehicle
from autocharge.services import ServiceError, users, users_query
from autocharge.services.users_query import UserFilter


@pytest.fixture
def people(app) -> list[int]:
    """Add 23 users (every third blocked) with tags and a plate on some; return ids in name order."""
    ids = []
    for n in range(23):
        user = users.add_user(f"Driver {n:02d}", f"d{n:02d}@example.com")
        ids.append(user.id)
        if n % 3 == 0:
            users.set_status(user.id, "blocked")
        if n % 5 == 0:
            users.add_tag(user.id, f"TAG{n:02d}")
    with writing() as session:
        session.add(Vehicle(user_id=ids[7], plate="HH-AB 77", plate_key="HHAB77", status="active"))
        session.add(Vehicle(user_id=ids[8], plate="HH-AB 78", plate_key="HHAB78", status="retired"))
    return ids


def every_page(flt: UserFilter, sort: str, descending: bool, per_page: int) -> list[int]:
    """Return the ids of all pages, first to last."""
    first = users_query.page(flt, sort, descending, 1, per_page)
    found = [u.id for u in first.items]
    for number in range(2, first.pages + 1):
        found += [u.id for u in users_query.page(flt, sort, descending, number, per_page).items]
    return found


@pytest.mark.parametrize("sort", list(users_query.SORTS))
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("search", ["", "example"])
def test_pages_neither_overlap_nor_skip_whichever_end_they_are_read_from(people, sort, descending, search):
    flt = UserFilter(search=search)
    expected = [u.id for u in users_query.page(flt, sort, descending, 1, 100).items]
    assert len(expected) == 23
    assert every_page(flt, sort, descending, 5) == expected


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (UserFilter(search="driver 0"), list(range(10))),
        (UserFilter(search="D05@EXAMPLE"), [5]),
        (UserFilter(search="tag1"), [10, 15]),
        (UserFilter(search="hh ab 7"), [7]),  # plates match without spaces or dashes; retired ones never
        (UserFilter(status="blocked"), [0, 3, 6, 9, 12, 15, 18, 21]),
        (UserFilter(search="tag", status="active"), [5, 10, 20]),
        (UserFilter(search="nobody"), []),
    ],
)
def test_filters(people, flt, expected):
    page = users_query.page(flt, per_page=50)
    assert [u.id for u in page.items] == [people[i] for i in expected] and page.total == len(expected)


def test_totals_and_out_of_range(people):
    page = users_query.page(UserFilter(), number=5, per_page=5)
    assert (page.total, page.pages, page.first_index, page.last_index, page.has_next) == (23, 5, 21, 23, False)
    past = users_query.page(UserFilter(), number=6, per_page=5)
    assert past.items == [] and past.out_of_range and past.first_index == 0


def test_refusals():
    with pytest.raises(ServiceError):
        UserFilter(status="deleted")
    with pytest.raises(ServiceError):
        users_query.page(UserFilter(), sort="password")


def test_plates_by_user_lists_current_vehicles(people):
    plates = users_query.plates_by_user([people[7], people[8], people[9]])
    assert {uid: [v.plate for v in vs] for uid, vs in plates.items()} == {people[7]: ["HH-AB 77"]}
    assert users_query.plates_by_user([]) == {}


def test_export_batches_stream_every_match(people, monkeypatch):
    monkeypatch.setattr(users_query, "EXPORT_BATCH", 4)
    batches = list(users_query.export_batches(UserFilter(status="blocked")))
    assert [len(b) for b in batches] == [4, 4]
    assert [row[0] for b in batches for row in b] == [people[i] for i in (0, 3, 6, 9, 12, 15, 18, 21)]
