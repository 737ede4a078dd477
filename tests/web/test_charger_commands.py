"""Commands from the charger page when the charger cannot be reached: a clear message at once, never a hang.

Commands to a connected charger are driven end to end in tests/browser (real server, simulator).
"""

import time

import pytest

from autocharge.services import chargers, users


@pytest.fixture
def offline(app):
    """Add charger CP-1 (no socket) and an active user; return (charger id, user id)."""
    with app.app_context():
        return chargers.add_charger("CP-1").id, users.add_user("Alice", "alice@example.com").id


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("start", {"user_id": "USER"}),
        ("start", {"user_id": "USER", "connector_id": "1"}),
        ("stop", {"transaction_id": "1"}),
        ("clear-cache", {}),
        ("reset", {"kind": "Soft"}),
        ("reset", {"kind": "Hard"}),
    ],
)
def test_offline_charger_answers_at_once(logged_in, offline, path, data):
    charger_id, user_id = offline
    data = {k: str(user_id) if v == "USER" else v for k, v in data.items()}
    started = time.monotonic()
    response = logged_in.post(f"/chargers/{charger_id}/{path}", data)
    assert time.monotonic() - started < 5  # a hang would last the 15 s command timeout
    assert response.status_code == 302 and response.headers["Location"] == f"/chargers/{charger_id}"
    html = logged_in.client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<div class="flash flash-error" role="alert">CP-1 is offline.</div>' in html


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("start", {}, "Choose the user to charge for."),
        ("start", {"user_id": "abc"}, "Choose the user to charge for."),
        ("stop", {}, "Choose the transaction to stop."),
        ("reset", {"kind": "Sideways"}, "A reset is Soft or Hard."),
    ],
)
def test_command_forms_refuse_missing_choices(logged_in, offline, path, data, message):
    charger_id, _ = offline
    response = logged_in.post(f"/chargers/{charger_id}/{path}", data, follow_redirects=True)
    assert message in response.get_data(as_text=True)


def test_command_to_unknown_charger_is_404(logged_in):
    assert logged_in.post("/chargers/999/clear-cache").status_code == 404
