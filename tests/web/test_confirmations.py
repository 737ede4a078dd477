"""Destructive actions ask first: each one's form carries its question (data-confirm for plain forms, static/feedback.js
asks and adds confirmed=yes; hx-confirm for the charger page's Hard reset, which htmx sends), and without JavaScript the
server asks on a page of its own (confirm.html) whose button posts the same form, confirmed."""

import re

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


def hidden_fields(html: str) -> dict[str, str]:
    """Return the hidden fields of the confirmation page's form (its CSRF token aside), as a browser would post them."""
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    fields.pop("csrf_token", None)
    return fields


def _state(records: dict) -> dict:
    """Return what the destructive actions change, as it is now."""
    charger = chargers.get(records["charger"])
    return {
        "registration": charger.registration,
        "password": charger.password_hash is not None,
        "status": users.get(records["user"]).status,
        "tags": len(users.get(records["user"]).tags),
        "disabled": admins.get(records["admin"]).disabled_at is not None,
    }


# The action's URL and form (as the page's form sends it without JavaScript), the confirmation page's heading,
# and what changes once it is confirmed.
NO_SCRIPT = [
    ("/chargers/{charger}/registration", {"registration": "rejected"}, "Reject CP-9?", {"registration": "rejected"}),
    ("/chargers/{charger}/password", {"action": "remove"}, "Remove the OCPP password of CP-9?", {"password": False}),
    (
        "/users/{user}/status",
        {"status": "blocked", "next": "/users/?q=Alice"},
        "Block Alice Driver?",
        {"status": "blocked"},
    ),
    ("/users/{user}/tags/{tag}/delete", {}, "Remove a tag from Alice Driver?", {"tags": 0}),
    ("/admins/{admin}/disable", {}, "Disable ops@example.com?", {"disabled": True}),
]


@pytest.mark.parametrize(
    ("url", "form", "heading", "change"), NO_SCRIPT, ids=lambda v: v if isinstance(v, str) else None
)
def test_without_javascript_a_page_asks_first_and_its_button_does_it(
    app, logged_in, records, url, form, heading, change
):
    with app.app_context():
        records["tag"] = users.get(records["user"]).tags[0].id
        before = _state(records)
    url = url.format(**records)
    asked = logged_in.post(url, form)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and asked.headers["Cache-Control"] == "no-store"
    assert f"<h1>{heading}</h1>" in html and f'action="{url}"' in html
    with app.app_context():
        assert _state(records) == before  # asking changed nothing
    fields = hidden_fields(html)
    assert fields == {**form, "confirmed": "yes"}
    back = form.get("next")
    if back:  # Cancel and the back link go where the form came from
        assert f'href="{back}"' in html

    done = logged_in.post(url, fields)
    assert done.status_code == 302
    if back:
        assert done.headers["Location"] == back
    with app.app_context():
        assert _state(records) == {**before, **change}


def test_the_confirmation_page_sends_a_foreign_next_nowhere(app, logged_in, records):
    html = logged_in.post(
        f"/users/{records['user']}/status", {"status": "blocked", "next": "https://evil.example/"}
    ).get_data(as_text=True)
    assert "evil.example" not in html
    assert hidden_fields(html)["next"] == "/users/"


def test_removing_a_tag_the_user_does_not_have_is_404_before_asking(app, logged_in, records):
    with app.app_context():
        bob = users.add_user("Bob Driver", "bob@example.com").id
        tag = users.get(records["user"]).tags[0].id
    assert logged_in.post(f"/users/{bob}/tags/{tag}/delete").status_code == 404
