"""The Users and Transactions tables in chromium: column choices that follow the admin, active search with
the back button, Origin "Auto charge" for a session a paired vehicle started over OCPP, the live chart."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from autocharge.db import utcnow, writing
from autocharge.models import MeterSample, Transaction
from autocharge.services import chargers, identifiers, users, vehicles
from autocharge.simulator import Simulator

from .conftest import HOME, log_in

VID = "0A1B2C3D4E5F"
SHOTS = "/tmp"


@pytest.fixture
def paired(sqlite_app) -> dict:
    """Add charger CP-1, driver Alice with vehicle B-EV 123 paired to VID, and Bob with no vehicle."""
    with sqlite_app.app_context():
        charger = chargers.add_charger("CP-1", autocharge="supported")
        alice = users.add_user("Alice Schmidt", "alice@example.com")
        users.add_user("Bob Meyer", "bob@example.com")
        vehicle = vehicles.add_vehicle(alice.id, "B-EV 123")
        with writing():
            vehicles.attach_identifier(vehicles.get(vehicle.id), identifiers.from_token(f"VID:{VID}"), charger.id, None)
        return {"charger": charger.id, "alice": alice.id, "vehicle": vehicle.id}


@pytest.fixture
def simulator(server):
    """Return a simulated 1.6 charger CP-1 on the real server; close it afterwards."""
    sim = Simulator(url=server.ws_url, charge_box_id="CP-1", version="1.6")
    yield sim
    sim.close()


def toggle_column(page: Page, label: str) -> None:
    """Open the column chooser and tick or untick one column."""
    page.locator("summary", has_text="Columns").click()
    page.get_by_label(label, exact=True).click()


def log_out_and_in(page: Page) -> None:
    """Log out with the top bar's button and log in again."""
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login**")
    log_in(page)
    page.wait_for_url(HOME)


def test_users_vehicles_column_hidden_then_kept_across_reload_login_and_browsers(admin_page, paired, browser, server):
    page = admin_page
    page.goto("/users/")
    table = page.locator("#users")
    expect(table).to_contain_text("Alice Schmidt")
    expect(table.get_by_role("columnheader", name="Vehicles")).to_have_count(0)
    expect(table).not_to_contain_text("B-EV 123")

    page.evaluate("window.__notReloaded = true")
    toggle_column(page, "Vehicles")
    expect(table.get_by_role("columnheader", name="Vehicles")).to_be_visible()
    expect(page.locator(f"#user-{paired['alice']} .col-vehicles")).to_have_text("B-EV 123")
    assert page.evaluate("window.__notReloaded") is True  # htmx redrew the table only
    page.screenshot(path=f"{SHOTS}/tables-users-vehicles.png", full_page=True)

    page.reload()
    expect(page.locator("#users").get_by_role("columnheader", name="Vehicles")).to_be_visible()
    log_out_and_in(page)
    page.goto("/users/")
    expect(page.locator("#users").get_by_role("columnheader", name="Vehicles")).to_be_visible()

    other = browser.new_context(base_url=server.url).new_page()  # another browser: nothing in its cookies
    log_in(other)
    other.wait_for_url(HOME)
    other.goto("/users/")
    expect(other.locator("#users").get_by_role("columnheader", name="Vehicles")).to_be_visible()
    other.context.close()

    toggle_column(page, "Vehicles")
    expect(page.locator("#users").get_by_role("columnheader", name="Vehicles")).to_have_count(0)


def test_active_search_keeps_the_page_and_the_back_button_works(admin_page, paired):
    page = admin_page
    page.goto("/users/")
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Search").press_sequentially("schm", delay=30)
    expect(page).to_have_url(re.compile(r"/users/\?q=schm"))
    expect(page.locator("#users tbody tr")).to_have_count(1)
    expect(page.locator("#users")).to_contain_text("Alice Schmidt")
    expect(page.get_by_label("Search")).to_be_focused()
    menu_button = page.get_by_role("button", name="Actions for Alice Schmidt")  # a row htmx swapped in
    menu_button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menu", name="Actions for Alice Schmidt").get_by_role("menuitem").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu_button).to_be_focused()
    page.get_by_label("Status").select_option("blocked")
    expect(page.locator("#users")).to_contain_text("No users match this search.")
    expect(page).to_have_url(re.compile(r"status=blocked"))
    assert page.evaluate("window.__notReloaded") is True
    page.go_back()
    expect(page).to_have_url(re.compile(r"/users/\?q=schm[^&]*$|/users/\?q=schm&"))
    expect(page.locator("#users")).to_contain_text("Alice Schmidt")
    page.get_by_role("link", name=re.compile("^Email")).click()
    expect(page).to_have_url(re.compile(r"sort=email"))


def test_auto_charge_origin_vehicle_column_and_live_chart(admin_page, paired, simulator, sqlite_app):
    simulator.connect()
    simulator.boot()
    simulator.status(1, "Available")
    simulator.plug_in(1)
    assert simulator.authorize(vid=VID)["idTagInfo"]["status"] == "Accepted"
    assert simulator.start_transaction(1, vid=VID, meter_start=1000)["idTagInfo"]["status"] == "Accepted"
    simulator.meter_values(1500, power_w=11000)

    page = admin_page
    page.goto("/transactions/")
    row = page.locator("#transactions tbody tr").first
    expect(row.locator(".origin")).to_have_text("Auto charge")
    expect(row).to_contain_text("Alice Schmidt")
    expect(row).to_contain_text("Active")
    expect(page.locator("#transactions").get_by_role("columnheader", name="Vehicle")).to_have_count(0)

    toggle_column(page, "Vehicle")
    expect(page.locator("#transactions tbody .col-vehicle").first).to_have_text("B-EV 123")
    page.reload()
    expect(page.locator("#transactions tbody .col-vehicle").first).to_have_text("B-EV 123")
    log_out_and_in(page)
    page.goto("/transactions/?origin=autocharge")
    expect(page.locator("#transactions tbody .col-vehicle").first).to_have_text("B-EV 123")
    expect(page.get_by_label("Origin")).to_have_value("autocharge")
    page.screenshot(path=f"{SHOTS}/tables-transactions.png", full_page=True)

    page.locator("#transactions tbody tr").first.get_by_role("link").first.click()
    chart = page.locator("svg.session-chart")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    expect(page.locator("#energy")).to_have_text("0.500 kWh")
    page.evaluate("window.__notReloaded = true")
    simulator.meter_values(4200, power_w=11000)  # the page follows the running session by itself
    expect(page.locator("#energy")).to_have_text("3.200 kWh", timeout=10_000)
    expect(page.locator("#samples tbody tr")).to_have_count(2)
    simulator.stop_transaction(5000)
    expect(page.locator("#live")).to_contain_text("4.000 kWh", timeout=10_000)
    expect(page.locator("h1")).to_contain_text("Completed")
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator("#live")).not_to_have_attribute("hx-trigger", re.compile("load"))
    page.screenshot(path=f"{SHOTS}/tables-detail.png", full_page=True)

    page.get_by_role("button", name="Reveal").click()
    expect(page.locator("#revealed-token")).to_have_text(f"VID:{VID}")


def test_chart_of_a_completed_session_renders(admin_page, paired, sqlite_app):
    start = utcnow().replace(microsecond=0) - timedelta(hours=2)
    with sqlite_app.app_context(), writing() as session:
        tx = Transaction(
            charger_id=paired["charger"],
            user_id=paired["alice"],
            origin="rfid",
            status="completed",
            dedupe_key="seeded",
            start_time=start,
            stop_time=start + timedelta(minutes=90),
            meter_start=0,
            meter_stop=30_000,
            energy_wh=30_000,
        )
        session.add(tx)
        session.flush()
        session.add_all(
            MeterSample(
                transaction_id=tx.id,
                timestamp=start + timedelta(minutes=m),
                energy_wh=m * 330,
                power_w=20_000 if m < 60 else 8_000,
            )
            for m in range(0, 91, 5)
        )
        tx_id = tx.id
    page = admin_page
    page.goto(f"/transactions/{tx_id}")
    chart = page.locator("svg.session-chart")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    assert page.locator("svg.session-chart path, svg.session-chart polyline").count() >= 2
    page.screenshot(path=f"{SHOTS}/tables-chart.png", full_page=True)
