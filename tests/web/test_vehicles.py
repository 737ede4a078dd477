"""The Vehicles screen of a user: list, Add Vehicle, edit plate, replace, retire; the identifier is never editable."""

import re

import pytest
from pairing_support import VID, World

from autocharge.db import writing
from autocharge.extensions import db
from autocharge.models import Vehicle
from autocharge.services import vehicles


@pytest.fixture
def world(app):
    """Return two drivers and two online chargers."""
    return World(app)


def stored(world, vehicle_id) -> Vehicle:
    """Return a vehicle as stored now."""
    with world.app.app_context():
        vehicle = db.session.get(Vehicle, vehicle_id)
        db.session.expunge(vehicle)
        return vehicle


def test_requires_login(client, world):
    response = client.get(f"/users/{world.user}/vehicles/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_users_menu_leads_to_the_vehicles_page(logged_in, world):
    html = logged_in.client.get("/users/").get_data(as_text=True)
    assert "Assets</div>" in html and f'href="/users/{world.user}/vehicles/"' in html


def test_page_lists_active_pending_and_retired_vehicles_with_the_trail(logged_in, world):
    active = world.vehicle("AC-1", identifier=VID)
    world.vehicle("PE-1")
    retired = world.vehicle("RE-1", identifier="001122334455")
    world.run(vehicles.retire_vehicle, retired)
    html = logged_in.client.get(f"/users/{world.user}/vehicles/").get_data(as_text=True)
    assert html.index("AC-1") < html.index("PE-1") < html.index("RE-1")
    assert "0A:1B:2C:3D:4E:5F" in html and "00:11:22:33:44:55" in html and "Randomised MAC" in html
    assert "on CP-2" in html and "not paired yet" in html
    assert ">Active<" in html and ">Pending<" in html and ">Retired<" in html
    for label in ("Vehicle added", "Pairing started", "Pairing completed", "Vehicle retired"):
        assert label in html
    assert f'href="/users/{world.user}/vehicles/{active}/pair"' not in html  # paired: no Pair button


def test_add_vehicle_then_pair(logged_in, world):
    page = logged_in.client.get(f"/users/{world.user}/vehicles/new").get_data(as_text=True)
    assert set(re.findall(r'<(?:input|select|textarea|button)[^>]*name="([^"]+)"', page)) == {
        "csrf_token",
        "plate",
        "then",
    }
    response = logged_in.post(f"/users/{world.user}/vehicles/new", {"plate": "ab 123", "then": "pair"})
    vehicle = world.run(lambda: vehicles.list_for_user(world.user)[0].id)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/users/{world.user}/vehicles/{vehicle}/pair"
    assert stored(world, vehicle).plate == "AB 123"


def test_add_without_pairing_goes_back_to_the_list(logged_in, world):
    response = logged_in.post(f"/users/{world.user}/vehicles/new", {"plate": "AB-1", "then": "add"})
    assert response.headers["Location"] == f"/users/{world.user}/vehicles/"


def test_plate_of_another_user_is_refused_in_words(logged_in, world):
    world.vehicle("AB-123", user=world.other_user)
    response = logged_in.post(f"/users/{world.user}/vehicles/new", {"plate": "ab123", "then": "pair"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Plate AB-123 is already pending for another user, Max Mustermann (max@example.com)" in html


@pytest.mark.parametrize("field", ["identifier", "identifier_raw", "status", "user_id", "randomized_mac"])
def test_extra_fields_on_add_are_ignored(logged_in, world, field):
    logged_in.post(f"/users/{world.user}/vehicles/new", {"plate": "AB-1", "then": "add", field: VID})
    vehicle = world.run(lambda: vehicles.list_for_user(world.user)[0].id)
    after = stored(world, vehicle)
    assert (after.identifier, after.status, after.user_id, after.randomized_mac) == (None, "pending", world.user, False)


def test_edit_form_shows_the_identifier_read_only_and_has_no_field_for_it(logged_in, world):
    vehicle = world.vehicle(identifier=VID)
    html = logged_in.client.get(f"/users/{world.user}/vehicles/{vehicle}/edit").get_data(as_text=True)
    assert "0A:1B:2C:3D:4E:5F" in html and "read-only" in html
    assert set(re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', html)) == {"csrf_token", "plate"}


@pytest.mark.parametrize(
    "extra",
    [{"identifier": "FFFFFFFFFFFF"}, {"identifier_raw": "x"}, {"vehicle[identifier]": "F"}, {"status": "pending"}],
)
def test_edit_changes_only_the_plate(logged_in, world, extra):
    vehicle = world.vehicle(identifier=VID)
    response = logged_in.post(f"/users/{world.user}/vehicles/{vehicle}/edit", {"plate": "NEW 1", **extra})
    assert response.status_code == 302
    after = stored(world, vehicle)
    assert (after.plate, after.identifier, after.status) == ("NEW 1", VID, "active")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/users/{user}/vehicles/{vehicle}/identifier"),
        ("put", "/users/{user}/vehicles/{vehicle}/edit"),
        ("patch", "/users/{user}/vehicles/{vehicle}/edit"),
        ("post", "/users/{user}/vehicles/{vehicle}"),
        ("post", "/vehicles/{vehicle}/edit"),
    ],
)
def test_no_route_takes_an_identifier(logged_in, world, method, path):
    vehicle = world.vehicle(identifier=VID)
    url = path.format(user=world.user, vehicle=vehicle)
    response = getattr(logged_in.client, method)(
        url, data={"identifier": "FFFFFFFFFFFF", "csrf_token": logged_in.token()}
    )
    assert response.status_code in (404, 405)
    assert stored(world, vehicle).identifier == VID


def test_pairing_a_paired_vehicle_again_is_refused(logged_in, world):
    vehicle = world.vehicle(identifier=VID)
    response = logged_in.post(f"/users/{world.user}/vehicles/{vehicle}/pair", {"charger_id": world.charger})
    assert response.status_code == 422
    assert "read-only once paired" in response.get_data(as_text=True)
    world.authorize("VID:001122334455")
    assert stored(world, vehicle).identifier == VID


def test_another_users_vehicle_is_not_found(logged_in, world):
    theirs = world.vehicle(user=world.other_user)
    assert logged_in.client.get(f"/users/{world.user}/vehicles/{theirs}/edit").status_code == 404
    assert logged_in.post(f"/users/{world.user}/vehicles/{theirs}/retire").status_code == 404
    assert logged_in.client.get("/users/999/vehicles/").status_code == 404


def test_forms_need_the_csrf_token(logged_in, world):
    vehicle = world.vehicle(identifier=VID)
    response = logged_in.client.post(f"/users/{world.user}/vehicles/{vehicle}/retire")
    assert response.status_code == 400
    assert stored(world, vehicle).status == "active"


def test_retire_asks_first_then_stops_the_identifier(logged_in, world):
    vehicle = world.vehicle(identifier=VID)
    page = logged_in.client.get(f"/users/{world.user}/vehicles/{vehicle}/retire").get_data(as_text=True)
    assert "Retire AB-123?" in page and "stops" in page
    assert stored(world, vehicle).status == "active"  # the confirmation page changed nothing
    response = logged_in.post(f"/users/{world.user}/vehicles/{vehicle}/retire", follow_redirects=True)
    assert "Retired AB-123. Its identifier stays on record and no longer authenticates." in response.get_data(
        as_text=True
    )
    assert stored(world, vehicle).status == "retired"
    assert world.authorize(f"VID:{VID}") == "Invalid"


def test_replace_adds_the_new_vehicle_as_replacement(logged_in, world):
    old = world.vehicle(identifier=VID)
    page = logged_in.client.get(f"/users/{world.user}/vehicles/new?replaces={old}").get_data(as_text=True)
    assert "Add the replacement of AB-123" in page and f'name="replaces" value="{old}"' in page
    logged_in.post(f"/users/{world.user}/vehicles/new", {"plate": "NEW-1", "replaces": old, "then": "add"})
    html = logged_in.client.get(f"/users/{world.user}/vehicles/").get_data(as_text=True)
    assert "replaces AB-123" in html and "to be replaced by NEW-1" in html


def test_database_constraint_holds_even_behind_the_forms(world):
    world.vehicle(identifier=VID)
    other = world.vehicle("CD-1", user=world.other_user)
    with world.app.app_context(), pytest.raises(Exception, match="UNIQUE|unique|duplicate"), writing():  # noqa: PT011
        vehicle = db.session.get(Vehicle, other)
        vehicle.identifier, vehicle.status = VID, "active"
