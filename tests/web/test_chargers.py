"""The Chargers screen: the live list, adding chargers, registration, Auto Charge support, passwords."""

import re

import pytest
import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import Charger, Connector, Transaction, User
from autocharge.services import chargers, users


@pytest.fixture
def charger(app):
    """Add charger CP-1 with two connectors; return its id."""
    with app.app_context():
        charger = chargers.add_charger("CP-1", autocharge="supported")
        with writing() as session:
            charger = session.get(Charger, charger.id)
            charger.vendor, charger.model, charger.firmware, charger.ocpp_version = (
                "Alpitronic",
                "HYC300",
                "1.2.3",
                "1.6",
            )
            charger.online, charger.last_seen = True, utcnow()
            session.add_all(
                [
                    Connector(charger_id=charger.id, connector_id=n, status=s)
                    for n, s in ((0, "Available"), (1, "Available"), (2, "Faulted"))
                ]
            )
        return charger.id


def test_list_shows_charger_facts_and_polls_its_rows(logged_in, charger):
    page = logged_in.client.get("/chargers/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in (
        "CP-1",
        "Alpitronic",
        "HYC300",
        "1.2.3",
        "1.6",
        "Online",
        "just now",
        "1 · Available",
        "2 · Faulted",
        "Supported",
    ):
        assert text in html
    assert "0 · Available" not in html  # connector 0 is the charger itself
    assert 'hx-get="/chargers/" hx-trigger="every 2000ms"' in html
    assert "HX-Request" in page.headers["Vary"]


def test_refresh_scale_stretches_every_screen_refresh(app, logged_in, charger):
    app.config["AUTOCHARGE_REFRESH_SCALE"] = 2.5
    assert 'hx-get="/chargers/" hx-trigger="every 5000ms"' in logged_in.client.get("/chargers/").get_data(as_text=True)
    detail = logged_in.client.get(f"/chargers/{charger}").get_data(as_text=True)
    assert 'hx-trigger="every 5000ms"' in detail and 'hx-trigger="every 25000ms"' in detail  # status, events


ROWS_POLL = {"HX-Request": "true", "HX-Target": "charger-rows"}


def test_htmx_poll_gets_only_the_rows(logged_in, charger):
    page = logged_in.client.get("/chargers/", headers=ROWS_POLL)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.lstrip().startswith("<tr") and "<html" not in html and "<tbody" not in html
    assert "CP-1" in html
    assert "HX-Request" in page.headers["Vary"]


def test_poll_shows_a_charger_going_offline(app, logged_in, charger):
    with app.app_context(), writing() as session:
        session.get(Charger, charger).online = False
    html = logged_in.client.get("/chargers/", headers=ROWS_POLL).get_data(as_text=True)
    assert "Offline" in html and "Online" not in html


def test_empty_list_says_how_to_start(logged_in):
    assert "No chargers yet" in logged_in.client.get("/chargers/").get_data(as_text=True)


def test_add_charger(app, logged_in):
    response = logged_in.post("/chargers/new", {"charge_box_id": " CP-9 ", "password": "", "autocharge": "unsupported"})
    assert response.status_code == 302
    with app.app_context():
        charger = chargers.by_box_id("CP-9")
        assert charger.autocharge == "unsupported" and charger.password_hash is None
        assert response.headers["Location"] == f"/chargers/{charger.id}"
    page = logged_in.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Added charger CP-9. It connects to /ocpp/CP-9." in page


def test_add_charger_with_password(app, logged_in):
    logged_in.post("/chargers/new", {"charge_box_id": "CP-P", "password": "a" * 16, "autocharge": "unknown"})
    with app.app_context():
        assert chargers.check_charger_password(chargers.by_box_id("CP-P").password_hash, "a" * 16)


@pytest.mark.parametrize(
    ("box_id", "password", "autocharge", "field", "message"),
    [
        ("", "", "unknown", "charge_box_id", "A charge box id is 1-48 printable characters"),
        ("CP 1", "", "unknown", "charge_box_id", "A charge box id is 1-48 printable characters"),
        ("CP/1", "", "unknown", "charge_box_id", "A charge box id is 1-48 printable characters"),
        ("CP#1", "", "unknown", "charge_box_id", "A charge box id is 1-48 printable characters"),
        ("C" * 49, "", "unknown", "charge_box_id", "A charge box id is 1-48 printable characters"),
        ("CP-2", "short", "unknown", "password", "A charger password has 16-40 printable characters."),
        ("CP-2", "x" * 41, "unknown", "password", "A charger password has 16-40 printable characters."),
        ("CP-2", "", "maybe", "autocharge", "Auto Charge support must be one of"),
    ],
)
def test_add_charger_refuses_bad_input_next_to_the_field(app, logged_in, box_id, password, autocharge, field, message):
    response = logged_in.post(
        "/chargers/new", {"charge_box_id": box_id, "password": password, "autocharge": autocharge}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    if field != "autocharge":
        assert f'id="f-{field}-error"' in html
        assert 'aria-invalid="true"' in html
    assert f'value="{box_id}"' in html  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Charger)) == 0


def test_add_charger_refuses_a_taken_id(logged_in, charger):
    response = logged_in.post("/chargers/new", {"charge_box_id": "CP-1", "autocharge": "unknown"})
    assert response.status_code == 422
    assert "A charger with id CP-1 already exists." in response.get_data(as_text=True)


@pytest.fixture
def pending(app):
    """Add a charger that registered itself and waits for an admin; return its id."""
    with app.app_context():
        return chargers.add_charger("CP-NEW", registration="pending").id


@pytest.mark.parametrize("choice", ["accepted", "rejected"])
def test_accept_or_reject_a_pending_charger_from_the_list(app, logged_in, pending, choice):
    html = logged_in.client.get("/chargers/").get_data(as_text=True)
    assert "Pending" in html and ">Accept</button>" in html and ">Reject</button>" in html
    response = logged_in.post(
        f"/chargers/{pending}/registration", {"registration": choice, "next": "/chargers/", "confirmed": "yes"}
    )
    assert response.headers["Location"] == "/chargers/"
    with app.app_context():
        assert db.session.get(Charger, pending).registration == choice
    assert f"CP-NEW is now {choice}." in logged_in.client.get("/chargers/").get_data(as_text=True)


def test_registration_refuses_nonsense(app, logged_in, pending):
    response = logged_in.post(f"/chargers/{pending}/registration", {"registration": "maybe"}, follow_redirects=True)
    assert "registration must be one of" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Charger, pending).registration == "pending"


@pytest.mark.parametrize(("support", "label"), [("supported", "Supported"), ("unsupported", "Not supported")])
def test_set_autocharge_support(app, logged_in, pending, support, label):
    response = logged_in.post(f"/chargers/{pending}/autocharge", {"autocharge": support}, follow_redirects=True)
    assert f"Auto Charge support of CP-NEW: {label}." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Charger, pending).autocharge == support


def test_generated_password_is_shown_once_and_works(app, logged_in, charger):
    response = logged_in.post(f"/chargers/{charger}/password", {"action": "generate"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    start = html.index('id="new-password">') + len('id="new-password">')
    password = html[start : html.index("</code>", start)]
    assert 16 <= len(password) <= 40
    with app.app_context():
        assert chargers.check_charger_password(db.session.get(Charger, charger).password_hash, password)
    again = logged_in.client.get(f"/chargers/{charger}").get_data(as_text=True)
    assert password not in again and "Password set" in again


def test_rotating_replaces_the_password(app, logged_in, charger):
    first = logged_in.post(f"/chargers/{charger}/password", {"action": "generate"}).get_data(as_text=True)
    second = logged_in.post(f"/chargers/{charger}/password", {"action": "generate"}).get_data(as_text=True)
    assert "Rotate (generate new)" in second
    grab = lambda html: html.split('id="new-password">')[1].split("</code>")[0]  # noqa: E731
    assert grab(first) != grab(second)
    with app.app_context():
        stored = db.session.get(Charger, charger).password_hash
        assert chargers.check_charger_password(stored, grab(second))
        assert not chargers.check_charger_password(stored, grab(first))


def test_set_and_remove_password(app, logged_in, charger):
    response = logged_in.post(f"/chargers/{charger}/password", {"action": "set", "password": "s" * 20})
    assert "OCPP password set" in response.get_data(as_text=True)
    response = logged_in.post(
        f"/chargers/{charger}/password", {"action": "remove", "confirmed": "yes"}, follow_redirects=True
    )
    assert "CP-1 connects without a password now." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Charger, charger).password_hash is None


@pytest.mark.parametrize("password", ["", "too short", "y" * 41])
def test_set_password_refuses_bad_passwords(app, logged_in, charger, password):
    response = logged_in.post(f"/chargers/{charger}/password", {"action": "set", "password": password})
    assert response.status_code == 422
    assert "A charger password has 16-40 printable characters." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Charger, charger).password_hash is None


def test_detail_page_and_its_status_poll(logged_in, charger):
    html = logged_in.client.get(f"/chargers/{charger}").get_data(as_text=True)
    for text in ("CP-1", "Alpitronic", "HYC300", "1 · Available", "Start charging for", "Clear cache", "Soft reset"):
        assert text in html
    partial = logged_in.client.get(f"/chargers/{charger}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "1 · Available" in partial and "Start charging for" not in partial


def test_unknown_charger_is_404(logged_in):
    response = logged_in.client.get("/chargers/999")
    assert response.status_code == 404
    assert "Charger 999 does not exist." in response.get_data(as_text=True)


def test_status_shows_running_transactions_with_a_stop_button(app, logged_in, charger):
    with app.app_context():
        alice = users.add_user("Alice", "alice@example.com").id
        with writing() as session:
            tx = Transaction(
                charger_id=charger, connector_id=2, dedupe_key="x", user_id=alice, origin="app", energy_wh=1500
            )
            session.add(tx)
        tx_id = tx.id
    partial = logged_in.client.get(f"/chargers/{charger}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"Transaction {tx_id}</a>" in partial and "on connector 2" in partial and "for Alice" in partial
    assert "1.500 kWh" in partial
    assert f'name="transaction_id" value="{tx_id}"' in partial and f'aria-label="Stop transaction {tx_id}"' in partial


def test_a_2_0_1_charger_shows_its_evses_and_connectors(app, logged_in, charger):
    with app.app_context(), writing() as session:
        session.get(Charger, charger).ocpp_version = "2.0.1"
        session.execute(sa.delete(Connector).where(Connector.charger_id == charger))
        session.add(Connector(charger_id=charger, evse_id=1, connector_id=2, status="Occupied"))
        session.add(Transaction(charger_id=charger, evse_id=1, connector_id=2, dedupe_key="tx", ocpp_tx_id="tx"))
    partial = logged_in.client.get(f"/chargers/{charger}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "EVSE 1 · connector 2 · Occupied" in partial and "on EVSE 1 · connector 2" in partial
    assert "EVSE 1 · connector 2 · Occupied" in logged_in.client.get("/chargers/").get_data(as_text=True)


@pytest.fixture
def drivers(app) -> dict[str, int]:
    """Add active drivers Alice Schmidt and Bob Meyer and blocked Carl Schmidt; return their ids by first name."""
    with app.app_context():
        found = {
            name.split()[0]: users.add_user(name, email).id
            for name, email in (
                ("Alice Schmidt", "alice@example.com"),
                ("Bob Meyer", "bob@example.com"),
                ("Carl Schmidt", "carl@example.com"),
            )
        }
        users.set_status(found["Carl"], "blocked")
        return found


def offered(html: str) -> list[str]:
    """Return the names the start form's user choice offers."""
    choice = html.split('<select id="start-user"')[1].split("</select>")[0]
    return re.findall(r'<option value="\d+" ?(?:selected)?>([^(<]+) \(', choice)


def test_start_form_offers_active_users_and_searches_them(logged_in, charger, drivers):
    html = logged_in.client.get(f"/chargers/{charger}").get_data(as_text=True)
    assert offered(html) == ["Alice Schmidt", "Bob Meyer"]  # never the blocked one
    assert 'hx-trigger="search, keyup delay:200ms changed"' in html and 'form="user-search"' in html
    assert f'method="post" action="/chargers/{charger}/start"' in html and 'name="user_id"' in html
    found = logged_in.client.get(f"/chargers/{charger}/start-users?user_q=schmidt", headers={"HX-Request": "true"})
    partial = found.get_data(as_text=True)
    assert "<html" not in partial and offered(partial) == ["Alice Schmidt"]
    assert f'<option value="{drivers["Alice"]}" selected>' in partial  # the only match is chosen already


def test_user_search_works_without_javascript(logged_in, charger, drivers):
    response = logged_in.client.get(f"/chargers/{charger}/start-users?user_q=meyer")
    assert response.status_code == 302 and response.headers["Location"] == f"/chargers/{charger}?user_q=meyer"
    html = logged_in.client.get(response.headers["Location"]).get_data(as_text=True)
    assert offered(html) == ["Bob Meyer"] and 'value="meyer"' in html


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("", ["Alice Schmidt", "Bob Meyer"]),
        ("BOB@", ["Bob Meyer"]),
        ("carl", []),  # blocked
        ("%", []),
        ("_", []),
        ("x" * 500, []),
        ("<script>", []),
    ],
)
def test_user_search_inputs(logged_in, charger, drivers, search, expected):
    response = logged_in.client.get(f"/chargers/{charger}?user_q={search}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and offered(html) == expected
    assert "<script>" not in html.split('id="start-user-q"')[1].split(">")[0]


def test_start_form_offers_at_most_twenty_and_says_so(app, logged_in, charger):
    with app.app_context(), writing() as session:
        session.execute(sa.insert(User), [{"name": f"Driver {i:02d}", "email": f"d{i}@example.com"} for i in range(25)])
    html = logged_in.client.get(f"/chargers/{charger}").get_data(as_text=True)
    assert offered(html) == [f"Driver {i:02d}" for i in range(20)]
    assert "The first 20 active users by name; search to find others." in html


def test_detail_links_to_the_chargers_transactions(logged_in, charger):
    html = logged_in.client.get(f"/chargers/{charger}").get_data(as_text=True)
    assert f'href="/transactions/?charger={charger}"' in html


def test_detail_shows_the_last_refused_login(logged_in, charger, app):
    html = logged_in.client.get(f"/chargers/{charger}").get_data(as_text=True)
    assert "login-refused" not in html
    with app.app_context(), writing() as session:
        row = session.get(Charger, charger)
        row.login_refused_at, row.login_refused_from = utcnow().replace(year=2030, microsecond=0), "203.0.113.7"
        stamp = row.login_refused_at.strftime("%Y-%m-%d %H:%M:%S")
    html = logged_in.client.get(f"/chargers/{charger}").get_data(as_text=True)
    refused = html.split('id="login-refused">', 1)[1].split("</p>", 1)[0]
    assert " ".join(refused.split()) == (
        f"Last connect refused for a wrong or missing password: {stamp} UTC from 203.0.113.7."
    )
