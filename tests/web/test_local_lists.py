"""The charger page's local authorization list panel: its state, the on/off setting (operators, audited), resync."""

import sqlalchemy as sa

from autocharge.db import utcnow
from autocharge.extensions import db
from autocharge.models import AuditEvent, LocalAuthChange
from autocharge.services import admins, chargers, local_auth, users

from .conftest import ADMIN_PASSWORD, AuthActions

HX = {"HX-Request": "true"}


def panel_of(client, charger_id: int) -> str:
    """Return the panel as its poll gets it."""
    response = client.get(f"/chargers/{charger_id}/local-list", headers=HX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_shows_the_panel_off_until_an_operator_turns_it_on(app, logged_in):
    with app.app_context():
        charger_id = chargers.add_charger("CP-LL").id
    page = logged_in.client.get(f"/chargers/{charger_id}").get_data(as_text=True)
    assert 'id="local-list"' in page and "Turn on" in page and "Pending updates" not in page

    response = logged_in.post(f"/chargers/{charger_id}/local-list", {"enabled": "on"})
    assert response.status_code == 302 and response.location.endswith(f"/chargers/{charger_id}#local-list")
    html = panel_of(logged_in.client, charger_id)
    assert "Turn off" in html and "Full list due" in html and "sent when the charger is online" in html
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.subject_id == charger_id)).all()
        assert "charger.local_list_enabled" in actions
        assert local_auth.state(charger_id).enabled


def test_pending_changes_are_counted_and_a_resync_is_audited(app, logged_in):
    with app.app_context():
        charger_id = chargers.add_charger("CP-LL").id
        local_auth.set_enabled(charger_id, True)
        local_auth.record(charger_id, needs_full=False, version=4, synced_change_id=local_auth.last_change_id())
        user = users.add_user("Ann", "ann@example.com")
        users.add_tag(user.id, "04AABBCCDD")
        users.set_status(user.id, "blocked")
        local_auth.record(charger_id, last_sync_at=utcnow(), last_ok=False, last_result="CP-LL refused (Failed).")
    html = panel_of(logged_in.client, charger_id)
    assert "2 changes waiting" in html and "CP-LL refused (Failed)." in html and "Failed" in html
    assert "04AABBCCDD" not in html  # tags are personal data: never on this panel

    assert logged_in.post(f"/chargers/{charger_id}/local-list/resync").status_code == 302
    assert "Full list due" in panel_of(logged_in.client, charger_id)
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "charger.local_list_resync"))
        assert [c.status for c in db.session.scalars(sa.select(LocalAuthChange))] == ["Accepted", "Blocked"]


def test_a_viewer_sees_the_panel_without_its_forms(app, client):
    with app.app_context():
        charger_id = chargers.add_charger("CP-LL").id
        local_auth.set_enabled(charger_id, True)
        admins.create_admin("view@example.com", ADMIN_PASSWORD, role="viewer")
    auth = AuthActions(client)
    auth.login("view@example.com")
    html = panel_of(client, charger_id)
    assert "Local authorization list" in html and "Turn off" not in html
    assert auth.post(f"/chargers/{charger_id}/local-list", {"enabled": "off"}).status_code == 403


def test_without_htmx_the_panel_url_leads_to_the_charger_page(app, logged_in):
    with app.app_context():
        charger_id = chargers.add_charger("CP-LL").id
    response = logged_in.client.get(f"/chargers/{charger_id}/local-list")
    assert response.status_code == 302 and response.location.endswith(f"/chargers/{charger_id}#local-list")


def test_a_resync_of_a_charger_without_a_list_is_refused_in_words(app, logged_in):
    with app.app_context():
        charger_id = chargers.add_charger("CP-LL").id
    logged_in.post(f"/chargers/{charger_id}/local-list/resync")
    page = logged_in.client.get(f"/chargers/{charger_id}").get_data(as_text=True)
    assert "CP-LL keeps no local list; turn it on first." in page
