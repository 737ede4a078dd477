"""Destructive actions ask first: each one's form carries its question (data-confirm for plain forms, static/feedback.js
asks; hx-confirm for the charger page's Hard reset, which htmx sends)."""

import pytest

from autocharge.db import writing
from autocharge.models import Charger
from autocharge.services import admins, chargers, users


@pytest.fixture
def records(app, admin) -> dict:
    """Add a pending charger with a password, a user with a tag and a second admin; return their ids."""
    with app.app_context():
        charger = chargers.add_charger("CP-9", password="sixteen-chars-pw!")
        with writing() as session:
            session.get(Charger, charger.id).registration = "pending"
        user = users.add_user("Alice Driver", "alice@example.com")
        users.add_tag(user.id, "04A1B2C3")
        other = admins.create_admin("ops@example.com", "correct horse battery", role="operator")
        return {"charger": charger.id, "user": user.id, "admin": other.id}


@pytest.mark.parametrize(
    ("page", "question"),
    [
        ("/chargers/", "Reject CP-9? It cannot charge until you accept it again."),
        ("/chargers/{charger}", "Reject CP-9? It cannot charge until you accept it again."),
        (
            "/chargers/{charger}",
            "Remove the OCPP password of CP-9? Anyone who knows its charge box id can then connect",
        ),
        ("/chargers/{charger}", "Hard reset CP-9 now? It restarts at once and ends any charging session on it."),
        ("/users/", "Block Alice Driver? Their RFID tags and vehicles stop starting charging sessions."),
        ("/users/{user}/edit", "Block Alice Driver? Their RFID tags and vehicles stop starting charging sessions."),
        ("/users/{user}/edit", "Remove tag 04A1B2C3 from Alice Driver? It no longer starts charging for them."),
        ("/admins/", "Disable ops@example.com? They are signed out everywhere and cannot sign in until enabled."),
    ],
)
def test_destructive_actions_ask_first(logged_in, records, page, question):
    html = logged_in.client.get(page.format(**records)).get_data(as_text=True)
    attribute = "hx-confirm" if question.startswith("Hard reset") else "data-confirm"
    assert f'{attribute}="{question}' in html


def test_unblocking_and_accepting_do_not_ask(app, logged_in, records):
    with app.app_context():
        users.set_status(records["user"], "blocked")
    html = logged_in.client.get(f"/users/{records['user']}/edit").get_data(as_text=True)
    assert "Unblock</button>" in html and "Block Alice Driver?" not in html
    html = logged_in.client.get(f"/chargers/{records['charger']}").get_data(as_text=True)
    assert html.count("data-confirm=") == 2  # Reject and Remove password; Accept and Set pending do not ask
