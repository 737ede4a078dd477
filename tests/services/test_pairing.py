"""Pairing sessions: starting, racing, expiring, cancelling, and the hooks the OCPP side calls (SPEC §3)."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pairing_support import UNIVERSAL_VID, VID, actions, age, remote_start, set_online
from sqlalchemy.exc import IntegrityError

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import PairingSession, UnknownIdentifier
from autocharge.services import NotFound, ServiceError, authorization, chargers, pairing, users, vehicles
from autocharge.services.identifiers import Identifier


@pytest.fixture
def vehicle(driver):
    """Return a pending vehicle of the driver."""
    return vehicles.add_vehicle(driver.id, "AB-123")


@pytest.fixture
def waiting(vehicle, charger, admin):
    """Return a pairing waiting on CP-1 for the vehicle."""
    return pairing.start(vehicle.id, charger.id, admin.id)


def state(session_id: int) -> PairingSession:
    """Return a pairing session as stored now."""
    db.session.expire_all()
    return pairing.get(session_id)


def test_start_waits_until_the_configured_deadline(app, waiting, vehicle):
    timeout = app.config["AUTOCHARGE_PAIRING_TIMEOUT"]
    assert waiting.state == "waiting"
    assert abs((waiting.deadline - utcnow()) - timedelta(seconds=timeout)) < timedelta(seconds=5)
    assert 170 <= pairing.remaining_seconds(waiting) <= 180
    assert actions(vehicle.id) == ["vehicle.added", "pairing.started"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"online": False}, "Offline"),
        ({"autocharge": "unsupported"}, "Does not support Auto Charge"),
        ({"registration": "pending"}, "Registration is pending"),
    ],
)
def test_start_refuses_a_charger_that_cannot_pair(vehicle, charger, change, message):
    with writing():
        for key, value in change.items():
            setattr(chargers.get(charger.id), key, value)
    with pytest.raises(ServiceError, match=message):
        pairing.start(vehicle.id, charger.id)


def test_start_refuses_vehicles_that_are_not_pending(vehicle, charger):
    pairing.start(vehicle.id, charger.id)
    authorization.authorize(charger.id, f"VID:{VID}")
    with pytest.raises(ServiceError, match="already paired with 0A:1B:2C:3D:4E:5F.*read-only"):
        pairing.start(vehicle.id, charger.id)
    vehicles.retire_vehicle(vehicle.id)
    with pytest.raises(ServiceError, match="retired"):
        pairing.start(vehicle.id, charger.id)
    with pytest.raises(NotFound):
        pairing.start(vehicle.id, 999)


def test_second_pairing_on_a_charger_is_told_who_and_when(waiting, driver, charger, other_admin):
    second = vehicles.add_vehicle(driver.id, "CD-456")
    with pytest.raises(pairing.PairingConflict) as refused:
        pairing.start(second.id, charger.id, other_admin.id)
    text = str(refused.value)
    assert "already waits on CP-1 (for AB-123): started by ops@example.com at " in text
    assert pairing.when(waiting.created_at) in text


def test_second_pairing_for_a_vehicle_is_refused(waiting, vehicle, charger2):
    with pytest.raises(pairing.PairingConflict, match="already waits for AB-123 on CP-1"):
        pairing.start(vehicle.id, charger2.id)


def test_database_allows_one_waiting_pairing_per_charger_and_per_vehicle(waiting, vehicle, driver, charger, charger2):
    other = vehicles.add_vehicle(driver.id, "CD-456")
    deadline = utcnow() + timedelta(minutes=1)
    for vehicle_id, charger_id in ((other.id, charger.id), (vehicle.id, charger2.id)):
        with pytest.raises(IntegrityError), writing() as session:
            session.add(PairingSession(vehicle_id=vehicle_id, charger_id=charger_id, deadline=deadline))


def test_lost_insert_race_is_answered_with_the_winner(waiting, driver, charger, monkeypatch):
    """When the check passes for both admins, the partial unique index decides and the loser is told who won."""
    real, calls = pairing._conflict, []

    def check_misses_the_winner_once(charger_id, vehicle_id):
        calls.append(charger_id)
        return real(charger_id, vehicle_id) if len(calls) > 1 else None

    monkeypatch.setattr(pairing, "_conflict", check_misses_the_winner_once)
    second = vehicles.add_vehicle(driver.id, "CD-456")
    with pytest.raises(pairing.PairingConflict, match="started by ops@example.com"):
        pairing.start(second.id, charger.id)
    assert len(calls) == 2  # the insert hit the index, then the loser was told


def test_two_admins_racing_for_one_charger(app, driver, charger, admin, other_admin):
    """Two threads start at the same moment: exactly one pairing waits, the other admin learns who has it."""
    first, second = vehicles.add_vehicle(driver.id, "AB-1"), vehicles.add_vehicle(driver.id, "AB-2")
    barrier, outcomes = threading.Barrier(2), {}

    def race(vehicle_id, admin_id):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[admin_id] = pairing.start(vehicle_id, charger.id, admin_id).id
            except pairing.PairingConflict as exc:
                outcomes[admin_id] = str(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=race, args=args) for args in ((first.id, admin.id), (second.id, other_admin.id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [v for v in outcomes.values() if isinstance(v, int)]
    losers = [v for v in outcomes.values() if isinstance(v, str)]
    assert len(winners) == 1 and len(losers) == 1
    winner = state(winners[0])
    assert f"started by {winner.admin.email}" in losers[0]
    assert db.session.scalar(sa.select(sa.func.count()).where(PairingSession.state == "waiting")) == 1


def test_cancel(waiting, vehicle, admin):
    pairing.cancel(waiting.id, admin.id)
    cancelled = state(waiting.id)
    assert (cancelled.state, cancelled.failure_reason) == ("cancelled", "Cancelled by ops@example.com.")
    assert actions(vehicle.id)[-1] == "pairing.cancelled"
    with pytest.raises(ServiceError, match="already ended"):
        pairing.cancel(waiting.id, admin.id)


def test_expiry_by_the_background_job(waiting, vehicle, charger):
    assert pairing.expire_due() == 0
    age(waiting.id)
    assert pairing.expire_due() == 1
    expired = state(waiting.id)
    assert expired.state == "expired" and expired.ended_at is not None
    assert "deadline passed (3 min) before CP-1 reported" in expired.failure_reason
    assert actions(vehicle.id)[-1] == "pairing.expired"
    assert pairing.expire_due() == 0
    authorization.authorize(charger.id, f"VID:{VID}")
    assert vehicles.get(vehicle.id).status == "pending"  # too late: the identifier is not taken


def test_expiry_on_read_and_try_again(waiting, vehicle, charger):
    age(waiting.id)
    assert pairing.refresh(waiting.id).state == "expired"
    again = pairing.retry(waiting.id)
    assert (again.state, again.vehicle_id, again.charger_id) == ("waiting", vehicle.id, charger.id)
    with pytest.raises(ServiceError, match="still waiting"):
        pairing.retry(again.id)


def test_a_past_deadline_does_not_block_a_new_pairing(waiting, driver, charger):
    age(waiting.id)  # nobody expired it yet: the start must do it to free the one-waiting-per-charger index
    other = vehicles.add_vehicle(driver.id, "CD-456")
    assert pairing.start(other.id, charger.id).state == "waiting"
    assert state(waiting.id).state == "expired"


@pytest.mark.parametrize(
    ("token", "token_type"),
    [(f"VID:{VID}", None), ("vid:0a-1b-2c-3d-4e-5f", None), (VID, "MacAddress"), (f"0000{VID}", "EVCCID")],
)
def test_identifier_completes_the_pairing_and_that_request_is_accepted(
    waiting, vehicle, charger, driver, admin, token, token_type
):
    with writing() as session:
        session.add(UnknownIdentifier(kind="vehicle", value=VID, raw=token, charger_id=charger.id))
    result = authorization.authorize(charger.id, token, token_type)
    assert (result.status, result.origin, result.vehicle_id, result.user_id) == (
        "Accepted",
        "autocharge",
        vehicle.id,
        driver.id,
    )
    paired, done = vehicles.get(vehicle.id), state(waiting.id)
    assert (paired.status, paired.identifier, paired.identifier_raw) == ("active", VID, token)
    assert (paired.paired_charger_id, paired.randomized_mac) == (charger.id, True)
    assert (done.state, done.received_identifier, done.received_raw) == ("paired", VID, token)
    assert db.session.scalar(sa.select(UnknownIdentifier.id)) is None  # no longer unknown
    assert actions(vehicle.id)[-1] == "pairing.completed"
    assert authorization.authorize(charger.id, token, token_type).origin == "autocharge"  # and every time after


def test_a_universal_mac_is_not_flagged(waiting, vehicle, charger):
    authorization.authorize(charger.id, f"VID:{UNIVERSAL_VID}")
    assert vehicles.get(vehicle.id).randomized_mac is False


def test_identifier_active_on_another_vehicle_fails_with_plate_and_user(waiting, vehicle, other_driver, charger2):
    theirs = vehicles.add_vehicle(other_driver.id, "XY-999")
    pairing.start(theirs.id, charger2.id)
    authorization.authorize(charger2.id, f"VID:{VID}")
    result = authorization.authorize(waiting.charger_id, f"VID:{VID}")
    assert (result.status, result.vehicle_id) == ("Accepted", theirs.id)  # it is their car
    failed = state(waiting.id)
    assert failed.state == "failed" and failed.received_identifier == VID
    assert "already active on vehicle XY-999 of Max Mustermann (max@example.com)" in failed.failure_reason
    assert vehicles.get(vehicle.id).status == "pending"
    assert actions(vehicle.id)[-1] == "pairing.failed"


def test_a_card_instead_of_an_identifier_keeps_waiting(waiting, charger, driver):
    users.add_tag(driver.id, "04A2B3C4")
    assert authorization.authorize(charger.id, "04a2b3c4").origin == "rfid"
    noted = state(waiting.id)
    assert noted.state == "waiting" and noted.card_presented_at is not None and noted.received_raw is None


def test_a_malformed_identifier_is_noted_and_keeps_waiting(waiting, charger):
    assert authorization.authorize(charger.id, "VID:0A1B2C").status == "Invalid"
    noted = state(waiting.id)
    assert (noted.state, noted.received_raw, noted.received_identifier) == ("waiting", "VID:0A1B2C", None)


def test_remote_start_tokens_are_not_cards(waiting, charger, driver):
    remote_start(charger.id, driver.id, "APP0123456789AB")
    assert authorization.authorize(charger.id, "APP0123456789AB").origin == "app"
    assert state(waiting.id).card_presented_at is None


@pytest.mark.parametrize(
    ("status", "noted"), [("Preparing", True), ("Occupied", True), ("Available", False), ("Charging", False)]
)
def test_connector_progress(waiting, charger, status, noted):
    pairing.on_connector_status(charger.id, 1, status)
    assert (state(waiting.id).preparing_at is not None) is noted


def test_charger_offline_fails_the_pairing(waiting, vehicle, charger):
    set_online(charger.id, False)
    pairing.on_charger_offline(charger.id)
    failed = state(waiting.id)
    assert (failed.state, failed.failure_reason) == (
        "failed",
        "Charger CP-1 went offline before it reported the vehicle's identifier.",
    )
    assert actions(vehicle.id)[-1] == "pairing.failed"


def test_hooks_without_a_waiting_pairing_change_nothing(vehicle, charger):
    pairing.on_identifier(charger.id, Identifier(VID, VID))
    pairing.on_card_presented(charger.id, "TAG")
    pairing.on_connector_status(charger.id, 1, "Preparing")
    pairing.on_charger_offline(charger.id)
    assert vehicles.get(vehicle.id).status == "pending"
    assert db.session.scalar(sa.select(PairingSession.id)) is None


def test_a_blocked_user_pairs_but_is_answered_blocked(waiting, vehicle, driver, charger):
    users.set_status(driver.id, "blocked")
    assert authorization.authorize(charger.id, f"VID:{VID}").status == "Blocked"
    assert vehicles.get(vehicle.id).identifier == VID


def test_charger_choices_order_and_reasons(vehicle, driver, charger, admin):
    for box_id, support, online in (
        ("A-UNKNOWN", "unknown", True),
        ("B-OFFLINE", "supported", False),
        ("C-NO", "unsupported", True),
        ("D-BUSY", "supported", True),
        ("E-YES", "supported", True),
    ):
        set_online(chargers.add_charger(box_id, autocharge=support).id, online)
    busy = chargers.by_box_id("D-BUSY")
    pairing.start(vehicles.add_vehicle(driver.id, "ZZ-1").id, busy.id, admin.id)
    choices, total = pairing.charger_choices()
    assert total == 6
    assert [(c.charger.charge_box_id, c.selectable) for c in choices] == [
        ("CP-1", True),
        ("E-YES", True),
        ("A-UNKNOWN", True),
        ("B-OFFLINE", False),
        ("D-BUSY", False),
        ("C-NO", False),
    ]
    by_id = {c.charger.charge_box_id: c for c in choices}
    assert "support unknown" in by_id["A-UNKNOWN"].note
    assert by_id["B-OFFLINE"].reason.startswith("Offline")
    assert "started by ops@example.com" in by_id["D-BUSY"].reason
    assert "Does not support Auto Charge" in by_id["C-NO"].reason
