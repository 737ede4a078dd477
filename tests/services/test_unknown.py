"""Refused identifiers, and pairing one directly from the Unknown identifiers screen (SPEC §4, §5)."""

import pytest
import sqlalchemy as sa
from pairing_support import VID, actions

from autocharge.db import writing
from autocharge.extensions import db
from autocharge.models import AuditEvent, UnknownIdentifier
from autocharge.services import NotFound, ServiceError, authorization, pairing, unknown, vehicles


@pytest.fixture
def refused(charger):
    """Return the unknown-identifier row of a vehicle identifier CP-1 presented twice."""
    for _ in range(2):
        assert authorization.authorize(charger.id, f"vid:{VID.lower()}").status == "Invalid"
    return db.session.scalar(sa.select(UnknownIdentifier).where(UnknownIdentifier.kind == "vehicle"))


@pytest.mark.parametrize(
    ("canonical", "masked"), [(VID, "0A:1B:••:••:••:5F"), ("001122334455", "00:11:••:••:••:55"), ("", "••")]
)
def test_mask(canonical, masked):
    assert unknown.mask(canonical) == masked


def test_refused_identifiers_are_counted(refused, charger):
    assert (refused.value, refused.raw, refused.attempts, refused.reason) == (VID, "vid:0a1b2c3d4e5f", 2, "unknown")
    assert refused.charger_id == charger.id and refused.first_seen <= refused.last_seen
    authorization.authorize(charger.id, "NOSUCHCARD")
    assert [r.value for r in unknown.page("vehicle").items] == [VID]
    assert [r.value for r in unknown.page("rfid").items] == ["NOSUCHCARD"]
    with pytest.raises(ServiceError):
        unknown.page("other")


def test_reveal_is_audited(refused, admin):
    assert unknown.reveal(refused.id, admin.id) == "0A:1B:2C:3D:4E:5F"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "identifier.revealed"))
    assert (event.subject_id, event.admin_id) == (refused.id, admin.id)


def test_pair_directly_with_a_pending_vehicle(refused, driver, charger, admin):
    vehicle = vehicles.add_vehicle(driver.id, "AB-123")
    paired = unknown.pair_directly(refused.id, driver.id, vehicle_id=vehicle.id, admin_id=admin.id)
    assert (paired.status, paired.identifier, paired.paired_charger_id) == ("active", VID, charger.id)
    assert actions(vehicle.id)[-2:] == ["pairing.started", "pairing.completed"]
    assert authorization.authorize(charger.id, f"VID:{VID}").origin == "autocharge"
    with pytest.raises(NotFound):
        unknown.get(refused.id)


def test_pair_directly_with_a_new_plate(refused, driver, admin):
    paired = unknown.pair_directly(refused.id, driver.id, plate="new 1", admin_id=admin.id)
    assert (paired.plate, paired.status, paired.identifier) == ("NEW 1", "active", VID)


def test_pair_directly_has_the_same_checks(refused, driver, other_driver, charger, charger2):
    theirs = vehicles.add_vehicle(other_driver.id, "XY-999")
    pairing.start(theirs.id, charger2.id)
    pending = vehicles.add_vehicle(driver.id, "AB-1")
    pairing.start(pending.id, charger.id)
    with pytest.raises(ServiceError, match="already waits for AB-1 on CP-1"):
        unknown.pair_directly(refused.id, driver.id, vehicle_id=pending.id)
    authorization.authorize(charger2.id, f"VID:{VID}")  # it becomes XY-999's identifier meanwhile
    with writing() as session:
        row = UnknownIdentifier(kind="vehicle", value=VID, raw=VID, charger_id=charger.id)
        session.add(row)
    with pytest.raises(ServiceError, match="already active on vehicle XY-999 of Max Mustermann"):
        unknown.pair_directly(row.id, driver.id, plate="NEW-2")
    assert vehicles.list_for_user(driver.id)[0].plate == "AB-1"  # the refused new vehicle was not kept
    with pytest.raises(ServiceError, match="not both"):
        unknown.pair_directly(row.id, driver.id, vehicle_id=pending.id, plate="X")
    with pytest.raises(ServiceError, match="Choose one"):
        unknown.pair_directly(row.id, driver.id)
    with pytest.raises(NotFound):
        unknown.pair_directly(row.id, driver.id, vehicle_id=theirs.id)


def test_rfid_rows_cannot_be_paired(charger, driver):
    authorization.authorize(charger.id, "NOSUCHCARD")
    row = unknown.page("rfid").items[0]
    with pytest.raises(ServiceError, match="RFID"):
        unknown.pair_directly(row.id, driver.id, plate="AB-1")
