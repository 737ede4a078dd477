"""Every screen on a phone (390 px) and a laptop (1366 px): no sideways page scroll, no serious axe-core violation,
a navigation that folds away, row menus inside the viewport, and live updates that leave the focus where it is."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from autocharge.db import utcnow, writing
from autocharge.models import Transaction
from autocharge.services import chargers, identifiers, pairing, users, vehicles
from autocharge.simulator import Simulator

from .conftest import LAPTOP, PHONE, log_in, overflow, serious_violations

TAG = "04A1B2C3"
VID = "0A1B2C3D4E5F"
STRANGER = "AABBCCDDEEFF"


@dataclass
class World:
    """The ids of the seeded records, for building the screens' URLs, and the charger where the pairing waits."""

    charger: int
    alice: int
    bob: int
    pending_vehicle: int
    pairing: int
    transaction: int
    cp2: Simulator


@pytest.fixture
def world(sqlite_app, server):
    """Seed two online chargers, a running session, a paired and two pending vehicles, a waiting pairing and an
    unknown identifier, through the services and two simulated chargers; close the chargers afterwards."""
    with sqlite_app.app_context():
        cp1 = chargers.add_charger("CP-1", autocharge="supported").id
        cp2 = chargers.add_charger("CP-2", autocharge="supported").id
        alice = users.add_user("Alice Schmidt", "alice@example.com").id
        users.add_tag(alice, TAG)
        bob = users.add_user("Bob Meyer", "bob@example.com").id
        paired = vehicles.add_vehicle(alice, "B-EV 123").id
        with writing():
            vehicles.attach_identifier(vehicles.get(paired), identifiers.from_token(f"VID:{VID}"), cp1, None)
        pending = vehicles.add_vehicle(alice, "B-EV 456").id
        waiting_vehicle = vehicles.add_vehicle(bob, "M-AB 789").id
    sims = [Simulator(server.ws_url, box, "1.6") for box in ("CP-1", "CP-2")]
    for sim in sims:
        sim.connect()
        sim.boot()
        sim.status(1, "Available")
    cp1_sim = sims[0]
    cp1_sim.plug_in(1)
    cp1_sim.start_transaction(1, id_tag=TAG, meter_start=1000)
    cp1_sim.meter_values(2500, power_w=11000)
    cp1_sim.authorize(vid=STRANGER)  # refused: listed under Unknown identifiers
    with sqlite_app.app_context():
        session = pairing.start(waiting_vehicle, cp2).id
    yield World(cp1, alice, bob, pending, session, int(cp1_sim.transaction_id), sims[1])
    for sim in sims:
        sim.close()


@pytest.fixture
def signed_in(page, world) -> Page:
    """Return a page logged in as the admin, with the world seeded (wherever the login lands)."""
    log_in(page)
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def screens(w: World) -> dict[str, str]:
    """Return every screen of the back office (name -> path) for the seeded world."""
    return {
        "home": "/",
        "chargers": "/chargers/",
        "add charger": "/chargers/new",
        "charger": f"/chargers/{w.charger}",
        "charger events": f"/chargers/{w.charger}/events",
        "charger device model": f"/chargers/{w.charger}/device-model",
        "users": "/users/",
        "add user": "/users/new",
        "user edit": f"/users/{w.alice}/edit",
        "vehicles": f"/users/{w.alice}/vehicles/",
        "add vehicle": f"/users/{w.alice}/vehicles/new",
        "pair": f"/users/{w.alice}/vehicles/{w.pending_vehicle}/pair",
        "pairing panel": f"/pairing/{w.pairing}",
        "transactions": "/transactions/",
        "transaction": f"/transactions/{w.transaction}",
        "unknown identifiers": "/unknown-identifiers/",
        "admins": "/admins/",
        "audit": "/audit/",
        "my account": "/account",
    }


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_every_screen_fits_and_passes_axe(signed_in, world, browser, server, viewport):
    page = signed_in
    page.set_viewport_size(viewport)
    problems = {}
    for name, path in screens(world).items():
        page.goto(path)
        found = serious_violations(page)
        if overflow(page) > 0:
            found.append(f"scrolls sideways by {overflow(page)}px")
        if found:
            problems[name] = found
    # The login screen, signed out.
    context = browser.new_context(base_url=server.url, viewport=viewport)
    login = context.new_page()
    login.goto("/login")
    found = serious_violations(login) + ([f"scrolls sideways by {overflow(login)}px"] if overflow(login) > 0 else [])
    if found:
        problems["login"] = found
    context.close()
    assert not problems, "\n".join(f"{name}: {found}" for name, found in problems.items())


def test_transactions_table_shows_every_column_at_1366(signed_in, world, sqlite_app):
    with sqlite_app.app_context(), writing() as session:
        driver = users.add_user("Maximilian Alexander Schneider-Hoffmann", "max@example.com")
        start = utcnow().replace(microsecond=0) - timedelta(hours=3)
        session.add(
            Transaction(
                charger_id=world.charger,
                user_id=driver.id,
                origin="rfid",
                status="completed",
                dedupe_key="seeded",
                start_time=start,
                stop_time=start + timedelta(minutes=95),
                meter_start=0,
                meter_stop=31_500,
                energy_wh=31_500,
            )
        )
    page = signed_in
    page.set_viewport_size(LAPTOP)
    page.goto("/transactions/")
    page.locator("summary", has_text="Columns").click()
    with page.expect_response(lambda response: "/transactions/columns" in response.url):
        page.get_by_label("Vehicle", exact=True).check()
    page.keyboard.press("Escape")
    expect(page.locator("#transactions thead th")).to_have_count(11)
    wrap = page.locator("#results .table-wrap")
    assert wrap.evaluate("el => el.scrollWidth - el.clientWidth") == 0
    status = page.locator("#transactions thead th").last
    expect(status).to_contain_text("Status")
    assert status.bounding_box()["x"] + status.bounding_box()["width"] <= LAPTOP["width"]


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_row_menu_of_a_one_row_table_shows_all_its_items(signed_in, world, viewport):
    page = signed_in
    page.set_viewport_size(viewport)
    page.goto("/users/?q=Bob")
    expect(page.locator("#users tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Actions for Bob Meyer").click()
    items = page.get_by_role("menu", name="Actions for Bob Meyer").get_by_role("menuitem")
    expect(items).to_have_count(4)  # Vehicles, Transactions, Edit, Block
    for item in items.all():
        box = item.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0
        assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]
        # Not clipped by the table's scrolling container: the item itself is what a tap at its middle reaches.
        at = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
        assert item.evaluate("(el, at) => el.contains(document.elementFromPoint(at.x, at.y))", at), item.inner_text()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Actions for Bob Meyer")).to_be_focused()


def test_navigation_folds_away_on_a_phone_and_works_by_keyboard(signed_in, world):
    page = signed_in
    page.set_viewport_size(PHONE)
    page.goto("/users/")
    nav = page.get_by_role("navigation", name="Main")
    toggle = page.get_by_role("button", name="Menu")
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(toggle).to_be_focused()
    page.keyboard.press("Space")
    nav.get_by_role("link", name="Transactions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transactions")
    expect(nav).to_be_hidden()  # a new page starts folded

    page.set_viewport_size(LAPTOP)
    expect(toggle).to_be_hidden()
    expect(nav).to_be_visible()


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(signed_in, world):
    page = signed_in
    page.goto("/chargers/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('content').contains(document.activeElement)")


def count_settles(page: Page) -> None:
    """Count htmx swaps that settled from now on in window.__settled."""
    page.evaluate(
        "window.__settled = 0; document.addEventListener('htmx:afterSettle', () => { window.__settled += 1; })"
    )


def test_focus_stays_on_the_pairing_cancel_across_polls_and_progress_is_announced(signed_in, world):
    page = signed_in
    page.goto(f"/pairing/{world.pairing}")
    cancel = page.get_by_role("button", name="Cancel")
    announce = page.locator("#pairing-announce")
    expect(announce).to_have_attribute("role", "status")
    expect(announce).to_have_text("Waiting for the EV to be plugged into CP-2.")
    cancel.focus()
    page.evaluate("window.__cancel = document.activeElement")
    count_settles(page)
    world.cp2.plug_in(1)  # what the panel shows changes while the button has the focus
    page.wait_for_function("() => window.__settled >= 2")
    expect(announce).to_have_text("The EV is plugged in: waiting for its identifier.")
    page.wait_for_function("() => window.__settled >= 3")
    assert page.evaluate("document.activeElement === window.__cancel && window.__cancel.isConnected")
    expect(cancel).to_be_focused()

    page.keyboard.press("Enter")  # Cancel: the button is gone, the focus goes to the panel's heading
    expect(page.get_by_role("heading", name="Pairing cancelled")).to_be_focused()
    expect(announce).to_contain_text("Pairing cancelled")


def test_focus_stays_on_stop_across_polls_of_the_charger_page(signed_in, world):
    page = signed_in
    page.goto(f"/chargers/{world.charger}")
    stop = page.get_by_role("button", name=f"Stop transaction {world.transaction}")
    stop.focus()
    page.evaluate("window.__stop = document.activeElement")
    count_settles(page)
    page.wait_for_function("() => window.__settled >= 2", timeout=8000)
    assert page.evaluate("document.activeElement === window.__stop && window.__stop.isConnected")
    expect(stop).to_be_focused()
