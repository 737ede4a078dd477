"""A user's vehicles: plates, adding, replacing, retiring; the identifier is write-once (SPEC §1, §2, §4)."""

import pytest
import sqlalchemy as sa
from pairing_support import VID, actions
from sqlalchemy.exc import IntegrityError

from autocharge.db import writing
from autocharge.extensions import db
from autocharge.models import UnknownIdentifier, Vehicle
from autocharge.services import ServiceError, authorization, pairing, vehicles
from autocharge.services.identifiers import Identifier


@pytest.mark.parametrize(
    ("raw", "shown", "key"),
    [
        ("ab-123-cd", "AB-123-CD", "AB123CD"),
        ("  b  md 1234 ", "B MD 1234", "BMD1234"),
        ("M·AB 12", "M·AB 12", "MAB12"),
        ("köln 1", "KÖLN 1", "KÖLN1"),
        ("ＡＢ１２", "AB12", "AB12"),  # full-width forms fold to ASCII (NFKC)
        ("x" * 20, "X" * 20, "X" * 20),
    ],
)
def test_normalize_plate(raw, shown, key):
    assert vehicles.normalize_plate(raw) == vehicles.Plate(shown, key)


@pytest.mark.parametrize("raw", [None, "", "   ", "---", "x" * 21, "AB/123", "AB_12", "<script>", "AB\n12"])
def test_normalize_plate_refuses(raw):
    with pytest.raises(ServiceError):
        vehicles.normalize_plate(raw)


def test_add_vehicle_is_pending_and_audited(driver, admin):
    vehicle = vehicles.add_vehicle(driver.id, "ab-123", admin_id=admin.id)
    assert (vehicle.plate, vehicle.plate_key, vehicle.status, vehicle.identifier) == (
        "AB-123",
        "AB123",
        "pending",
        None,
    )
    assert actions(vehicle.id) == ["vehicle.added"]


@pytest.mark.parametrize("again", ["AB 123", "ab-123", "A-B-1-2-3"])
def test_plate_of_another_user_is_refused_by_name(driver, other_driver, again):
    vehicles.add_vehicle(driver.id, "AB-123")
    with pytest.raises(ServiceError, match=r"already pending for another user, Jane Doe \(jane@example.com\)"):
        vehicles.add_vehicle(other_driver.id, again)


def test_plate_twice_for_the_same_user_is_refused(driver):
    vehicles.add_vehicle(driver.id, "AB-123")
    with pytest.raises(ServiceError, match="This user already has a pending vehicle with plate AB-123"):
        vehicles.add_vehicle(driver.id, "ab123")


def test_retired_plate_can_be_used_again(driver, other_driver):
    old = vehicles.add_vehicle(driver.id, "AB-123")
    vehicles.retire_vehicle(old.id)
    assert vehicles.add_vehicle(other_driver.id, "AB-123").status == "pending"


def test_database_refuses_two_current_vehicles_with_one_plate(driver, other_driver):
    vehicles.add_vehicle(driver.id, "AB-123")
    with pytest.raises(IntegrityError), writing() as session:
        session.add(Vehicle(user_id=other_driver.id, plate="AB 123", plate_key="AB123", status="pending"))


def test_database_refuses_one_identifier_on_two_active_vehicles(driver, other_driver):
    with writing() as session:
        session.add(Vehicle(user_id=driver.id, plate="A", plate_key="A", status="active", identifier=VID))
    with pytest.raises(IntegrityError), writing() as session:
        session.add(Vehicle(user_id=other_driver.id, plate="B", plate_key="B", status="active", identifier=VID))


def _paired(driver, charger, plate="AB-123", raw=f"VID:{VID}"):
    """Add a vehicle and pair it through a waiting pairing, as a charger would."""
    vehicle = vehicles.add_vehicle(driver.id, plate)
    pairing.start(vehicle.id, charger.id)
    assert authorization.authorize(charger.id, raw).status == "Accepted"
    return vehicles.get(vehicle.id)


@pytest.mark.parametrize("attempt", ["001B2C3D4E5F", None, VID])
def test_identifier_cannot_be_changed_by_any_code_path(driver, charger, attempt):
    vehicle = _paired(driver, charger)
    with pytest.raises(vehicles.IdentifierReadOnly), writing():
        vehicles.get(vehicle.id).identifier = attempt if attempt != VID else "FFFFFFFFFFFF"
    db.session.expire_all()
    assert vehicles.get(vehicle.id).identifier == VID


def test_rename_changes_only_the_plate(driver, charger):
    vehicle = _paired(driver, charger)
    vehicles.rename_vehicle(vehicle.id, "cd 456")
    db.session.expire_all()
    renamed = vehicles.get(vehicle.id)
    assert (renamed.plate, renamed.plate_key, renamed.identifier, renamed.status) == ("CD 456", "CD456", VID, "active")
    assert actions(vehicle.id)[-1] == "vehicle.updated"


def test_rename_to_a_taken_plate_is_refused(driver, other_driver):
    vehicles.add_vehicle(other_driver.id, "XY-1")
    mine = vehicles.add_vehicle(driver.id, "AB-1")
    with pytest.raises(ServiceError, match="Max Mustermann"):
        vehicles.rename_vehicle(mine.id, "xy1")


def test_retire_keeps_the_identifier_and_stops_it_at_once(driver, charger):
    vehicle = _paired(driver, charger)
    vehicles.retire_vehicle(vehicle.id)
    retired = vehicles.get(vehicle.id)
    assert (retired.status, retired.identifier) == ("retired", VID)
    assert retired.retired_at is not None
    assert authorization.authorize(charger.id, f"VID:{VID}").status == "Invalid"
    row = db.session.scalar(sa.select(UnknownIdentifier).where(UnknownIdentifier.value == VID))
    assert (row.kind, row.reason, row.attempts) == ("vehicle", "retired", 1)
    with pytest.raises(ServiceError, match="already retired"):
        vehicles.retire_vehicle(vehicle.id)


def test_retired_identifier_can_be_paired_again_to_another_vehicle(driver, other_driver, charger):
    old = _paired(driver, charger)
    vehicles.retire_vehicle(old.id)
    new = _paired(other_driver, charger, plate="NEW-1")
    assert (new.status, new.identifier, new.user_id) == ("active", VID, other_driver.id)
    assert vehicles.get(old.id).identifier == VID


def test_replacement_retires_the_old_vehicle_once_paired(driver, charger):
    old = _paired(driver, charger, raw="VID:001B2C3D4E5F")
    new = vehicles.add_vehicle(driver.id, "NEW-1", replaces_id=old.id)
    assert vehicles.get(old.id).status == "active"  # still charging until the new one is paired
    pairing.start(new.id, charger.id)
    authorization.authorize(charger.id, f"VID:{VID}")
    assert (vehicles.get(old.id).status, vehicles.get(new.id).status) == ("retired", "active")
    assert authorization.authorize(charger.id, "VID:001B2C3D4E5F").status == "Invalid"
    assert actions(old.id)[-2:] == ["vehicle.retired", "vehicle.replaced"]
    assert vehicles.replaced_by([old.id]) == {old.id: vehicles.get(new.id)}


def test_replacement_rules(driver, other_driver, charger):
    pending = vehicles.add_vehicle(driver.id, "P-1")
    with pytest.raises(ServiceError, match="Only an active vehicle can be replaced"):
        vehicles.add_vehicle(driver.id, "NEW-1", replaces_id=pending.id)
    active = _paired(driver, charger, plate="A-1")
    vehicles.add_vehicle(driver.id, "NEW-1", replaces_id=active.id)
    with pytest.raises(ServiceError, match="NEW-1 is already waiting to replace A-1"):
        vehicles.add_vehicle(driver.id, "NEW-2", replaces_id=active.id)
    with pytest.raises(ServiceError, match="does not belong"):
        vehicles.add_vehicle(other_driver.id, "NEW-3", replaces_id=active.id)


def test_the_same_car_may_come_back_as_its_own_replacement(driver, charger):
    old = _paired(driver, charger)
    new = vehicles.add_vehicle(driver.id, "NEW-PLATE", replaces_id=old.id)
    with writing():
        assert vehicles.attach_identifier(vehicles.get(new.id), Identifier(VID, VID), charger.id, None).id == old.id
    assert (vehicles.get(old.id).status, vehicles.get(new.id).identifier) == ("retired", VID)


def test_list_and_trail(driver, charger, admin):
    retired = vehicles.add_vehicle(driver.id, "R-1", admin_id=admin.id)
    vehicles.retire_vehicle(retired.id, admin_id=admin.id)
    pending = vehicles.add_vehicle(driver.id, "P-1")
    active = _paired(driver, charger, plate="A-1")
    assert [v.id for v in vehicles.list_for_user(driver.id)] == [active.id, pending.id, retired.id]
    trail = vehicles.trail_for_user(driver.id)
    assert [(e.action, plate) for e, plate in trail][:2] == [("pairing.completed", "A-1"), ("pairing.started", "A-1")]
    assert ("vehicle.retired", "R-1") in [(e.action, plate) for e, plate in trail]
    assert trail[-1][0].admin.email == "ops@example.com"
