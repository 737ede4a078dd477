"""The charger page's local authorization list panel in a real browser, with a simulated 2.0.1 charger."""

import pytest
from playwright.sync_api import expect

from autocharge.db import writing
from autocharge.services import chargers, users, vehicles
from autocharge.services.identifiers import Identifier
from autocharge.simulator import Simulator

from .conftest import REFRESH

VID = "001A2B3C4D5E"


@pytest.fixture
def server(sqlite_app, sqlite_url, live_server_factory):
    """Return the real server, looking for local lists to sync every half second."""
    return live_server_factory(sqlite_url, AUTOCHARGE_LOCAL_LIST_RETRY_SECONDS=0.5, **REFRESH)


@pytest.fixture
def fleet(sqlite_app) -> dict:
    """Register CP-1 and a driver with an RFID tag and a paired vehicle; return their ids."""
    with sqlite_app.app_context():
        charger_id = chargers.add_charger("CP-1", autocharge="supported").id
        user_id = users.add_user("Dana Driver", "dana@example.com").id
        users.add_tag(user_id, "04A1B2C3")
        vehicle = vehicles.add_vehicle(user_id, "DD-1")
        with writing():
            vehicles.attach_identifier(vehicles.get(vehicle.id), Identifier(VID, VID), None, None)
        return {"charger": charger_id, "user": user_id}


@pytest.fixture
def station(server):
    """Return a not yet connected simulated 2.0.1 charger CP-1; close it afterwards."""
    sim = Simulator(server.ws_url, "CP-1", version="2.0.1")
    yield sim
    sim.close()


def test_the_panel_follows_the_list_from_on_to_synced_to_off(admin_page, sqlite_app, fleet, station):
    page = admin_page
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"/chargers/{fleet['charger']}")
    panel = page.locator("#local-list")
    expect(panel.locator("#local-list-setting")).to_have_text("Off")

    panel.get_by_role("button", name="Turn on").click()
    expect(page.locator(".flash")).to_contain_text("CP-1 keeps a local authorization list now")
    expect(panel.locator("#local-list-pending")).to_contain_text("Full list due · sent when the charger is online")
    page.evaluate("window.__notReloaded = true")  # gone if the page reloads

    station.connect()
    station.boot()
    expect(panel.locator("#local-list-result")).to_contain_text(
        "Full list sent: 2 entries in 1 message.", timeout=12000
    )
    expect(panel.locator("#local-list-entries")).to_contain_text("2 of at most 50")
    expect(panel.locator("#local-list-pending")).to_have_text("None")
    assert len(station.local_list.entries) == 2

    with sqlite_app.app_context():
        users.set_status(fleet["user"], "blocked")
    expect(panel.locator("#local-list-result")).to_contain_text("Sent 2 changes", timeout=12000)
    assert set(station.local_list.entries.values()) == {"Blocked"}
    assert page.evaluate("window.__notReloaded") is True

    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Turn off").click()
    expect(panel.locator("#local-list-setting")).to_have_text("Off")
    expect(panel.locator("#local-list-result")).to_contain_text("List emptied", timeout=12000)
    assert not station.local_list.entries
    assert not errors, errors
