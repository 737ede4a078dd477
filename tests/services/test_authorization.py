"""One authorization decision for vehicle identifiers, RFID tags and back-office starts (SPEC §4)."""

import pytest
from pairing_support import VID, remote_start

from autocharge.services import authorization, pairing, users, vehicles


@pytest.fixture
def paired(driver, charger):
    """Return an active vehicle of the driver with identifier VID."""
    vehicle = vehicles.add_vehicle(driver.id, "AB-123")
    pairing.start(vehicle.id, charger.id)
    authorization.authorize(charger.id, f"VID:{VID}")
    return vehicles.get(vehicle.id)


@pytest.mark.parametrize(
    ("token", "token_type"),
    [
        (f"VID:{VID}", None),
        (f"vid:{VID.lower()}", None),
        ("VID:0A:1B:2C:3D:4E:5F", None),
        (f"VID:0000{VID}", None),
        (VID, "MacAddress"),
        (f"VID:{VID}", "MacAddress"),
        (f"0000{VID}", "EVCCID"),
    ],
)
def test_active_vehicle_of_active_user_is_accepted_as_auto_charge(paired, driver, charger, token, token_type):
    result = authorization.authorize(charger.id, token, token_type)
    assert (result.status, result.origin, result.user_id, result.vehicle_id) == (
        "Accepted",
        "autocharge",
        driver.id,
        paired.id,
    )
    assert result.identifier.canonical == VID and result.identifier.raw == token


def test_unknown_identifier_is_invalid(charger):
    assert authorization.authorize(charger.id, "VID:001122334455").status == "Invalid"


def test_retired_identifier_is_invalid(paired, charger):
    vehicles.retire_vehicle(paired.id)
    assert authorization.authorize(charger.id, f"VID:{VID}").status == "Invalid"


def test_blocked_user_is_blocked(paired, driver, charger):
    users.set_status(driver.id, "blocked")
    assert authorization.authorize(charger.id, f"VID:{VID}").status == "Blocked"
    users.add_tag(driver.id, "CARD1")
    assert authorization.authorize(charger.id, "CARD1").status == "Blocked"


def test_rfid_gets_the_only_vehicle_assigned(paired, driver, charger):
    users.add_tag(driver.id, "CARD1")
    result = authorization.authorize(charger.id, "card1")
    assert (result.status, result.origin, result.vehicle_id) == ("Accepted", "rfid", paired.id)


def test_rfid_of_a_user_with_two_vehicles_gets_none(paired, driver, charger):
    second = vehicles.add_vehicle(driver.id, "CD-456")
    pairing.start(second.id, charger.id)
    authorization.authorize(charger.id, "VID:001122334455")
    users.add_tag(driver.id, "CARD1")
    assert authorization.authorize(charger.id, "CARD1").vehicle_id is None


def test_a_hex_idtag_without_the_prefix_is_an_rfid_tag_in_ocpp16(paired, driver, charger):
    users.add_tag(driver.id, VID)
    assert authorization.authorize(charger.id, VID).origin == "rfid"


def test_app_start_gets_the_only_vehicle_assigned(paired, driver, charger):
    remote_start(charger.id, driver.id, "APP00112233AABB")
    result = authorization.authorize(charger.id, "APP00112233AABB")
    assert (result.status, result.origin, result.user_id, result.vehicle_id) == (
        "Accepted",
        "app",
        driver.id,
        paired.id,
    )


def test_a_retired_vehicle_is_not_the_only_vehicle(paired, driver, charger):
    vehicles.retire_vehicle(paired.id)
    users.add_tag(driver.id, "CARD1")
    assert authorization.authorize(charger.id, "CARD1").vehicle_id is None
