"""The Transactions table: every filter, sort and paging edge, htmx partials, the Vehicle column, the detail page."""

import re

import pytest
import sqlalchemy as sa

from autocharge.extensions import db
from autocharge.models import Admin, AuditEvent
from web.tables_fixtures import IDENT_A


def ids(html: str) -> list[int]:
    """Return the transaction ids of the table's rows, top to bottom."""
    return [int(i) for i in re.findall(r'<tr id="transaction-(\d+)">', html)]


def get(client, url: str, **headers) -> str:
    """Return the page's HTML, checking it answered 200."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [6, 5, 4, 3, 2, 1, 0]),
        ("origin=autocharge", [6, 5, 1, 0]),
        ("origin=rfid", [2]),
        ("origin=app", [3]),
        ("status=active", [6, 5]),
        ("status=completed", [4, 3, 2, 1, 0]),
        ("from=2026-03-12", [6, 5, 4, 3, 2]),
        ("to=2026-03-11", [1, 0]),  # the To day is included
        ("from=2026-03-11&to=2026-03-11", [1]),
        ("from=2026-03-12&to=2026-03-14&origin=rfid", [2]),
        ("q=schmidt", [6, 2, 0]),
        ("q=SCHMIDT&status=active", [6]),
        ("q=nobody", []),
        ("origin=autocharge&status=completed&from=2026-03-10&to=2026-03-10", [0]),
    ],
)
def test_filters(logged_in, fleet, query, expected):  # noqa: F811
    assert ids(get(logged_in.client, f"/transactions/?{query}")) == [fleet.tx[i] for i in expected]


def test_charger_and_user_filters(logged_in, fleet):  # noqa: F811
    assert ids(get(logged_in.client, f"/transactions/?charger={fleet.cp2}")) == [fleet.tx[i] for i in (5, 3, 2)]
    html = get(logged_in.client, f"/transactions/?user={fleet.bob}&charger={fleet.cp1}")
    assert ids(html) == [fleet.tx[1]]
    assert "User: Bob Meyer" in html  # the chosen user is shown, with a way to drop it
    assert "Charger: CP-NORTH" in html and f'name="charger" value="{fleet.cp1}"' in html  # so is the charger
    assert '<select id="charger"' not in html  # never a list of every charger


def test_no_match_says_so(logged_in, fleet):  # noqa: F811
    html = get(logged_in.client, "/transactions/?origin=app&status=active")
    assert "No transactions match these filters." in html and "0 transactions" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "From date &#39;2026-13-01&#39; is not a date: use YYYY-MM-DD"),
        ("to=yesterday", "To date &#39;yesterday&#39; is not a date"),
        ("from=2026-3-1", "From date &#39;2026-3-1&#39; is not a date"),
        ("from=2026-03-12&to=2026-03-11", "The From date (2026-03-12) is after the To date (2026-03-11)."),
        ("origin=cash", "Origin must be one of autocharge, rfid, app."),
        ("status=running", "Status must be one of active, completed."),
        ("charger=abc", "The charger must be chosen from the list"),
        ("charger=999", "Charger 999 does not exist."),
        ("user=999", "User 999 does not exist."),
    ],
)
def test_bad_filters_give_a_message_not_an_error(logged_in, fleet, query, message):  # noqa: F811
    html = get(logged_in.client, f"/transactions/?{query}")
    assert message in html and 'role="alert"' in html and ids(html) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=start&dir=asc", [0, 1, 2, 3, 4, 5, 6]),
        ("sort=id&dir=desc", [6, 5, 4, 3, 2, 1, 0]),
        ("sort=energy&dir=desc", [2, 0, 1, 5, 3, 6, 4]),
        ("sort=energy&dir=asc", [4, 6, 3, 5, 1, 0, 2]),
        ("sort=charger&dir=asc", [0, 1, 4, 6, 2, 3, 5]),
        ("sort=user&dir=asc", [4, 0, 2, 6, 1, 5, 3]),  # no user first, then Alice, Bob, Carol
        ("sort=user&dir=desc", [3, 5, 1, 6, 2, 0, 4]),
        ("sort=origin&dir=asc", [0, 1, 5, 6, 3, 2, 4] if False else None),
        ("sort=status&dir=asc", [5, 6, 0, 1, 2, 3, 4]),
        ("sort=nonsense", [6, 5, 4, 3, 2, 1, 0]),  # an unknown sort falls back to newest first
    ],
)
def test_sorts(logged_in, fleet, query, expected):  # noqa: F811
    html = get(logged_in.client, f"/transactions/?{query}")
    if expected is None:  # origin: NULL sorts first on SQLite, last on PostgreSQL; check the known ones
        origins = [fleet.tx.index(i) for i in ids(html)]
        known = [i for i in origins if i != 4]
        assert known == [3, 0, 1, 5, 6, 2]  # app, autocharge (oldest first), rfid
        return
    assert ids(html) == [fleet.tx[i] for i in expected]


def test_sort_header_links_flip_and_keep_filters(logged_in, fleet):  # noqa: F811
    html = get(logged_in.client, "/transactions/?origin=autocharge&sort=energy&dir=desc")
    assert 'aria-sort="descending"' in html
    assert 'href="/transactions/?origin=autocharge&amp;sort=energy&amp;dir=asc"' in html
    assert 'hx-push-url="true"' in html


@pytest.mark.parametrize(
    ("page", "expected", "summary"),
    [
        (1, [6, 5, 4], "1–3 of 7 transactions"),
        (2, [3, 2, 1], "4–6 of 7 transactions"),
        (3, [0], "7–7 of 7 transactions"),  # the last page, read from the other end
        (0, [6, 5, 4], "1–3 of 7"),
        (-5, [6, 5, 4], "1–3 of 7"),
        ("x", [6, 5, 4], "1–3 of 7"),
    ],
)
def test_paging(logged_in, fleet, page, expected, summary):  # noqa: F811
    html = get(logged_in.client, f"/transactions/?per_page=3&page={page}")
    assert ids(html) == [fleet.tx[i] for i in expected] and summary in html


def test_paging_sorted_by_user_crosses_the_no_user_rows(logged_in, fleet):  # noqa: F811
    pages = [ids(get(logged_in.client, f"/transactions/?sort=user&per_page=2&page={n}")) for n in (1, 2, 3, 4)]
    assert sum(pages, []) == [fleet.tx[i] for i in (4, 0, 2, 6, 1, 5, 3)]


def test_out_of_range_page(logged_in, fleet):  # noqa: F811
    html = get(logged_in.client, "/transactions/?per_page=3&page=4")
    assert "Page 4 does not exist: there are only 3 pages." in html and "Go to the last page" in html
    assert 'href="/transactions/?per_page=3&amp;page=3"' in html and ids(html) == []


def test_htmx_gets_only_the_results_and_the_page_links_swap_them(logged_in, fleet):  # noqa: F811
    response = logged_in.client.get("/transactions/?origin=rfid", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="results"') and "<html" not in html
    assert ids(html) == [fleet.tx[2]] and "HX-Request" in response.headers["Vary"]
    restore = get(
        logged_in.client, "/transactions/?origin=rfid", **{"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore  # the back button after a cache miss gets the whole page


def test_vehicle_column_hidden_by_default_and_kept_per_admin(app, logged_in, fleet):  # noqa: F811
    html = get(logged_in.client, "/transactions/")
    assert "B-EV 123" not in html and ">Vehicle</th>" not in html
    assert 'name="vehicle" value="1" >' in html or 'name="vehicle" value="1"  >' in html or "checked" not in html
    response = logged_in.post("/transactions/columns", {"vehicle": "1", "next": "/transactions/?origin=autocharge"})
    assert response.status_code == 302 and response.headers["Location"] == "/transactions/?origin=autocharge"
    html = get(logged_in.client, "/transactions/?origin=autocharge")
    assert ">Vehicle</th>" in html and "B-EV 123" in html and "K-OLD 1" in html
    logged_in.logout()
    logged_in.login()
    assert "B-EV 123" in get(logged_in.client, "/transactions/")  # kept server-side, not in the session
    with app.app_context():
        assert db.session.scalar(sa.select(Admin.preferences))["transactions.columns"] == ["vehicle"]
    partial = logged_in.post(
        "/transactions/columns",
        {},
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/transactions/?origin=rfid"},
    ).get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="results"') and ">Vehicle</th>" not in partial
    assert ids(partial) == [fleet.tx[2]]  # the table of the URL the admin is on


def test_detail_has_chart_and_hides_the_token_until_revealed(app, logged_in, fleet):  # noqa: F811
    tx = fleet.tx[0]
    html = get(logged_in.client, f"/transactions/{tx}")
    assert 'class="session-chart"' in html and "B-EV 123" in html and "Auto charge" in html
    assert IDENT_A not in html and "Reveal" in html
    assert "hx-trigger" not in html.split('id="live"')[1].split(">")[0]  # completed: no polling
    revealed = logged_in.post(f"/transactions/{tx}/token", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"VID:{IDENT_A}" in revealed and "<html" not in revealed
    full = logged_in.post(f"/transactions/{tx}/token").get_data(as_text=True)
    assert f"VID:{IDENT_A}" in full and "<html" in full
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "transaction.token_revealed"))
        assert [(e.subject_type, e.subject_id) for e in events] == [("transaction", tx)] * 2


def test_reveal_needs_a_post_with_csrf(logged_in, fleet):  # noqa: F811
    assert logged_in.client.get(f"/transactions/{fleet.tx[0]}/token").status_code == 405
    assert logged_in.client.post(f"/transactions/{fleet.tx[0]}/token").status_code == 400
    assert logged_in.post("/transactions/999/token").status_code == 404


def test_active_detail_polls_until_completed(app, logged_in, fleet):  # noqa: F811
    from autocharge.db import utcnow, writing
    from autocharge.models import Transaction

    tx = fleet.tx[6]
    live = get(logged_in.client, f"/transactions/{tx}/live")
    assert f'hx-get="/transactions/{tx}/live" hx-trigger="every 3000ms" hx-ext="morph" hx-swap="morph"' in live
    assert "updating live" in live
    with app.app_context(), writing() as session:
        row = session.get(Transaction, tx)
        row.status, row.stop_time, row.energy_wh = "completed", utcnow(), 4321
    done = get(logged_in.client, f"/transactions/{tx}/live")
    assert "hx-trigger" not in done and "4.321 kWh" in done
