"""The Home screen in a real browser at 1366 and 390 px: the figures, a click through to the filtered table."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from autocharge.db import utcnow, writing
from autocharge.models import Charger, Connector
from autocharge.services import chargers, users
from autocharge.simulator import Simulator

from .conftest import HOME, assert_accessible, both_widths, log_in


@pytest.fixture
def fleet(sqlite_app) -> None:
    """Store five accepted chargers (one with a faulted connector) and a pending one, all offline.

    Offline because the server marks a charger without a live socket offline: a seeded "online" would not last.
    """
    now = utcnow()
    rows = [("CP-NEW", "pending")] + [(f"CP-{n}", "accepted") for n in range(5)]
    with sqlite_app.app_context(), writing() as session:
        for minutes, (box, registration) in enumerate(rows):
            seen = now - timedelta(minutes=minutes)
            charger = Charger(charge_box_id=box, online=False, registration=registration, last_seen=seen)
            session.add(charger)
            session.flush()
            status = "Faulted" if box == "CP-2" else "Available"
            session.add(Connector(charger_id=charger.id, connector_id=1, status=status))


def figure(page, label: str):
    """Return the figure tile with this label."""
    return page.locator("a.figure", has=page.locator(".figure-label", has_text=re.compile(f"^{label}$")))


@pytest.fixture
def live(sqlite_app, server):
    """Return CP-LIVE online: connector 1 faulted, a session charging on connector 2."""
    with sqlite_app.app_context():
        chargers.add_charger("CP-LIVE")
        users.add_tag(users.add_user("Alice Driver", "alice@example.com").id, "TAG1")
    sim = Simulator(url=server.ws_url, charge_box_id="CP-LIVE", version="1.6")
    sim.connect()
    sim.boot()
    sim.status(1, "Faulted")
    sim.start_transaction(2, id_tag="TAG1", meter_start=0)
    sim.status(2, "Charging")
    yield sim
    sim.close()


@both_widths
def test_figures_link_to_the_filtered_tables(page, fleet, live):
    log_in(page)
    page.wait_for_url(HOME)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(figure(page, "online").locator(".figure-value")).to_have_text("1")
    expect(figure(page, "offline").locator(".figure-value")).to_have_text("6")
    expect(figure(page, "pending registration").locator(".figure-value")).to_have_text("1")
    expect(figure(page, "connectors charging").locator(".figure-value")).to_have_text("1")
    expect(page.locator("#home-offline + ul li").first).to_contain_text("CP-NEW")  # last seen most recently
    assert_accessible(page)

    # CP-2 was last Faulted, but it is offline: only CP-LIVE's fault counts, and only it is listed.
    expect(figure(page, "with a faulted connector").locator(".figure-value")).to_have_text("1")
    figure(page, "with a faulted connector").click()
    page.wait_for_url("**/chargers/?status=faulted")
    rows = page.locator("tr[data-charge-box-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-charge-box-id", "CP-LIVE")
    expect(page.get_by_label("Status")).to_have_value("faulted")

    page.go_back()
    figure(page, "connectors charging").click()
    page.wait_for_url("**/chargers/?status=charging&connection=online")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".connectors")).to_contain_text("2 · Charging")


@both_widths
def test_figures_refresh_by_themselves(page, fleet, sqlite_app):
    log_in(page)
    page.wait_for_url(HOME)
    pending = figure(page, "pending registration").locator(".figure-value")
    expect(pending).to_have_text("1")
    page.evaluate("window.__notReloaded = true")
    with sqlite_app.app_context(), writing() as session:
        session.query(Charger).filter_by(charge_box_id="CP-0").update({"registration": "pending"})
    tile = figure(page, "offline")
    tile.focus()
    expect(pending).to_have_text("2", timeout=15_000)
    assert page.evaluate("window.__notReloaded") is True  # htmx replaced the figures only
    expect(tile).to_be_focused()  # morphed in place: a keyboard user's focus survives the refresh


@both_widths
def test_empty_home_says_how_to_add_a_charger(page):
    log_in(page)
    page.wait_for_url(HOME)
    expect(page.get_by_role("heading", name="No chargers yet")).to_be_visible()
    page.get_by_role("link", name="Add charger").click()
    page.wait_for_url("**/chargers/new")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}], ids=["390px"], indirect=True)
def test_home_shows_two_figures_a_row_on_a_phone(page, fleet):
    log_in(page)
    page.wait_for_url(HOME)
    expect(figure(page, "online")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    figures = page.locator("#home-chargers + .figures a.figure")
    first, second = figures.nth(0).bounding_box(), figures.nth(1).bounding_box()
    assert first["y"] == second["y"] and second["x"] + second["width"] <= 390  # two a row, inside the screen
