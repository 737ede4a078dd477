"""Stuck sessions: offline chargers' connectors and sessions flagged, and a session ended by hand (web)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import AuditEvent, Charger, Connector, Transaction
from autocharge.services import admins, chargers

from .conftest import ADMIN_PASSWORD, AuthActions

LAST_SEEN = utcnow().replace(microsecond=0) - timedelta(minutes=42)


@pytest.fixture
def stuck(app) -> int:
    """Store CP-1 offline since LAST_SEEN, connector 1 last Charging, with an active session; return its id."""
    with app.app_context():
        charger = chargers.add_charger("CP-1")
        with writing() as session:
            session.get(Charger, charger.id).last_seen = LAST_SEEN
            session.add(Connector(charger_id=charger.id, connector_id=1, status="Charging"))
            tx = Transaction(
                charger_id=charger.id,
                connector_id=1,
                dedupe_key="k",
                start_time=LAST_SEEN - timedelta(hours=1),
                meter_start=1000,
                energy_wh=2500,
            )
            session.add(tx)
        return tx.id


def set_online(app, online: bool) -> None:
    """Put CP-1 online or offline."""
    with app.app_context(), writing():
        db.session.execute(sa.update(Charger).values(online=online))


def stored(app, tx_id: int) -> tuple:
    """Return (status, stop_reason, energy_wh, meter_stop, stop_time) of a transaction."""
    with app.app_context():
        tx = db.session.get(Transaction, tx_id)
        return tx.status, tx.stop_reason, tx.energy_wh, tx.meter_stop, tx.stop_time


def test_offline_chargers_show_their_connectors_and_sessions_as_such(app, logged_in, stuck):
    charger_page = logged_in.client.get("/chargers/1").get_data(as_text=True)
    assert "1 · Offline · last Charging" in charger_page and "1 · Charging" not in charger_page
    assert f"Charger offline since {LAST_SEEN:%Y-%m-%d %H:%M:%S} UTC" in charger_page
    assert f'href="/transactions/{stuck}#end-by-hand"' in charger_page
    assert "1 · Offline · last Charging" in logged_in.client.get("/chargers/").get_data(as_text=True)
    row = logged_in.client.get("/transactions/").get_data(as_text=True).split(f'id="transaction-{stuck}"')[1]
    assert "Charger offline" in row.split("</tr>")[0]
    detail = logged_in.client.get(f"/transactions/{stuck}").get_data(as_text=True)
    assert "Charger offline since" in detail and 'id="end-by-hand"' in detail
    live = logged_in.client.get(f"/transactions/{stuck}/live").get_data(as_text=True)
    assert "Charger offline since" in live


def test_online_chargers_show_live_status_and_no_flag(app, logged_in, stuck):
    set_online(app, True)
    charger_page = logged_in.client.get("/chargers/1").get_data(as_text=True)
    assert "1 · Charging" in charger_page and "Offline · last" not in charger_page
    assert "Charger offline" not in charger_page and "#end-by-hand" not in charger_page
    detail = logged_in.client.get(f"/transactions/{stuck}").get_data(as_text=True)
    assert "Charger offline" not in detail
    assert "CP-1 is online: a Stop from" in detail and 'id="end-by-hand"' in detail  # suggested, still allowed


@pytest.mark.parametrize("online", [False, True])
def test_an_operator_ends_a_stuck_session_by_hand(app, logged_in, stuck, online):
    set_online(app, online)
    before = utcnow()
    response = logged_in.post(f"/transactions/{stuck}/end", {"reason": "Simulator died mid-charge"})
    assert response.status_code == 302 and response.headers["Location"] == f"/transactions/{stuck}"
    status, reason, energy, meter_stop, stop_time = stored(app, stuck)
    assert (status, reason, energy, meter_stop) == ("completed", "EndedByHand", 2500, 3500)
    assert before <= stop_time <= utcnow()
    with app.app_context():
        [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "transaction.ended_by_hand"))
        assert (event.admin_id, event.subject_id) == (1, stuck)
        assert "Simulator died mid-charge" in event.detail and ("online" if online else "offline") in event.detail
    page = logged_in.client.get(f"/transactions/{stuck}").get_data(as_text=True)
    assert "ended by hand" in page and "Ended by hand" in page and "Simulator died mid-charge" in page
    assert 'id="end-by-hand"' not in page and "Charger offline" not in page


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_ending_by_hand_needs_a_reason(app, logged_in, stuck, reason):
    response = logged_in.post(f"/transactions/{stuck}/end", {"reason": reason})
    assert response.status_code == 422
    assert "reason" in response.get_data(as_text=True).lower() and 'aria-invalid="true"' in response.get_data(
        as_text=True
    )
    assert stored(app, stuck)[0] == "active"


def test_ending_an_ended_session_is_refused_with_409(app, logged_in, stuck):
    assert logged_in.post(f"/transactions/{stuck}/end", {"reason": "stuck"}).status_code == 302
    response = logged_in.post(f"/transactions/{stuck}/end", {"reason": "again"})
    assert response.status_code == 409
    assert "has already ended" in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "transaction.ended_by_hand")
            )
            == 1
        )


def test_ending_needs_the_csrf_token(app, logged_in, stuck):
    response = logged_in.client.post(f"/transactions/{stuck}/end", data={"reason": "stuck"})
    assert response.status_code == 400
    assert stored(app, stuck)[0] == "active"


def test_a_viewer_sees_the_flag_but_may_not_end(app, client, stuck):
    with app.app_context():
        admins.create_admin("viewer@example.com", ADMIN_PASSWORD, role="viewer")
    viewer = AuthActions(client)
    viewer.login("viewer@example.com")
    detail = client.get(f"/transactions/{stuck}").get_data(as_text=True)
    assert "Charger offline since" in detail and 'id="end-by-hand"' not in detail
    assert "#end-by-hand" not in client.get("/chargers/1").get_data(as_text=True)
    assert viewer.post(f"/transactions/{stuck}/end", {"reason": "stuck"}).status_code == 403
    assert stored(app, stuck)[0] == "active"


def test_ending_an_unknown_session_is_404(logged_in):
    assert logged_in.post("/transactions/999/end", {"reason": "stuck"}).status_code == 404
