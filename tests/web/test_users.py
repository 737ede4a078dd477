"""The Users screen: adding and editing users, blocking, RFID tags and the row menu."""

import pytest
import sqlalchemy as sa
from flask import url_for

from autocharge.extensions import db
from autocharge.models import User
from autocharge.services import users


@pytest.fixture
def alice(app):
    """Add user Alice with one tag; return her id."""
    with app.app_context():
        user = users.add_user("Alice Example", "alice@example.com")
        users.add_tag(user.id, "04a1b2c3")
        return user.id


def test_list_shows_users_tags_and_a_menu(logged_in, alice):
    html = logged_in.client.get("/users/").get_data(as_text=True)
    for text in ("Alice Example", "alice@example.com", "Active", "04A1B2C3"):
        assert text in html
    assert 'aria-haspopup="menu"' in html and f'aria-controls="user-menu-{alice}"' in html
    assert 'role="menu"' in html and ">Edit</a>" in html and ">Block</button>" in html


def test_menu_links_to_vehicles_only_when_that_screen_exists(app, logged_in, alice):
    html = logged_in.client.get("/users/").get_data(as_text=True)
    assert ("Vehicles</a>" in html) == ("vehicles.index" in app.view_functions)
    if "vehicles.index" in app.view_functions:
        with app.test_request_context():
            assert f'href="{url_for("vehicles.index", user_id=alice)}"' in html


def test_add_user(app, logged_in):
    response = logged_in.post("/users/new", {"name": " Bob ", "email": "Bob@Example.com"})
    assert response.status_code == 302
    with app.app_context():
        bob = db.session.scalar(db.select(User).where(User.email == "bob@example.com"))
        assert bob.name == "Bob" and bob.status == "active"
        assert response.headers["Location"] == f"/users/{bob.id}/edit"
    assert "Added Bob." in logged_in.client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "email", "field", "message"),
    [
        ("", "x@example.com", "name", "A name is required (at most 120 characters)."),
        ("N" * 121, "x@example.com", "name", "A name is required (at most 120 characters)."),
        ("Carol", "", "email", "A valid email address is required."),
        ("Carol", "carol.example.com", "email", "A valid email address is required."),
        ("Carol", "carol @example.com", "email", "A valid email address is required."),
        ("Carol", "alice@example.com", "email", "A user with email alice@example.com already exists."),
    ],
)
def test_add_user_refuses_bad_input_next_to_the_field(app, logged_in, alice, name, email, field, message):
    response = logged_in.post("/users/new", {"name": name, "email": email})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="field-error" id="f-{field}-error">{message}</p>' in html
    assert f'value="{name}"' in html and f'value="{email}"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_edit_user(app, logged_in, alice):
    page = logged_in.client.get(f"/users/{alice}/edit").get_data(as_text=True)
    assert 'value="Alice Example"' in page
    response = logged_in.post(f"/users/{alice}/edit", {"name": "Alice Renamed", "email": "alice@new.example"})
    assert response.status_code == 302
    with app.app_context():
        user = users.get(alice)
        assert (user.name, user.email) == ("Alice Renamed", "alice@new.example")


def test_edit_refuses_another_users_email(app, logged_in, alice):
    with app.app_context():
        users.add_user("Bob", "bob@example.com")
    response = logged_in.post(f"/users/{alice}/edit", {"name": "Alice", "email": "bob@example.com"})
    assert response.status_code == 422
    assert "A user with email bob@example.com already exists." in response.get_data(as_text=True)


def test_block_and_unblock_from_the_menu(app, logged_in, alice):
    response = logged_in.post(f"/users/{alice}/status", {"status": "blocked", "next": "/users/", "confirmed": "yes"})
    assert response.headers["Location"] == "/users/"
    html = logged_in.client.get("/users/").get_data(as_text=True)
    assert "Alice Example is blocked" in html and "Blocked" in html and ">Unblock</button>" in html
    logged_in.post(f"/users/{alice}/status", {"status": "active"})
    with app.app_context():
        assert users.get(alice).status == "active"


def test_status_refuses_nonsense(app, logged_in, alice):
    response = logged_in.post(f"/users/{alice}/status", {"status": "deleted"}, follow_redirects=True)
    assert "Status must be one of active, blocked." in response.get_data(as_text=True)


def test_add_and_remove_tag(app, logged_in, alice):
    response = logged_in.post(f"/users/{alice}/tags", {"tag": " deadbeef "}, follow_redirects=True)
    assert "Added tag DEADBEEF to Alice Example." in response.get_data(as_text=True)
    with app.app_context():
        tag = next(t for t in users.get(alice).tags if t.tag == "DEADBEEF")
    response = logged_in.post(f"/users/{alice}/tags/{tag.id}/delete", {"confirmed": "yes"}, follow_redirects=True)
    assert "Removed the tag" in response.get_data(as_text=True)
    with app.app_context():
        assert [t.tag for t in users.get(alice).tags] == ["04A1B2C3"]


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("", "An RFID tag is 1-36 printable characters without spaces."),
        ("AB CD", "An RFID tag is 1-36 printable characters without spaces."),
        ("T" * 37, "An RFID tag is 1-36 printable characters without spaces."),
        ("VID:0A1B2C3D4E5F", "VID: identifiers belong to vehicles, not RFID tags."),
        ("04a1b2c3", "Tag 04A1B2C3 already belongs to Alice Example."),
    ],
)
def test_add_tag_refuses_bad_or_taken_tags(app, logged_in, alice, tag, message):
    response = logged_in.post(f"/users/{alice}/tags", {"tag": tag})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="field-error" id="f-tag-error">{message}</p>' in html
    assert f'value="{tag}"' in html


def test_remove_a_tag_of_another_user_is_404(app, logged_in, alice):
    with app.app_context():
        bob = users.add_user("Bob", "bob@example.com").id
        tag_id = users.get(alice).tags[0].id
    assert logged_in.post(f"/users/{bob}/tags/{tag_id}/delete", {"confirmed": "yes"}).status_code == 404


def test_unknown_user_is_404(logged_in):
    assert logged_in.client.get("/users/999/edit").status_code == 404
