"""A 2.0.1 charger's page in a real browser with a simulated station: Get/Set variables with each variable's status,
Get base report filling the device model (paged, searchable), and the recent events panel (issue 11)."""

import pytest
from playwright.sync_api import expect

from autocharge.services import chargers
from autocharge.simulator import Simulator

from .conftest import assert_accessible, both_widths


@pytest.fixture
def station(sqlite_app, server):
    """Register CP-1 and connect it as a simulated 2.0.1 station sending its report 4 variables a part; return it."""
    with sqlite_app.app_context():
        charger_id = chargers.add_charger("CP-1").id
    sim = Simulator(server.ws_url, "CP-1", version="2.0.1", report_part_size=4)
    sim.connect()
    sim.boot()
    sim.status(1, "Available")
    sim.charger_id = charger_id
    yield sim
    sim.close()


@both_widths
def test_variables_base_report_and_events_on_the_charger_page(admin_page, station):
    page = admin_page
    page.goto(f"/chargers/{station.charger_id}")
    result = page.locator("#command-result")
    expect(page.locator("#reset-warning")).to_contain_text("some chargers restart their software")

    page.get_by_label("Variables to read").fill("OCPPCommCtrlr.HeartbeatInterval, Nowhere.Enabled")
    page.get_by_role("button", name="Get variables").click()
    rows = result.locator("table.variable-results tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td")).to_have_text(["OCPPCommCtrlr.HeartbeatInterval", "Accepted", "300"])
    expect(rows.nth(1).locator("td")).to_have_text(["Nowhere.Enabled", "UnknownComponent", "—"])
    expect(result).to_contain_text("CP-1 answered 2 variables: 1 accepted.")

    page.get_by_label("Variable", exact=True).fill("OCPPCommCtrlr.HeartbeatInterval")
    page.get_by_label("New value").fill("90")
    page.get_by_role("button", name="Set variable").click()
    expect(result).to_contain_text("CP-1 answered 1 variable: 1 accepted.")  # not the read's answer before it
    assert station.configuration["OCPPCommCtrlr/HeartbeatInterval"][0] == "90"

    panel = page.locator("#device-model")
    expect(panel.locator("#device-model-report")).to_have_text("No report received yet.")
    page.get_by_role("button", name="Get base report (full)").click()
    expect(result).to_contain_text("CP-1 accepted the FullInventory report request.")
    expect(panel.locator("#device-model-report")).to_contain_text("variables in", timeout=12000)
    expect(panel.locator("tbody tr")).not_to_have_count(0)
    # Text typed in the ~20 ms between the panel's swap and htmx wiring its search box up would send no search
    # (seen under load: no request at all); htmx marks new content htmx-added until it has settled.
    expect(page.locator("#device-model.htmx-added, #device-model .htmx-added")).to_have_count(0)
    page.get_by_label("Find a component or variable").fill("Heartbeat")
    expect(panel.locator("tbody tr")).to_have_count(1)
    expect(panel.locator("tbody tr")).to_contain_text("OCPPCommCtrlr")
    expect(panel.locator("tbody tr")).to_contain_text("90")

    events = page.locator("#charger-events")
    expect(events).to_contain_text("Device model received:", timeout=15000)
    expect(events).to_contain_text("Command change of OCPPCommCtrlr.HeartbeatInterval: Accepted.")
    expect(events).to_contain_text("Booted (PowerUp): Autocharge Simulator")
    assert_accessible(page)


def test_events_the_station_sends_appear_without_a_reload(admin_page, station):
    page = admin_page
    page.goto(f"/chargers/{station.charger_id}")
    page.evaluate("window.__notReloaded = true")
    station.notify_event("EVSE", "Problem", "true", evse_id=1, tech_info="Overheat")
    station.security_event("SettingSystemTime")
    events = page.locator("#charger-events")
    expect(events.locator("tbody tr").first).to_contain_text("Security event SettingSystemTime", timeout=15000)
    expect(events).to_contain_text("Event Alerting: EVSE (EVSE 1) Problem = true")
    assert page.evaluate("window.__notReloaded") is True
    assert_accessible(page)
