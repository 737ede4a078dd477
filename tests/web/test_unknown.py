"""The Unknown identifiers screen: masked by default, revealed on request, paired directly (SPEC §4, §5)."""

import re

import pytest
import sqlalchemy as sa
from pairing_support import VID, World

from autocharge.extensions import db
from autocharge.models import AuditEvent
from autocharge.services import unknown, users, vehicles

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app):
    """Return two drivers and two online chargers."""
    return World(app)


@pytest.fixture
def refused(world):
    """Have CP-1 refuse VID twice and an RFID card once; return the vehicle identifier's row id."""
    for token in (f"VID:{VID}", f"vid:{VID.lower()}", "NOSUCHCARD"):
        assert world.authorize(token) == "Invalid"
    return world.run(lambda: unknown.page("vehicle").items[0].id)


def test_list_is_masked_with_where_when_and_how_often(logged_in, refused):
    html = logged_in.client.get("/unknown-identifiers/").get_data(as_text=True)
    assert "0A:1B:••:••:••:5F" in html and "0A:1B:2C:3D:4E:5F" not in html and VID not in html
    assert "CP-1" in html and ">2</td>" in html and "Unknown" in html and "Pair with a vehicle" in html
    assert "NOSUCHCARD" not in html


def test_rfid_tab(logged_in, refused):
    html = logged_in.client.get("/unknown-identifiers/?kind=rfid").get_data(as_text=True)
    assert "NO••••RD" in html and "NOSUCHCARD" not in html and "Pair with a vehicle" not in html


def test_reveal_with_htmx_returns_the_cell_and_is_audited(app, logged_in, refused):
    response = logged_in.post(f"/unknown-identifiers/{refused}/reveal", headers=HX)
    assert response.get_data(as_text=True).strip() == '<code class="identifier">0A:1B:2C:3D:4E:5F</code>'
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.subject_type == "unknown")) == (
            "identifier.revealed"
        )


def test_reveal_without_htmx_shows_the_page_with_that_row_revealed(logged_in, refused):
    html = logged_in.post(f"/unknown-identifiers/{refused}/reveal").get_data(as_text=True)
    assert "0A:1B:2C:3D:4E:5F" in html and "<html" in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_other_site_can_make_an_admin_reveal(app, logged_in, refused, method):
    """A cross-site <img src> (a GET) or a forged form (no CSRF token) reveals nothing and records nothing."""
    response = getattr(logged_in.client, method)(f"/unknown-identifiers/{refused}/reveal")
    assert response.status_code == (405 if method == "get" else 400)
    assert "0A:1B:2C:3D:4E:5F" not in response.get_data(as_text=True)
    with app.app_context():
        revealed = sa.select(sa.func.count()).where(AuditEvent.action == "identifier.revealed")
        assert db.session.scalar(revealed) == 0


def test_retired_identifier_is_listed_as_such(logged_in, world):
    vehicle = world.vehicle(identifier=VID)
    world.run(vehicles.retire_vehicle, vehicle)
    world.authorize(f"VID:{VID}")
    assert "Retired vehicle" in logged_in.client.get("/unknown-identifiers/").get_data(as_text=True)


def test_pair_directly_with_a_pending_vehicle(logged_in, world, refused):
    pending = world.vehicle("AB-123")
    page = logged_in.client.get(f"/unknown-identifiers/{refused}/pair?q=jane").get_data(as_text=True)
    assert f"/unknown-identifiers/{refused}/pair?user_id={world.user}" in page and "Max" not in page
    page = logged_in.client.get(f"/unknown-identifiers/{refused}/pair?user_id={world.user}").get_data(as_text=True)
    assert f'name="vehicle_id" value="{pending}"' in page
    response = logged_in.post(f"/unknown-identifiers/{refused}/pair", {"user_id": world.user, "vehicle_id": pending})
    assert response.headers["Location"] == f"/users/{world.user}/vehicles/"
    assert world.authorize(f"VID:{VID}") == "Accepted"
    assert world.run(lambda: vehicles.get(pending).identifier) == VID
    assert logged_in.client.get(f"/unknown-identifiers/{refused}/pair").status_code == 404  # no longer unknown


def test_pair_directly_with_a_new_plate(logged_in, world, refused):
    logged_in.post(f"/unknown-identifiers/{refused}/pair", {"user_id": world.user, "plate": "new 1"})
    vehicle = world.run(lambda: vehicles.list_for_user(world.user)[0])
    assert (vehicle.plate, vehicle.status, vehicle.identifier) == ("NEW 1", "active", VID)


def test_an_identifier_paired_meanwhile_leaves_the_list(logged_in, world, refused):
    world.vehicle("XY-999", user=world.other_user, identifier=VID)
    assert "0A:1B:••" not in logged_in.client.get("/unknown-identifiers/").get_data(as_text=True)
    response = logged_in.post(f"/unknown-identifiers/{refused}/pair", {"user_id": world.user, "plate": "AB-1"})
    assert response.status_code == 404  # pairing it elsewhere took it off the unknown list


def test_pair_directly_refuses_with_the_same_checks(logged_in, world, refused):
    other = world.vehicle("XY-999", user=world.other_user)
    world.pairing(other, world.charger2)
    mine = world.vehicle("AB-1")
    world.pairing(mine, world.charger)
    response = logged_in.post(f"/unknown-identifiers/{refused}/pair", {"user_id": world.user, "vehicle_id": mine})
    assert response.status_code == 422 and "already waits for AB-1 on CP-1" in response.get_data(as_text=True)
    response = logged_in.post(f"/unknown-identifiers/{refused}/pair", {"user_id": world.user, "plate": "xy999"})
    assert response.status_code == 422 and "Max Mustermann" in response.get_data(as_text=True)


def test_rfid_rows_cannot_be_paired(logged_in, world, refused):
    row = world.run(lambda: unknown.page("rfid").items[0].id)
    assert logged_in.client.get(f"/unknown-identifiers/{row}/pair").status_code == 404


@pytest.fixture
def card(world, refused) -> int:
    """Return the row of the RFID card CP-1 refused."""
    return world.run(lambda: unknown.page("rfid").items[0].id)


def test_rfid_tab_offers_to_assign_a_tag(logged_in, card):
    html = logged_in.client.get("/unknown-identifiers/?kind=rfid").get_data(as_text=True)
    assert f'href="/unknown-identifiers/{card}/assign" aria-label="Assign tag NO••••RD to a user">' in html


def test_assign_a_refused_tag_to_a_user(app, logged_in, world, card):
    page = logged_in.client.get(f"/unknown-identifiers/{card}/assign?q=jane").get_data(as_text=True)
    assert f"/unknown-identifiers/{card}/assign?user_id={world.user}" in page and "Max" not in page
    page = logged_in.client.get(f"/unknown-identifiers/{card}/assign?user_id={world.user}").get_data(as_text=True)
    assert "Assign tag to Jane Doe</button>" in page and "NOSUCHCARD" not in page
    response = logged_in.post(f"/unknown-identifiers/{card}/assign", {"user_id": world.user})
    assert response.headers["Location"] == f"/users/{world.user}/edit"
    assert "Assigned tag NO••••RD to Jane Doe." in logged_in.client.get(f"/users/{world.user}/edit").get_data(
        as_text=True
    )
    assert world.authorize("NOSUCHCARD") == "Accepted"
    assert "NO••••RD" not in logged_in.client.get("/unknown-identifiers/?kind=rfid").get_data(as_text=True)
    assert logged_in.client.get(f"/unknown-identifiers/{card}/assign").status_code == 404  # no longer unknown
    with app.app_context():
        event = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.subject_id, AuditEvent.detail, AuditEvent.admin_id).where(
                AuditEvent.action == "user.tag_added"
            )
        ).one()
    assert event[:3] == ("user.tag_added", world.user, "tag NO••••RD (from unknown identifiers)") and event[3]


def test_a_tag_another_user_has_is_refused_with_their_name(logged_in, world, card):
    world.run(users.add_tag, world.other_user, "NOSUCHCARD")
    response = logged_in.post(f"/unknown-identifiers/{card}/assign", {"user_id": world.user})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Tag NO••••RD already belongs to Max Mustermann." in html
    assert "NOSUCHCARD" not in html
    assert "NO••••RD" in logged_in.client.get("/unknown-identifiers/?kind=rfid").get_data(as_text=True)  # still there


@pytest.mark.parametrize("form", [{}, {"user_id": "abc"}])
def test_assign_without_a_user_shows_the_search_again(logged_in, card, form):
    response = logged_in.post(f"/unknown-identifiers/{card}/assign", form)
    assert response.status_code == 200 and "Whose tag is it?" in response.get_data(as_text=True)


def test_vehicle_identifiers_are_paired_not_assigned(logged_in, world, refused):
    assert logged_in.client.get(f"/unknown-identifiers/{refused}/assign").status_code == 404
    assert logged_in.post(f"/unknown-identifiers/{refused}/assign", {"user_id": world.user}).status_code == 404
    assert logged_in.post(f"/unknown-identifiers/{refused}/assign?user_id=99").status_code == 404


def test_assigning_needs_the_csrf_token(logged_in, world, card):
    response = logged_in.client.post(f"/unknown-identifiers/{card}/assign", data={"user_id": world.user})
    assert response.status_code == 400
    assert world.authorize("NOSUCHCARD") == "Invalid"


@pytest.fixture
def many(app, refused):
    """Add 120 more refused RFID tags, one a second."""
    from datetime import timedelta

    from autocharge.db import utcnow, writing
    from autocharge.models import UnknownIdentifier

    now = utcnow()
    with app.app_context(), writing() as session:
        session.execute(
            sa.insert(UnknownIdentifier),
            [
                {"kind": "rfid", "value": f"TAG{i:05d}", "raw": f"TAG{i:05d}", "last_seen": now - timedelta(seconds=i)}
                for i in range(120)
            ],
        )


@pytest.mark.parametrize(
    ("query", "rows", "text"),
    [
        ("kind=rfid", 50, "1–50 of 121 tags"),
        ("kind=rfid&page=3", 21, "101–121 of 121 tags"),
        ("kind=rfid&page=nope", 50, "1–50 of 121 tags"),
        ("kind=rfid&per_page=abc", 50, "1–50 of 121 tags"),
        ("kind=rfid&page=9", 0, "Page 9 does not exist"),
        ("kind=bogus", 1, "1–1 of 1 identifier"),  # an unknown kind shows the vehicle identifiers
    ],
)
def test_pages(logged_in, many, query, rows, text):
    response = logged_in.client.get(f"/unknown-identifiers/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and text in html
    assert len(re.findall(r'<tr id="unknown-\d+"', html)) == rows


def test_newest_first_and_htmx_gets_the_results(logged_in, many):
    response = logged_in.client.get("/unknown-identifiers/?kind=rfid&page=2", headers=HX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="results"') and "<html" not in html
    shown = re.findall(r'<code class="identifier">([^<]+)</code>', html)
    assert shown[0] == "TA••••49" and len(shown) == 50
