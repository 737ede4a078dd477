"""The Chargers screen in a real browser, with a simulated charger talking OCPP to the real server."""

import json
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from autocharge.db import writing
from autocharge.models import User
from autocharge.services import chargers, users
from autocharge.simulator import Simulator
from autocharge.simulator.link import CallTimeout

from .conftest import assert_accessible, both_widths, main_nav


@pytest.fixture
def charger_id(sqlite_app) -> int:
    """Register charger CP-1 (Auto Charge supported); return its id."""
    with sqlite_app.app_context():
        return chargers.add_charger("CP-1", autocharge="supported").id


@pytest.fixture
def simulator(server):
    """Return a not yet connected simulated 1.6 charger CP-1 on the server; close it afterwards."""
    sim = Simulator(url=server.ws_url, charge_box_id="CP-1", version="1.6")
    yield sim
    sim.close()


def _row(page: Page, box_id: str):
    return page.locator(f'tr[data-charge-box-id="{box_id}"]')


def test_charger_comes_online_and_connector_changes_without_reload(admin_page, charger_id, simulator):
    page = admin_page
    row = _row(page, "CP-1")
    expect(row.locator(".connection")).to_contain_text("Offline")
    expect(row.locator(".connectors")).to_contain_text("none reported")
    page.evaluate("window.__notReloaded = true")  # gone if the page reloads

    simulator.connect()
    simulator.boot()
    expect(row.locator(".connection")).to_contain_text("Online", timeout=8000)
    expect(row).to_contain_text("Autocharge")  # vendor from BootNotification
    simulator.status(1, "Available")
    expect(row.locator(".connectors")).to_contain_text("1 · Available", timeout=8000)
    simulator.plug_in(1)
    expect(row.locator(".connectors")).to_contain_text("1 · Preparing", timeout=8000)

    simulator.close()
    expect(row.locator(".connection")).to_contain_text("Offline", timeout=8000)
    assert page.evaluate("window.__notReloaded") is True


@both_widths
def test_remote_start_from_the_chargers_screen_shows_origin_app(admin_page, sqlite_app, charger_id, simulator):
    with sqlite_app.app_context():
        users.add_user("Alice Driver", "alice@example.com")
    simulator.connect()
    simulator.boot()
    simulator.status(1, "Available")
    page = admin_page
    expect(_row(page, "CP-1").locator(".connection")).to_contain_text("Online", timeout=8000)

    _row(page, "CP-1").get_by_role("link", name="Manage").click()
    page.get_by_label("Start charging for").select_option(label="Alice Driver (alice@example.com)")
    page.get_by_label("Connector", exact=True).select_option("1")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.locator("#command-result")).to_have_text("CP-1 accepted the remote start.")
    # The charger starts the transaction just after it answered; the status poll shows it without a reload.
    running = page.locator("#charger-status .running")
    expect(running).to_contain_text("for Alice Driver", timeout=8000)

    main_nav(page).get_by_role("link", name="Transactions").click()
    row = page.locator("#transactions tbody tr").first
    expect(row).to_contain_text("CP-1")
    expect(row).to_contain_text("Alice Driver")
    expect(row.locator(".origin")).to_have_text("App")
    expect(row).to_contain_text("Active")

    # ...and stopped from the charger page again.
    page.go_back()
    running.get_by_role("button", name=re.compile(r"^Stop transaction \d+$")).click()
    expect(page.locator("#command-result")).to_have_text("CP-1 accepted the remote stop.")
    expect(page.locator("#charger-status")).to_contain_text("No transaction running.", timeout=8000)
    page.goto("/transactions/")
    expect(page.locator("#transactions tbody tr").first).to_contain_text("Completed")


@both_widths
def test_offline_charger_command_says_so(admin_page, charger_id):
    page = admin_page
    page.goto(f"/chargers/{charger_id}")
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name="Clear cache").click()
    expect(page.locator("#command-result")).to_have_text("CP-1 is offline.")
    expect(page).to_have_url(re.compile(f"/chargers/{charger_id}$"))
    assert page.evaluate("window.__notReloaded") is True  # answered in place


def _add_drivers(sqlite_app, count: int) -> None:
    """Add `count` active drivers, Driver 00 and up, with one Core insert."""
    with sqlite_app.app_context(), writing() as session:
        session.execute(
            sa.insert(User), [{"name": f"Driver {i:02d}", "email": f"d{i}@example.com"} for i in range(count)]
        )


def test_user_picker_finds_a_user_by_active_search_and_starts_for_them(admin_page, sqlite_app, charger_id, simulator):
    _add_drivers(sqlite_app, 30)
    with sqlite_app.app_context():
        users.add_user("Zoe Late", "zoe@example.com")  # past the first 20 by name: only a search offers her
    simulator.connect()
    simulator.boot()
    simulator.status(1, "Available")
    page = admin_page
    page.goto(f"/chargers/{charger_id}")
    choice = page.get_by_label("Start charging for")
    expect(choice.locator("option")).to_have_count(21)  # the placeholder and the first 20
    expect(choice.locator("option", has_text="Zoe Late")).to_have_count(0)
    page.evaluate("window.__notReloaded = true")

    page.get_by_label("Find a user").press_sequentially("zoe", delay=50)
    expect(choice.locator("option")).to_have_count(2)
    expect(choice).to_have_value(re.compile(r"^\d+$"))  # the only match is chosen
    assert page.evaluate("window.__notReloaded") is True
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.locator("#command-result")).to_have_text("CP-1 accepted the remote start.")
    expect(page.locator("#charger-status .running")).to_contain_text("for Zoe Late", timeout=8000)


def test_chargers_list_filters_in_place_and_keeps_refreshing_the_filtered_rows(admin_page, sqlite_app, simulator):
    with sqlite_app.app_context():
        for box in ("CP-1", "CP-2", "OTHER-1"):
            chargers.add_charger(box, autocharge="supported")
    page = admin_page
    page.goto("/chargers/")
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Search").press_sequentially("cp-", delay=50)
    expect(page).to_have_url(re.compile(r"/chargers/\?q=cp-"))
    expect(page.locator("#charger-rows tr")).to_have_count(2)
    page.get_by_label("Connection").select_option("offline")
    expect(page).to_have_url(re.compile(r"q=cp-.*connection=offline"))
    expect(page.locator(".pager-count")).to_have_text("1–2 of 2 chargers")

    simulator.connect()  # CP-1 comes online: the refresh of the filtered rows drops it, in place
    simulator.boot()
    expect(page.locator("#charger-rows tr")).to_have_count(1, timeout=8000)
    expect(_row(page, "CP-2")).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True
    page.go_back()
    expect(page.get_by_label("Connection")).to_have_value("")


def _online(page: Page, simulator: Simulator, charger_id: int) -> None:
    """Connect and boot the simulator, with connector 1 Available, and open its charger page once it shows online."""
    simulator.connect()
    simulator.boot()
    simulator.status(1, "Available")
    page.goto(f"/chargers/{charger_id}")
    expect(page.locator("#charger-status .connection")).to_contain_text("Online", timeout=8000)


@both_widths
def test_a_command_shows_it_is_pending_at_once_then_the_answer(admin_page, charger_id, simulator):
    page = admin_page
    _online(page, simulator, charger_id)
    simulator.auto_answer = False  # the test answers, when it has seen the page wait
    button = page.get_by_role("button", name="Clear cache")
    button.click()
    result = page.locator("#command-result")
    expect(result).to_have_text("Asking CP-1 to clear its cache…")
    expect(button).to_be_disabled()
    frame = json.loads(simulator.recv_raw(timeout=5))
    assert frame[2] == "ClearCache"
    simulator.link.reply(frame[1], {"status": "Accepted"})
    expect(result).to_have_text("CP-1 accepted the cache clearing.")
    expect(button).to_be_enabled()
    expect(page.get_by_role("status").filter(has_text="accepted the cache clearing")).to_have_count(1)


@both_widths
def test_hard_reset_asks_first(admin_page, charger_id, simulator):
    page = admin_page
    _online(page, simulator, charger_id)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Hard reset").click()
    assert asked == [
        "Hard reset CP-1 now? It restarts at once and ends any charging session on it. "
        "Some chargers restart their software and stay offline for a while."
    ]
    page.get_by_role("button", name="Clear cache").click()  # a later command's answer proves none went before it
    expect(page.locator("#command-result")).to_have_text("CP-1 accepted the cache clearing.")
    assert [action for action, _ in simulator.received] == ["ClearCache"]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Hard reset").click()
    expect(page.locator("#command-result")).to_have_text("CP-1 accepted the hard reset.")
    assert simulator.wait_for("Reset") == {"type": "Hard"}


@both_widths
def test_configuration_is_read_and_changed_in_place(admin_page, charger_id, simulator):
    page = admin_page
    _online(page, simulator, charger_id)
    page.get_by_label("Key", exact=True).fill("HeartbeatInterval")
    page.get_by_label("New value").fill("60")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("#command-result")).to_have_text("CP-1 accepted the change of HeartbeatInterval.")
    page.get_by_label("Keys to read").fill("HeartbeatInterval, NoSuchKey")
    page.get_by_role("button", name="Read configuration").click()
    result = page.locator("#command-result")
    expect(result.locator("tr", has_text="HeartbeatInterval")).to_contain_text("60")
    expect(result).to_contain_text("Unknown to CP-1: NoSuchKey")
    assert_accessible(page)  # the values read, in the result area
    page.get_by_label("Keys to read").fill("K" * 51)
    page.get_by_role("button", name="Read configuration").click()
    expect(result).to_have_text("A configuration key is at most 50 characters.")  # a 422, shown in place too


@both_widths
def test_unlock_and_trigger_from_the_charger_page(admin_page, charger_id, simulator):
    page = admin_page
    _online(page, simulator, charger_id)
    page.get_by_label("Unlock connector").select_option("1")
    page.get_by_role("button", name="Unlock").click()
    expect(page.locator("#command-result")).to_have_text("CP-1 accepted the unlock of connector 1.")
    page.get_by_label("Trigger message").select_option("Heartbeat")
    page.get_by_role("button", name="Trigger").click()
    expect(page.locator("#command-result")).to_have_text("CP-1 accepted the Heartbeat trigger.")
    assert simulator.wait_for("TriggerMessage") == {"requestedMessage": "Heartbeat"}
    assert_accessible(page)


@both_widths
def test_stop_stays_pending_and_focused_across_status_polls_until_the_charger_answers(
    admin_page, sqlite_app, charger_id, simulator
):
    with sqlite_app.app_context():
        users.add_tag(users.add_user("Alice Driver", "alice@example.com").id, "TAG1")
    page = admin_page
    _online(page, simulator, charger_id)
    simulator.plug_in(1)
    tx_id = simulator.start_transaction(1, id_tag="TAG1", meter_start=1000)["transactionId"]
    stop = page.get_by_role("button", name=f"Stop transaction {tx_id}")
    expect(stop).to_be_visible(timeout=8000)
    simulator.auto_answer = False  # the charger is slow to answer: the test answers after a few polls
    stop.focus()
    page.keyboard.press("Enter")
    result = page.locator("#command-result")
    expect(result).to_have_text(f"Asking CP-1 to stop transaction {tx_id}…")
    frame = json.loads(simulator.recv_raw(timeout=5))
    assert frame[2] == "RemoteStopTransaction"
    page.evaluate(
        "window.__polls = 0; document.addEventListener('htmx:afterSettle', e => {"
        " if (e.detail.target.id === 'charger-status') window.__polls += 1; })"
    )
    page.wait_for_function("() => window.__polls >= 2", timeout=10_000)  # two status polls morphed meanwhile
    expect(stop).to_be_disabled()
    expect(stop).to_be_focused()
    expect(result).to_have_text(f"Asking CP-1 to stop transaction {tx_id}…")
    page.keyboard.press("Enter")  # pressed again while pending: nothing more is sent

    simulator.link.reply(frame[1], {"status": "Accepted"})
    expect(result).to_have_text("CP-1 accepted the remote stop.")
    expect(stop).to_be_enabled()  # the charger has not stopped yet (the test holds it): Stop may be pressed again
    expect(stop).to_be_focused()
    try:
        extra = simulator.recv_raw(timeout=1)
    except CallTimeout:
        extra = None
    assert extra is None


def test_a_2_0_1_charger_is_shown_and_commanded_by_evse_and_connector(admin_page, sqlite_app, server, charger_id):
    with sqlite_app.app_context():
        users.add_user("Alice Driver", "alice@example.com")
    sim = Simulator(url=server.ws_url, charge_box_id="CP-1", version="2.0.1", connectors=2, connectors_per_evse=2)
    try:
        sim.connect()
        sim.boot()
        for number in (1, 2):
            sim.status(number, "Available")
        page = admin_page
        page.goto(f"/chargers/{charger_id}")
        expect(page.locator("#charger-status .connectors")).to_contain_text("EVSE 1 · connector 2 · Available")

        page.get_by_label("Start charging for").select_option(label="Alice Driver (alice@example.com)")
        page.locator("#start-connector").select_option(label="EVSE 1")  # the variables forms name an EVSE too
        page.get_by_role("button", name="Start", exact=True).click()
        expect(page.locator("#command-result")).to_have_text("CP-1 accepted the remote start.")
        running = page.locator("#charger-status .running")
        expect(running).to_contain_text("on EVSE 1 · connector 1 for Alice Driver", timeout=8000)

        page.get_by_label("Unlock connector").select_option(label="EVSE 1 · connector 2 (Available)")
        page.get_by_role("button", name="Unlock").click()
        expect(page.locator("#command-result")).to_have_text("CP-1 accepted the unlock of EVSE 1 connector 2.")
        assert sim.wait_for("UnlockConnector") == {"evseId": 1, "connectorId": 2}

        page.goto("/transactions/")
        expect(page.locator("#transactions tbody tr").first).to_contain_text("EVSE 1 · connector 1")
    finally:
        sim.close()
