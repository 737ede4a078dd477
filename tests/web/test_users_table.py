"""The Users table: search, status filter, sorts, paging edges, the Vehicles column kept per admin."""

import re

import pytest


def names(html: str) -> list[str]:
    """Return the user names of the table's rows, top to bottom."""
    return re.findall(r'<tr id="user-\d+">\s*<td><a href="[^"]+">([^<]+)</a>', html)


def get(client, url: str) -> str:
    """Return the page's HTML, checking it answered 200."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


ALL = ["Alice Schmidt", "Bob Meyer", "Carol Jones"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        ("q=schmidt", ["Alice Schmidt"]),  # name, any case
        ("q=FLEET.example", ["Carol Jones"]),  # email
        ("q=04a1", ["Alice Schmidt"]),  # RFID tag
        ("q=bev 123", ["Alice Schmidt"]),  # active plate, spaces ignored
        ("q=m-van", ["Alice Schmidt"]),  # pending plate
        ("q=KOLD", []),  # a retired vehicle's plate no longer finds its former owner
        ("q=%25", []),  # LIKE wildcards are searched for literally
        ("q=_", []),
        ("status=blocked", ["Bob Meyer"]),
        ("status=active", ["Alice Schmidt", "Carol Jones"]),
        ("q=example&status=active", ["Alice Schmidt", "Carol Jones"]),
        ("sort=name&dir=desc", ALL[::-1]),
        ("sort=email&dir=asc", ALL),
        ("sort=status&dir=asc", ["Alice Schmidt", "Carol Jones", "Bob Meyer"]),
        ("sort=created&dir=desc", ALL[::-1]),
        ("sort=bogus", ALL),
    ],
)
def test_search_filter_sort(logged_in, fleet, query, expected):  # noqa: F811
    assert names(get(logged_in.client, f"/users/?{query}")) == expected


def test_no_match_and_bad_status(logged_in, fleet):  # noqa: F811
    assert "No users match this search." in get(logged_in.client, "/users/?q=zzz")
    html = get(logged_in.client, "/users/?status=deleted")
    assert "Status must be one of active, blocked." in html and names(html) == []


@pytest.mark.parametrize(
    ("page", "expected", "summary"),
    [(1, ALL[:2], "1–2 of 3 users"), (2, ALL[2:], "3–3 of 3 users"), ("nope", ALL[:2], "1–2 of 3 users")],
)
def test_paging(logged_in, fleet, page, expected, summary):  # noqa: F811
    html = get(logged_in.client, f"/users/?per_page=2&page={page}")
    assert names(html) == expected and summary in html and "Page " in html


def test_paging_a_search(logged_in, fleet):  # noqa: F811
    html = get(logged_in.client, "/users/?q=example&per_page=1&page=2&sort=name&dir=desc")
    assert names(html) == ["Bob Meyer"] and "2–2 of 3 users" in html
    assert 'href="/users/?q=example&amp;sort=name&amp;dir=desc&amp;per_page=1&amp;page=3"' in html


def test_out_of_range_page(logged_in, fleet):  # noqa: F811
    html = get(logged_in.client, "/users/?page=7")
    assert "Page 7 does not exist: there is only 1 page." in html and names(html) == []


def test_empty(logged_in):
    assert "No users yet." in get(logged_in.client, "/users/")


def test_vehicles_column_hidden_by_default_then_kept(logged_in, fleet):  # noqa: F811
    html = get(logged_in.client, "/users/")
    assert "B-EV 123" not in html and ">Vehicles</th>" not in html
    logged_in.post("/users/columns", {"vehicles": "1", "next": "/users/?q=alice"})
    html = get(logged_in.client, "/users/")
    assert ">Vehicles</th>" in html and "B-EV 123" in html and "M-VAN 7" in html and "pending" in html
    assert "K-OLD 1" not in html  # retired vehicles are not listed
    logged_in.logout()
    logged_in.login()
    assert "B-EV 123" in get(logged_in.client, "/users/")
    logged_in.post("/users/columns", {"next": "/users/"})
    assert ">Vehicles</th>" not in get(logged_in.client, "/users/")


def test_columns_refuses_an_open_redirect(logged_in, fleet):  # noqa: F811
    response = logged_in.post("/users/columns", {"next": "https://evil.example/"})
    assert response.headers["Location"] == "/users/"


def test_row_menu_keeps_its_actions(logged_in, fleet):  # noqa: F811
    html = get(logged_in.client, "/users/?q=alice")
    assert f'href="/transactions/?user={fleet.alice}">Transactions</a>' in html
    assert 'aria-haspopup="menu"' in html and ">Block</button>" in html
