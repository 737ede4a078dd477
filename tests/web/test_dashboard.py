"""The Home screen: the fleet's figures, each a link to the table of exactly those rows, refreshed by htmx."""

import html as html_lib
import re
from datetime import datetime, timedelta

import pytest

from autocharge.db import utcnow, writing
from autocharge.models import Charger, Connector, PairingSession, Transaction, UnknownIdentifier, User, Vehicle
from autocharge.services import dashboard

HX = {"HX-Request": "true"}
FIGURE = re.compile(
    r'<a class="figure figure-\w+" href="([^"]*)">\s*<span class="figure-value">([^<]*)</span>'
    r'<span class="figure-label">([^<]*)</span>'
)


def add_charger(session, box: str, online: bool, registration: str = "accepted", seen: datetime | None = None):
    """Add a charger with one connector; return it."""
    charger = Charger(charge_box_id=box, registration=registration, online=online, last_seen=seen)
    session.add(charger)
    session.flush()
    session.add(Connector(charger_id=charger.id, connector_id=1, status="Available"))
    return charger


def add_tx(session, charger: Charger, start: datetime, energy: int, status: str = "completed", connector: int = 1):
    """Add a transaction on a charger's connector."""
    stop = None if status == "active" else start + timedelta(minutes=30)
    key = f"{charger.id}|{start.isoformat()}"
    session.add(
        Transaction(
            charger_id=charger.id,
            connector_id=connector,
            dedupe_key=key,
            status=status,
            start_time=start,
            stop_time=stop,
            energy_wh=energy,
        )
    )


@pytest.fixture
def fleet(app) -> dict:
    """Store a small fleet around now: every kind of charger, sessions today, this month and before, refusals."""
    now = utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_first = midnight.replace(day=1)
    with app.app_context(), writing() as session:
        online = add_charger(session, "CP-ON", True, seen=now)
        busy = add_charger(session, "CP-BUSY", True, seen=now)
        broken = add_charger(session, "CP-BROKEN", True, seen=now)
        session.add(Connector(charger_id=broken.id, connector_id=2, status="Faulted"))
        gone = add_charger(session, "CP-GONE", False, seen=now - timedelta(minutes=5))
        # Offline: its last reports (Faulted, a session charging) are no longer its state.
        session.add(Connector(charger_id=gone.id, connector_id=2, status="Faulted"))
        add_tx(session, gone, month_first - timedelta(days=2), 0, status="active")  # last month: in no period
        older = add_charger(session, "CP-OLDER", False, seen=now - timedelta(hours=3))
        add_charger(session, "CP-NEW", False, registration="pending", seen=now - timedelta(days=2))
        add_charger(session, "CP-NEVER", False, registration="pending")  # never connected: offline, not listed
        # Started a minute or two ago, yet today (a run in the first minutes after midnight once counted them as
        # yesterday's).
        add_tx(session, busy, max(now - timedelta(minutes=1), midnight + timedelta(seconds=1)), 1_500, status="active")
        add_tx(session, busy, max(now - timedelta(minutes=2), midnight), 0, status="active", connector=2)
        add_tx(session, busy, month_first - timedelta(days=3), 0, status="active")  # left open under the newer one
        add_tx(session, online, midnight, 2_000)
        add_tx(session, online, month_first, 10_000)  # today too on the 1st of a month
        add_tx(session, online, month_first - timedelta(seconds=1), 99_000)  # last month: in neither sum
        user = User(name="Pat Pairer", email="pat@example.com")
        session.add(user)
        session.flush()
        vehicle = Vehicle(user_id=user.id, plate="P-AIR 1", plate_key="PAIR1")
        session.add(vehicle)
        session.flush()
        session.add(PairingSession(vehicle_id=vehicle.id, charger_id=online.id, deadline=now + timedelta(minutes=3)))
        for kind, value, seen in (
            ("vehicle", "0A1B2C3D4E5F", now - timedelta(hours=1)),
            ("vehicle", "0A1B2C3D4E60", now - timedelta(hours=25)),  # older than 24 h: not counted
            ("rfid", "04A1B2C3", now - timedelta(minutes=1)),
        ):
            session.add(UnknownIdentifier(kind=kind, value=value, raw=value, reason="unknown", last_seen=seen))
        ids = {"gone": gone.id, "older": older.id}
    today_wh = 1_500 + 2_000 + (10_000 if now.day == 1 else 0)
    return {"ids": ids, "today_wh": today_wh, "month_wh": 13_500}


def figures_on(html: str) -> dict[str, tuple[str, str]]:
    """Return the page's figures: label -> (value, link)."""
    return {label: (value, html_lib.unescape(href)) for href, value, label in FIGURE.findall(html)}


def test_figures_of_a_seeded_fleet(app, fleet):
    with app.app_context():
        f = dashboard.figures()
    assert (f.chargers, f.online, f.offline, f.faulted, f.pending, f.connectors_charging) == (7, 3, 4, 1, 2, 2)
    assert (f.active_sessions, f.pairings_waiting, f.unknown_vehicles, f.unknown_tags) == (4, 1, 1, 1)
    assert (f.energy_today_wh, f.energy_month_wh) == (fleet["today_wh"], fleet["month_wh"])
    assert [c.charge_box_id for c in f.recently_offline] == ["CP-GONE", "CP-OLDER", "CP-NEW"]
    assert [(p.plate, p.charge_box_id) for p in f.waiting] == [("P-AIR 1", "CP-ON")]


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        ("2026-01-15", "2026-01-01", "2026-01-31"),
        ("2028-02-29", "2028-02-01", "2028-02-29"),
        ("2026-12-01", "2026-12-01", "2026-12-31"),
    ],
)
def test_month_bounds(day, first, last):
    assert dashboard.month_bounds(datetime.fromisoformat(day).date()) == (
        datetime.fromisoformat(first).date(),
        datetime.fromisoformat(last).date(),
    )


def pager_total(html: str, noun: str) -> int:
    """Return the total a table's pager states."""
    match = re.search(rf"(?:of )?([\d,]+) {noun}s?</span>", html)
    assert match, f"no {noun} count on the page"
    return int(match.group(1).replace(",", ""))


@pytest.mark.parametrize(
    ("label", "noun"),
    [
        ("online", "charger"),
        ("offline", "charger"),
        ("with a faulted connector", "charger"),
        ("pending registration", "charger"),
        ("active sessions", "transaction"),
    ],
)
def test_each_count_links_to_a_table_of_exactly_those_rows(logged_in, fleet, label, noun):
    shown = figures_on(logged_in.client.get("/").get_data(as_text=True))
    value, link = shown[label]
    table = logged_in.client.get(link)
    assert table.status_code == 200
    assert pager_total(table.get_data(as_text=True), noun) == int(value)


def test_connectors_charging_link_to_the_online_chargers_they_belong_to(logged_in, fleet):
    value, link = figures_on(logged_in.client.get("/").get_data(as_text=True))["connectors charging"]
    assert value == "2" and link == "/chargers/?status=charging&connection=online"
    listed = logged_in.client.get(link).get_data(as_text=True)
    assert re.findall(r'data-charge-box-id="([^"]+)"', listed) == ["CP-BUSY"]  # not CP-GONE: offline


def test_an_offline_chargers_last_faulted_report_is_not_a_fault(logged_in, fleet):
    shown = figures_on(logged_in.client.get("/").get_data(as_text=True))
    assert shown["with a faulted connector"][0] == "1"
    listed = logged_in.client.get("/chargers/?status=faulted").get_data(as_text=True)
    assert re.findall(r'data-charge-box-id="([^"]+)"', listed) == ["CP-BROKEN"]
    gone = logged_in.client.get("/chargers/?connection=offline&q=CP-GONE").get_data(as_text=True)
    assert "2 · Offline · last Faulted" in gone  # what the list shows for it instead


def test_energy_links_to_the_sessions_started_in_that_period(logged_in, fleet):
    shown = figures_on(logged_in.client.get("/").get_data(as_text=True))
    today = utcnow().date()
    (value, link), *_ = (v for label, v in shown.items() if label.startswith("delivered today"))
    assert value == f"{fleet['today_wh'] / 1000:,.1f} kWh"
    assert link == f"/transactions/?from={today}&to={today}"
    listed = logged_in.client.get(link).get_data(as_text=True)
    energies = re.findall(r'<td class="num">(\d+\.\d{3})</td>', listed)
    assert sum(float(e) for e in energies) * 1000 == pytest.approx(fleet["today_wh"])
    (value, link), *_ = (v for label, v in shown.items() if label.startswith("delivered this month"))
    assert value == f"{fleet['month_wh'] / 1000:,.1f} kWh"
    assert link.startswith(f"/transactions/?from={today.replace(day=1)}&to=")
    assert pager_total(logged_in.client.get(link).get_data(as_text=True), "transaction") == 4


def test_unknown_identifiers_and_pairings_link_to_their_rows(logged_in, fleet):
    html = logged_in.client.get("/").get_data(as_text=True)
    shown = figures_on(html)
    assert shown["unknown vehicle identifiers, last 24 h"] == ("1", "/unknown-identifiers/?kind=vehicle")
    assert shown["unknown RFID tags, last 24 h"] == ("1", "/unknown-identifiers/?kind=rfid")
    assert shown["pairings waiting"] == ("1", "#home-waiting")
    assert 'id="home-waiting"' in html and "P-AIR 1" in html and re.search(r'href="/pairing/\d+"', html)


def test_recently_offline_chargers_link_to_their_pages(logged_in, fleet):
    html = logged_in.client.get("/").get_data(as_text=True)
    for name in ("gone", "older"):
        assert f'href="/chargers/{fleet["ids"][name]}"' in html
    assert html.index("CP-GONE") < html.index("CP-OLDER")
    assert "CP-NEVER" not in html


def test_htmx_poll_gets_only_the_figures_partial(logged_in, fleet):
    page = logged_in.client.get("/")
    assert "HX-Request" in page.headers["Vary"] and "<html" in page.get_data(as_text=True)
    partial = logged_in.client.get("/", headers=HX)
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "HX-Request" in partial.headers["Vary"]
    assert "<html" not in html
    assert re.search(
        r'<div id="figures" hx-get="/" hx-trigger="every \d+ms" hx-ext="morph" hx-swap="morph:outerHTML">', html
    )
    assert figures_on(html) == figures_on(page.get_data(as_text=True))


def test_empty_fleet_says_how_to_add_a_charger(logged_in):
    html = logged_in.client.get("/").get_data(as_text=True)
    assert "No chargers yet" in html and 'href="/chargers/new"' in html and "add-charger" in html
    assert "No pairing waits" in html


def test_viewer_sees_figures_without_operator_links(app, client, logged_in, fleet):
    from autocharge.services import admins

    from .conftest import AuthActions

    with app.app_context():
        admins.create_admin("viewer@example.com", "viewer password long", role="viewer")
    viewer = AuthActions(app.test_client())
    assert viewer.login("viewer@example.com", "viewer password long").status_code == 302
    html = viewer.client.get("/").get_data(as_text=True)
    assert "P-AIR 1" in html and not re.search(r'href="/pairing/\d+"', html)


def test_login_lands_on_home(auth):
    response = auth.login()
    assert response.headers["Location"] == "/"
    page = auth.client.get("/")
    assert page.status_code == 200 and "<h1>Home</h1>" in page.get_data(as_text=True)
