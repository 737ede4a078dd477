"""The seed article's steps, literally, in a real browser: Users -> three dots -> Assets -> Vehicles -> Add Vehicle ->
plate -> Pair -> charger -> plug in the EV -> the identifier appears without a reload -> Transactions: Auto charge."""

import re

import pytest
from playwright.sync_api import Page, expect

from autocharge.services import chargers, users, vehicles
from autocharge.simulator import Simulator

VID = "0A1B2C3D4E5F"


@pytest.fixture
def jane(sqlite_app) -> int:
    """Add driver Jane Doe; return her id."""
    with sqlite_app.app_context():
        return users.add_user("Jane Doe", "jane@example.com").id


@pytest.fixture
def station(sqlite_app, server):
    """Return CP-1 (Auto Charge supported) simulated in OCPP 1.6, connected and booted."""
    with sqlite_app.app_context():
        chargers.add_charger("CP-1", autocharge="supported")
    sim = Simulator(server.ws_url, "CP-1", "1.6")
    sim.connect()
    sim.boot()
    sim.status(1, "Available")
    yield sim
    sim.close()


def open_vehicles_of(page: Page, name: str) -> None:
    """Users tab -> the 3-dots menu next to the user -> Assets -> Vehicles."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("button", name=f"Actions for {name}").click()
    menu = page.get_by_role("menu", name=f"Actions for {name}")
    expect(menu.get_by_role("group", name="Assets")).to_be_visible()
    menu.get_by_role("group", name="Assets").get_by_role("menuitem", name="Vehicles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Vehicles of {name}")


def test_pair_a_vehicle_as_the_seed_article_says(admin_page, jane, station):
    page = admin_page
    open_vehicles_of(page, "Jane Doe")
    page.get_by_role("link", name="Add Vehicle").click()
    page.get_by_label("License plate").fill("b-ev 2024")
    page.get_by_role("button", name="Pair", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pair B-EV 2024")
    page.get_by_role("radio", name="CP-1").check()
    page.get_by_role("button", name="Start pairing").click()
    expect(page.get_by_role("heading", name="Plug the EV into CP-1 now")).to_be_visible()
    page.evaluate("window.notReloaded = true")  # gone if the page reloads or navigates
    expect(page.locator("#remaining")).to_have_text(re.compile(r"^[23]:\d\d$"))

    station.plug_in()  # the EV is plugged in: the charger reports Preparing, then the identifier
    expect(page.locator("#step-plugged")).to_contain_text("Connector went Preparing")
    assert station.authorize(vid=VID)["idTagInfo"]["status"] == "Accepted"
    expect(page.locator("#paired-identifier")).to_have_text("0A:1B:2C:3D:4E:5F")
    expect(page.get_by_role("heading", name="Paired")).to_be_visible()
    expect(page.locator("#randomized-warning")).to_contain_text("randomised")
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator("#pairing-status[hx-trigger]")).to_have_count(0)  # polling stopped

    assert station.start_transaction(vid=VID)["idTagInfo"]["status"] == "Accepted"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transactions").click()
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("Jane Doe")
    expect(row.locator(".origin")).to_have_text("Auto charge")

    open_vehicles_of(page, "Jane Doe")
    vehicle_row = page.locator("#vehicles tbody tr").first
    expect(vehicle_row).to_contain_text("B-EV 2024")
    expect(vehicle_row).to_contain_text("0A:1B:2C:3D:4E:5F")
    expect(vehicle_row).to_contain_text("on CP-1")
    expect(page.locator("#vehicle-trail")).to_contain_text("Pairing completed")


def test_cancel_from_the_waiting_panel(admin_page, jane, station):
    page = admin_page
    open_vehicles_of(page, "Jane Doe")
    page.get_by_role("link", name="Add Vehicle").click()
    page.get_by_label("License plate").fill("AB-1")
    page.get_by_role("button", name="Pair", exact=True).click()
    page.get_by_role("button", name="Start pairing").click()  # the usable charger is preselected
    first = page.locator("#remaining").inner_text()
    expect(page.locator("#remaining")).not_to_have_text(first)  # the countdown moves with each poll
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="Pairing cancelled")).to_be_visible()
    expect(page.locator("#failure-reason")).to_have_text("Cancelled by admin@example.com.")
    page.get_by_role("button", name="Try again on CP-1").click()
    expect(page.get_by_role("heading", name="Plug the EV into CP-1 now")).to_be_visible()


def test_pair_a_refused_identifier_from_unknown_identifiers(admin_page, jane, station):
    page = admin_page
    assert station.authorize(vid=VID)["idTagInfo"]["status"] == "Invalid"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Unknown identifiers").click()
    cell = page.locator("#unknown tbody tr").first
    expect(cell).to_contain_text("0A:1B:••:••:••:5F")
    expect(cell).not_to_contain_text("0A:1B:2C:3D:4E:5F")
    cell.get_by_role("button", name=re.compile("^Reveal")).click()  # a POST with its CSRF token
    expect(cell).to_contain_text("0A:1B:2C:3D:4E:5F")
    cell.get_by_role("link", name="Pair with a vehicle").click()
    page.get_by_label("Find a user by name or email").fill("jane")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Jane Doe").click()
    page.get_by_label("…or a new vehicle with license plate").fill("AB-123")
    page.get_by_role("button", name="Pair", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vehicles of Jane Doe")
    expect(page.locator("#vehicles")).to_contain_text("0A:1B:2C:3D:4E:5F")
    assert station.authorize(vid=VID)["idTagInfo"]["status"] == "Accepted"


def test_pair_screen_search_finds_a_charger_past_the_first_page(admin_page, sqlite_app, jane, station):
    with sqlite_app.app_context():
        for i in range(25):
            chargers.add_charger(f"AAA-{i:02d}", autocharge="unknown")  # offline: listed after CP-1
        vehicle = vehicles.add_vehicle(jane, "S-EARCH 1").id
    page = admin_page
    page.goto(f"/users/{jane}/vehicles/{vehicle}/pair")
    expect(page.locator("#charger-choices li")).to_have_count(20)
    expect(page.get_by_role("radio", name="CP-1")).to_be_checked()  # the usable one comes first
    expect(page.get_by_role("radio", name="AAA-24")).to_have_count(0)
    page.get_by_label("Find a charger by charge box id").press_sequentially("aaa-24", delay=50)
    expect(page.locator("#charger-choices li")).to_have_count(1)
    expect(page.get_by_role("radio", name="AAA-24")).to_be_disabled()
    expect(page.locator("#charger-choices")).to_contain_text("Offline")
    expect(page.get_by_role("button", name="Start pairing")).to_be_disabled()
    page.get_by_label("Find a charger by charge box id").fill("cp-1")
    page.get_by_label("Find a charger by charge box id").press("Enter")  # the GET form, as without JavaScript
    expect(page).to_have_url(re.compile(r"/pair\?q=cp-1$"))
    page.get_by_role("radio", name="CP-1").check()
    page.get_by_role("button", name="Start pairing").click()
    expect(page.get_by_role("heading", name="Plug the EV into CP-1 now")).to_be_visible()
