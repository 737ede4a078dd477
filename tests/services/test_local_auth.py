"""What chargers' local lists hold, and the changes every rule records for them (services/local_auth.py)."""

import pytest
import sqlalchemy as sa

from autocharge.db import writing
from autocharge.extensions import db
from autocharge.models import LocalAuthChange
from autocharge.services import ServiceError, chargers, local_auth, users, vehicles
from autocharge.services.identifiers import Identifier
from autocharge.services.local_auth import Entry

VID, OTHER = "0A1B2C3D4E5F", "001A2B3C4D5E"


def changes() -> list[tuple[str, str, str | None]]:
    """Return every recorded change, oldest first."""
    rows = db.session.scalars(sa.select(LocalAuthChange).order_by(LocalAuthChange.id))
    return [(row.kind, row.value, row.status) for row in rows]


def pair(user_id: int, plate: str, identifier: str, replaces_id: int | None = None) -> int:
    """Add a vehicle and pair it with `identifier`; return its id."""
    vehicle = vehicles.add_vehicle(user_id, plate, replaces_id=replaces_id)
    with writing():
        vehicles.attach_identifier(vehicles.get(vehicle.id), Identifier(identifier, identifier), None, None)
    return vehicle.id


@pytest.fixture
def jane(app) -> int:
    """Return an active user with tag TAG1."""
    user = users.add_user("Jane", "jane@example.com")
    users.add_tag(user.id, "tag1")
    return user.id


def test_every_rule_that_changes_who_may_charge_records_a_change(jane):
    first = pair(jane, "AB-1", VID)
    users.set_status(jane, "blocked")
    users.set_status(jane, "blocked")  # no change: nothing recorded
    users.set_status(jane, "active")
    pair(jane, "AB-2", OTHER, replaces_id=first)  # the old identifier leaves, the new one comes
    tag = users.add_tag(jane, "tag2")
    users.remove_tag(jane, tag.id)
    assert changes() == [
        ("rfid", "TAG1", "Accepted"),
        ("vehicle", VID, "Accepted"),
        ("vehicle", VID, "Blocked"),
        ("rfid", "TAG1", "Blocked"),
        ("vehicle", VID, "Accepted"),
        ("rfid", "TAG1", "Accepted"),
        ("vehicle", VID, None),
        ("vehicle", OTHER, "Accepted"),
        ("rfid", "TAG2", "Accepted"),
        ("rfid", "TAG2", None),
    ]


def test_retiring_a_pending_vehicle_changes_no_list(jane):
    vehicle = vehicles.add_vehicle(jane, "AB-1")
    before = changes()
    vehicles.retire_vehicle(vehicle.id)
    assert changes() == before


def test_the_full_list_puts_accepted_first_and_leaves_out_tags_too_long_for_16(app, jane):
    pair(jane, "AB-1", VID)
    other = users.add_user("Bo", "bo@example.com")
    users.add_tag(other.id, "B" * 30)
    users.set_status(other.id, "blocked")
    listed, total = local_auth.entries("2.0.1")
    assert total == 3 and listed == [
        Entry("vehicle", VID, "Accepted"),
        Entry("rfid", "TAG1", "Accepted"),
        Entry("rfid", "B" * 30, "Blocked"),
    ]
    assert local_auth.entries("1.6") == (listed[:2], 2) and local_auth.count_entries("1.6") == 2
    assert local_auth.entries("2.0.1", limit=1) == (listed[:1], 3)


def test_changes_after_keep_the_latest_per_token_and_stop_at_the_limit(jane):
    start = local_auth.last_change_id()
    users.set_status(jane, "blocked")
    users.set_status(jane, "active")
    users.add_tag(jane, "tag2")
    entries, last = local_auth.changes_after(start, 2)
    assert entries == [Entry("rfid", "TAG1", "Accepted")] and last == start + 2
    entries, last = local_auth.changes_after(last, 50)
    assert entries == [Entry("rfid", "TAG2", "Accepted")] and last == local_auth.last_change_id()
    assert local_auth.changes_after(last, 50) == ([], last)


def test_delivered_changes_are_forgotten_once_every_enabled_charger_has_them(app, jane):
    cp1, cp2 = chargers.add_charger("CP-1").id, chargers.add_charger("CP-2").id
    local_auth.set_enabled(cp1, True)
    local_auth.set_enabled(cp2, True)
    assert local_auth.forget_delivered() == 0  # neither has had its full list yet
    local_auth.record(cp1, needs_full=False, synced_change_id=1)
    local_auth.record(cp2, needs_full=False, synced_change_id=local_auth.last_change_id())
    assert local_auth.forget_delivered() == 1 and changes() == []
    users.add_tag(jane, "tag3")
    local_auth.set_enabled(cp1, False)
    local_auth.set_enabled(cp2, False)
    assert local_auth.forget_delivered() == 1  # nobody keeps a list: nothing is needed


def test_pending_count_is_capped(app, jane):
    cp1 = chargers.add_charger("CP-1").id
    local_auth.set_enabled(cp1, True)
    local_auth.record(cp1, needs_full=False, synced_change_id=0)
    with writing():
        db.session.add_all(
            LocalAuthChange(kind="rfid", value=f"T{n}", status="Accepted") for n in range(local_auth.PENDING_SHOWN + 5)
        )
    assert local_auth.pending_count(local_auth.state(cp1)) == local_auth.PENDING_SHOWN + 1


def test_a_resync_needs_the_list_turned_on(app):
    cp1 = chargers.add_charger("CP-1").id
    with pytest.raises(ServiceError, match="keeps no local list"):
        local_auth.request_full(cp1)
    local_auth.set_enabled(cp1, True)
    local_auth.record(cp1, needs_full=False)
    assert local_auth.request_full(cp1).needs_full


def test_a_change_after_the_delivered_ones_are_forgotten_gets_a_new_id(app, jane):
    cp1 = chargers.add_charger("CP-1").id
    local_auth.set_enabled(cp1, True)
    delivered = local_auth.last_change_id()
    local_auth.record(cp1, needs_full=False, synced_change_id=delivered)
    assert local_auth.forget_delivered() == 1 and changes() == []
    users.set_status(jane, "blocked")
    # A reused id (SQLite's plain rowid) would look delivered already, and the block would never reach the charger.
    assert local_auth.last_change_id() > delivered
    assert local_auth.pending_count(local_auth.state(cp1)) == 1
