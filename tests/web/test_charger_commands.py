"""Commands from the charger page: forms checked in plain words (422), an answer at once when the charger cannot be
reached, the answer into the page's result area for htmx, a hard reset only once confirmed, and the audit trail.

Commands to a connected charger are driven end to end in tests/simulator and tests/browser (real server, simulator).
"""

import time

import pytest
import sqlalchemy as sa

from autocharge.db import writing
from autocharge.extensions import db
from autocharge.models import AuditEvent, Charger, Connector
from autocharge.services import admins, chargers, users

from .conftest import AuthActions

HTMX = {"HX-Request": "true", "HX-Target": "command-result"}


@pytest.fixture
def offline(app):
    """Add charger CP-1 (no socket) and an active user; return (charger id, user id)."""
    with app.app_context():
        return chargers.add_charger("CP-1").id, users.add_user("Alice", "alice@example.com").id


@pytest.fixture
def reporting(app, offline):
    """Make CP-1 an OCPP 1.6 charger that reported connectors 1 and 2; return its id."""
    charger_id, _ = offline
    with app.app_context(), writing() as session:
        session.get(Charger, charger_id).ocpp_version = "1.6"
        session.add_all([Connector(charger_id=charger_id, connector_id=n, status="Available") for n in (1, 2)])
    return charger_id


def events(app, charger_id: int) -> list[tuple[str, str]]:
    """Return the charger's commands in the audit trail as (action, detail), oldest first."""
    query = sa.select(AuditEvent.action, AuditEvent.detail).where(
        AuditEvent.subject_type == "charger", AuditEvent.subject_id == charger_id, AuditEvent.action.like("command.%")
    )
    with app.app_context():
        return [tuple(row) for row in db.session.execute(query.order_by(AuditEvent.id))]


SENDABLE = [
    ("start", {"user_id": "USER"}),
    ("start", {"user_id": "USER", "connector_id": "1"}),
    ("stop", {"transaction_id": "1"}),
    ("clear-cache", {}),
    ("reset", {"kind": "Soft"}),
    ("reset", {"kind": "Hard", "confirmed": "yes"}),
    ("unlock", {"connector_id": "1"}),
    ("trigger", {"message": "Heartbeat"}),
    ("trigger", {"message": "StatusNotification", "connector_id": "1"}),
    ("configuration", {}),
    ("configuration", {"keys": "HeartbeatInterval, MeterValueSampleInterval"}),
    ("configuration/change", {"key": "HeartbeatInterval", "value": "60"}),
]


def _form(data: dict, user_id: int) -> dict:
    return {k: str(user_id) if v == "USER" else v for k, v in data.items()}


@pytest.mark.parametrize(("path", "data"), SENDABLE)
def test_offline_charger_answers_at_once(logged_in, offline, path, data):
    charger_id, user_id = offline
    started = time.monotonic()
    response = logged_in.post(f"/chargers/{charger_id}/{path}", _form(data, user_id))
    assert time.monotonic() - started < 5  # a hang would last the 15 s command timeout
    if path == "configuration":  # values read are shown at once, never carried in the session cookie
        assert response.status_code == 200
        assert '<div class="flash flash-error command-answer">\n  CP-1 is offline.' in response.get_data(as_text=True)
        return
    assert response.status_code == 302 and response.headers["Location"] == f"/chargers/{charger_id}"
    html = logged_in.client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<div class="flash flash-error" role="alert">CP-1 is offline.</div>' in html


@pytest.mark.parametrize(("path", "data"), SENDABLE)
def test_with_htmx_the_answer_is_the_result_partial(logged_in, offline, path, data):
    charger_id, user_id = offline
    response = logged_in.post(f"/chargers/{charger_id}/{path}", _form(data, user_id), headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'class="flash flash-error command-answer"' in html and "CP-1 is offline." in html


REFUSALS = [
    ("start", {}, "Choose the user to charge for."),
    ("start", {"user_id": "abc"}, "Choose the user to charge for."),
    ("start", {"user_id": "USER", "connector_id": "3"}, "Choose one of the charger's connectors (CP-1 reports 1, 2)."),
    ("stop", {}, "Choose the transaction to stop."),
    ("reset", {"kind": "Sideways"}, "A reset is Soft or Hard."),
    ("unlock", {}, "Choose one of the charger's connectors (CP-1 reports 1, 2)."),
    ("unlock", {"connector_id": "0"}, "Choose one of the charger's connectors"),
    ("unlock", {"connector_id": "-1"}, "Choose one of the charger's connectors"),
    ("unlock", {"connector_id": "9" * 20}, "Choose one of the charger's connectors"),
    ("unlock", {"connector_id": "7"}, "Choose one of the charger's connectors (CP-1 reports 1, 2)."),
    ("trigger", {}, "Choose a message to trigger: one of BootNotification,"),
    ("trigger", {"message": "Reset"}, "Choose a message to trigger"),
    ("trigger", {"message": "TransactionEvent"}, "Choose a message to trigger"),  # a 2.0.1 message, CP-1 is 1.6
    ("trigger", {"message": "Heartbeat", "connector_id": "5"}, "Choose one of the charger's connectors"),
    ("configuration", {"keys": "A" * 51}, "A configuration key is at most 50 characters."),
    ("configuration", {"keys": "Heart\x00beat"}, "A configuration key is letters, digits and punctuation"),
    ("configuration", {"keys": " ".join(f"K{n}" for n in range(21))}, "Read at most 20 keys at once"),
    ("configuration/change", {"value": "60"}, "Enter a configuration key."),
    ("configuration/change", {"key": "  ", "value": "60"}, "Enter a configuration key."),
    ("configuration/change", {"key": "Heartbeat Interval"}, "A configuration key is letters, digits and punctuation"),
    ("configuration/change", {"key": "Kéy"}, "A configuration key is letters, digits and punctuation"),
    ("configuration/change", {"key": "K" * 51}, "A configuration key is at most 50 characters."),
    ("configuration/change", {"key": "HeartbeatInterval", "value": "6" * 501}, "at most 500 characters."),
    ("configuration/change", {"key": "HeartbeatInterval", "value": "6\n0"}, "cannot contain control characters"),
]


@pytest.mark.parametrize("with_htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("path", "data", "message"), REFUSALS)
def test_command_forms_refuse_in_plain_words(app, logged_in, offline, reporting, path, data, message, with_htmx):
    charger_id, user_id = offline
    headers = HTMX if with_htmx else {}
    response = logged_in.post(f"/chargers/{charger_id}/{path}", _form(data, user_id), headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.replace("&#39;", "'")
    assert ("<html" in html) is not with_htmx  # the page with the reason in its result area, or the partial alone
    assert events(app, charger_id) == []  # nothing was sent, so nothing recorded


def test_a_2_0_1_charger_takes_component_variable_keys_and_its_own_messages(app, logged_in, reporting):
    with app.app_context(), writing() as session:
        session.get(Charger, reporting).ocpp_version = "2.0.1"
    form = {"key": "OCPPCommCtrlr." + "V" * 50, "value": "x" * 1000}
    assert logged_in.post(f"/chargers/{reporting}/configuration/change", form).status_code == 302
    assert logged_in.post(f"/chargers/{reporting}/trigger", {"message": "TransactionEvent"}).status_code == 302
    refused = logged_in.post(f"/chargers/{reporting}/trigger", {"message": "DiagnosticsStatusNotification"})
    assert refused.status_code == 422


def test_hard_reset_without_javascript_asks_on_a_page_first(app, logged_in, offline):
    charger_id, _ = offline
    response = logged_in.post(f"/chargers/{charger_id}/reset", {"kind": "Hard"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1>Hard reset CP-1?</h1>" in html
    assert '<input type="hidden" name="confirmed" value="yes">' in html
    assert f'action="/chargers/{charger_id}/reset"' in html and f'href="/chargers/{charger_id}">Cancel</a>' in html
    assert events(app, charger_id) == []  # asked, not sent
    logged_in.post(f"/chargers/{charger_id}/reset", {"kind": "Hard", "confirmed": "yes"})
    assert [action for action, _ in events(app, charger_id)] == ["command.reset", "command.offline"]


def test_hard_reset_by_htmx_without_its_confirmation_is_refused(app, logged_in, offline):
    charger_id, _ = offline
    response = logged_in.post(f"/chargers/{charger_id}/reset", {"kind": "Hard"}, headers=HTMX)
    assert response.status_code == 422 and "Confirm the hard reset first." in response.get_data(as_text=True)
    assert events(app, charger_id) == []


def test_the_charger_page_offers_the_commands_with_feedback_and_confirmation(logged_in, reporting):
    html = logged_in.client.get(f"/chargers/{reporting}").get_data(as_text=True)
    assert '<div id="command-result" class="command-result" role="status">' in html
    for path in ("start", "clear-cache", "reset", "unlock", "trigger", "configuration", "configuration/change"):
        assert f'hx-post="/chargers/{reporting}/{path}" hx-target="#command-result"' in html
    assert html.count('data-sending="') == 8  # each command's form, the hard reset's included
    assert (
        'hx-confirm="Hard reset CP-1 now? It restarts at once and ends any charging session on it. Some chargers'
        ' restart their software and stay offline for a while."' in html
    )
    assert "some chargers restart\n        their software (even on a soft reset)" in html  # the reset warning
    assert '<option value="2">2 (Available)</option>' in html  # connectors to unlock
    assert "<option>DiagnosticsStatusNotification</option>" in html and "<option>TransactionEvent</option>" not in html
    assert 'data-confirm="Reject CP-1? It cannot charge until you accept it again."' in html


def test_viewers_see_no_commands_and_cannot_send_them(app, client, offline):
    charger_id, _ = offline
    with app.app_context():
        admins.create_admin("viewer@example.com", "correct horse battery", role="viewer")
    auth = AuthActions(client)
    auth.login("viewer@example.com")
    assert 'id="commands"' not in client.get(f"/chargers/{charger_id}").get_data(as_text=True)
    for path, data in SENDABLE:
        assert auth.post(f"/chargers/{charger_id}/{path}", _form(data, 1)).status_code == 403
    assert events(app, charger_id) == []


@pytest.mark.parametrize(("path", "data"), SENDABLE)
def test_commands_need_the_csrf_token(app, logged_in, offline, path, data):
    charger_id, user_id = offline
    response = logged_in.client.post(f"/chargers/{charger_id}/{path}", data=_form(data, user_id))
    assert response.status_code == 400
    assert events(app, charger_id) == []


def test_a_configuration_change_is_recorded_with_its_key_never_its_value(app, logged_in, offline):
    charger_id, _ = offline
    form = {"key": "AuthorizationKey", "value": "s3cret-value"}
    logged_in.post(f"/chargers/{charger_id}/configuration/change", form)
    logged_in.post(f"/chargers/{charger_id}/configuration", {"keys": "AuthorizationKey"})
    assert events(app, charger_id) == [
        ("command.change_configuration", "change of AuthorizationKey"),
        ("command.offline", "change of AuthorizationKey: CP-1 is offline."),
        ("command.get_configuration", "configuration read"),
        ("command.offline", "configuration read: CP-1 is offline."),
    ]


def test_command_to_unknown_charger_is_404(logged_in):
    assert logged_in.post("/chargers/999/clear-cache").status_code == 404
    assert logged_in.post("/chargers/999/unlock", {"connector_id": "1"}).status_code == 404


@pytest.fixture
def evses(app, offline):
    """Make CP-1 an OCPP 2.0.1 charger with EVSE 1 (connectors 1 and 2) and EVSE 2 (connector 1); return its id."""
    charger_id, _ = offline
    with app.app_context(), writing() as session:
        session.get(Charger, charger_id).ocpp_version = "2.0.1"
        places = ((1, 1), (1, 2), (2, 1))
        session.add_all(
            [Connector(charger_id=charger_id, evse_id=e, connector_id=n, status="Available") for e, n in places]
        )
    return charger_id


# What a 2.0.1 charger's forms send (as the audit trail words it): a start names an EVSE, an unlock a connector of one.
EVSE_CHOICES = [
    ("start", {"user_id": "USER", "connector_id": "2"}, "remote start for user USER on EVSE 2"),
    ("unlock", {"connector_id": "1.2"}, "unlock of EVSE 1 connector 2"),
    ("unlock", {"connector_id": "2"}, "unlock of EVSE 2 connector 1"),  # an EVSE alone: its connector 1
    ("trigger", {"message": "StatusNotification", "connector_id": "1.2"}, "StatusNotification trigger"),
]


@pytest.mark.parametrize(("path", "data", "detail"), EVSE_CHOICES)
def test_a_2_0_1_charger_is_commanded_by_evse_and_connector(app, logged_in, offline, evses, path, data, detail):
    _, user_id = offline
    assert logged_in.post(f"/chargers/{evses}/{path}", _form(data, user_id)).status_code == 302
    assert events(app, evses)[0][1] == detail.replace("USER", str(user_id))


EVSE_REFUSALS = [
    ("start", {"user_id": "USER", "connector_id": "3"}, "Choose one of the charger's EVSEs (CP-1 reports 1, 2)."),
    ("unlock", {"connector_id": "2.2"}, "Choose one of the charger's connectors (CP-1 reports 1.1, 1.2, 2.1)."),
    ("unlock", {"connector_id": "1.x"}, "Choose one of the charger's connectors"),
    ("unlock", {"connector_id": "0.1"}, "Choose one of the charger's connectors"),
    ("unlock", {"connector_id": "1.0"}, "Choose one of the charger's connectors"),
    ("trigger", {"message": "Heartbeat", "connector_id": "3"}, "Choose one of the charger's connectors"),
]


@pytest.mark.parametrize(("path", "data", "message"), EVSE_REFUSALS)
def test_a_2_0_1_charger_refuses_an_evse_or_connector_it_lacks(app, logged_in, offline, evses, path, data, message):
    _, user_id = offline
    response = logged_in.post(f"/chargers/{evses}/{path}", _form(data, user_id))
    assert response.status_code == 422 and message in response.get_data(as_text=True).replace("&#39;", "'")
    assert events(app, evses) == []


def test_a_2_0_1_charger_page_offers_evses_to_start_on_and_their_connectors(logged_in, evses):
    html = logged_in.client.get(f"/chargers/{evses}").get_data(as_text=True)
    assert '<label for="start-connector">EVSE</label>' in html
    assert '<option value="1">EVSE 1</option>' in html and '<option value="2">EVSE 2</option>' in html
    assert '<option value="1.2">EVSE 1 · connector 2 (Available)</option>' in html  # to unlock
    assert '<option value="2.1">EVSE 2 · connector 1</option>' in html  # to trigger about
    assert "EVSE 1 · connector 2 · Offline · last Available" in html  # its status badge
