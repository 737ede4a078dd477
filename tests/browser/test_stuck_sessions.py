"""A simulated charger dies mid-charge: the browser shows its connector and session as offline, and an operator
ends the stuck session by hand."""

import sqlalchemy as sa
from playwright.sync_api import expect

from autocharge.extensions import db
from autocharge.models import AuditEvent, Transaction
from autocharge.services import chargers, users
from autocharge.simulator import Simulator

from .conftest import assert_accessible, both_widths


@both_widths
def test_a_dead_charger_shows_offline_badges_and_its_session_is_ended_by_hand(admin_page, sqlite_app, server):
    with sqlite_app.app_context():
        chargers.add_charger("CP-1")
        users.add_tag(users.add_user("Alice Driver", "alice@example.com").id, "TAG1")
    page = admin_page
    connectors = page.locator('tr[data-charge-box-id="CP-1"] .connectors')
    sim = Simulator(url=server.ws_url, charge_box_id="CP-1", version="1.6")
    try:
        sim.connect()
        sim.boot()
        sim.start_transaction(1, id_tag="TAG1", meter_start=1000)
        sim.status(1, "Charging")
        sim.meter_values(3500)
        expect(connectors).to_contain_text("1 · Charging", timeout=8000)
    finally:
        sim.close()  # the charger dies mid-charge
    expect(connectors).to_contain_text("1 · Offline · last Charging", timeout=8000)
    expect(connectors).not_to_contain_text("1 · Charging")

    with sqlite_app.app_context():
        tx_id = db.session.scalar(sa.select(Transaction.id))
    page.goto("/transactions/")
    expect(page.locator(f"#transaction-{tx_id}")).to_contain_text("Charger offline")
    page.goto("/chargers/1")
    expect(page.locator(f"#running-{tx_id}")).to_contain_text("Charger offline since")

    page.locator(f"#running-{tx_id}").get_by_role("link", name="End by hand").click()
    expect(page.locator("#tx-status")).to_contain_text("Charger offline since")
    assert_accessible(page)
    page.get_by_label("Reason").fill("Simulator died mid-charge")
    page.get_by_role("button", name="End session").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Transaction {tx_id} ended by hand")
    expect(page.locator("#tx-status")).to_contain_text("Completed")
    expect(page.locator("#tx-status")).not_to_contain_text("Charger offline")
    expect(page.locator("#stop-reason")).to_contain_text("Ended by hand")
    expect(page.locator("#energy")).to_have_text("2.500 kWh")  # as last metered
    assert_accessible(page)
    with sqlite_app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "transaction.ended_by_hand"))
        assert "Simulator died mid-charge" in event.detail
