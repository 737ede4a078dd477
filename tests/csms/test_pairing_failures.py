"""Pairing failures and rules against the real server and simulated chargers (SPEC §2-§4, issue 3).

Duplicate identifier, retired identifier, blocked user, deadline, cancel, charger disconnect, two admins racing,
and a restart while a pairing waits.
"""

import threading
from datetime import timedelta

import pytest
from pairing_support import BackOffice

from autocharge.models import PairingSession, UnknownIdentifier, Vehicle
from autocharge.services import admins
from autocharge.simulator import Simulator

from .pairing_helpers import PASSWORD, id_status, one, wait_until

VID = "0A1B2C3D4E5F"


def start_pairing(office, user_id, cp1, plate="AB-123") -> tuple[int, int]:
    """Add Vehicle and Pair on CP-1 through the web UI; return (vehicle id, pairing id)."""
    vehicle = office.add_vehicle(user_id, plate)
    page = office.pair(user_id, vehicle, cp1)
    assert page.status == 302, page.text
    return vehicle, page.id_at_end()


def paired_vehicle(office, station, user_id, cp1, plate="AB-123", vid=VID) -> int:
    """Pair a vehicle of `user_id` with `vid` on CP-1; return its id."""
    vehicle, session_id = start_pairing(office, user_id, cp1, plate)
    assert id_status(station.authorize(vid=vid)) == "Accepted"
    office.wait_status(session_id, "Paired")
    return vehicle


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_duplicate_identifier_is_refused_naming_plate_and_user(office, station, jane, max_user, cp1, fetch, version):
    theirs = paired_vehicle(office, station, max_user, cp1, plate="XY-999")
    mine, session_id = start_pairing(office, jane, cp1)
    answer = station.authorize(vid=VID)
    assert id_status(answer) == "Accepted"  # it is Max's car: it charges for Max
    html = office.wait_status(session_id, "Pairing failed")
    assert "already active on vehicle XY-999 of Max Mustermann (max@example.com)" in html
    assert one(fetch, Vehicle, Vehicle.id == mine).status == "pending"
    assert one(fetch, Vehicle, Vehicle.id == theirs).user_id == max_user


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_retired_identifier_is_invalid_and_caches_are_cleared(office, station, jane, cp1, fetch, version):
    vehicle = paired_vehicle(office, station, jane, cp1)
    page = office.post(f"/users/{jane}/vehicles/{vehicle}/retire")
    assert page.status == 302
    station.wait_for("ClearCache", timeout=10)  # no cached Accepted outlives the retirement
    assert id_status(station.authorize(vid=VID)) == "Invalid"
    row = one(fetch, UnknownIdentifier, UnknownIdentifier.value == VID)
    assert (row.kind, row.reason) == ("vehicle", "retired")
    assert one(fetch, Vehicle, Vehicle.id == vehicle).identifier == VID  # kept on record
    assert "Retired vehicle" in office.get("/unknown-identifiers/").text


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_blocked_user_is_blocked(office, station, jane, cp1, version):
    paired_vehicle(office, station, jane, cp1)
    assert office.post(f"/users/{jane}/status", {"status": "blocked", "confirmed": "yes"}).status == 302
    assert id_status(station.authorize(vid=VID)) == "Blocked"
    station.plug_in()
    assert id_status(station.start_transaction(vid=VID)) == "Blocked"


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_cancel_then_the_identifier_is_not_taken(office, station, jane, cp1, fetch, version):
    vehicle, session_id = start_pairing(office, jane, cp1)
    html = office.post(f"/pairing/{session_id}/cancel", {}, **{"HX-Request": "true"}).text
    assert "Pairing cancelled" in html and "Cancelled by ops@example.com." in html and "hx-trigger" not in html
    assert id_status(station.authorize(vid=VID)) == "Invalid"
    assert one(fetch, Vehicle, Vehicle.id == vehicle).status == "pending"


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_charger_disconnect_during_pairing_fails_it(office, station, jane, cp1, version):
    _, session_id = start_pairing(office, jane, cp1)
    station.close()
    html = office.wait_status(session_id, "Pairing failed")
    assert "Charger CP-1 went offline before it reported the vehicle&#39;s identifier." in html
    assert "Try again on CP-1" in html


@pytest.mark.parametrize("version", ["1.6"])
def test_two_admins_racing_for_one_charger(office, night_office, station, jane, cp1, fetch, version):
    first, second = office.add_vehicle(jane, "AB-1"), office.add_vehicle(jane, "AB-2")
    barrier, answers = threading.Barrier(2), {}

    def race(who, admin, vehicle):
        barrier.wait()
        answers[who] = admin.pair(jane, vehicle, cp1)

    threads = [
        threading.Thread(target=race, args=("ops", office, first)),
        threading.Thread(target=race, args=("night", night_office, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(page.status for page in answers.values())
    assert statuses == [302, 409]
    winner = next(who for who, page in answers.items() if page.status == 302)
    loser = next(page for page in answers.values() if page.status == 409)
    assert f"Another pairing already waits on CP-1 (for AB-{1 if winner == 'ops' else 2}): started by {winner}@" in (
        loser.text
    )
    assert len(fetch(PairingSession, PairingSession.state == "waiting")) == 1


def test_deadline_expires_without_anybody_polling(live_server_factory, database_url, in_db, cp1, jane, fetch):
    server = live_server_factory(database_url, AUTOCHARGE_PAIRING_TIMEOUT=2)
    in_db(lambda: admins.create_admin("ops@example.com", PASSWORD))
    office = BackOffice(server.url).login("ops@example.com", PASSWORD)
    with Simulator(server.ws_url, "CP-1", "2.0.1") as sim:
        sim.boot()
        vehicle, session_id = start_pairing(office, jane, cp1)
        # Nobody polls: the server's background job must expire it on time by itself.
        wait_until(
            lambda: one(fetch, PairingSession, PairingSession.id == session_id).state == "expired",
            timeout=6,
            what="expiry",
        )
        row = one(fetch, PairingSession, PairingSession.id == session_id)
        assert row.deadline <= row.ended_at <= row.deadline + timedelta(seconds=2)
        assert id_status(sim.authorize(vid=VID)) == "Invalid"
        assert one(fetch, Vehicle, Vehicle.id == vehicle).status == "pending"
        html = office.status(session_id)
        assert "Deadline passed" in html and "Try again on CP-1" in html
        again = office.post(f"/pairing/{session_id}/retry")
        assert again.status == 302 and again.id_at_end() != session_id
        assert id_status(sim.authorize(vid=VID)) == "Accepted"


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_restart_during_a_waiting_pairing(live_server, office, station, jane, cp1, fetch, version):
    vehicle, session_id = start_pairing(office, jane, cp1)
    deadline = one(fetch, PairingSession, PairingSession.id == session_id).deadline
    # The process dies under the charger's open socket (no clean close: that would be the charger going
    # offline, which fails the pairing); the pairing lives in the database, not in the process.
    live_server.restart()
    station.close()
    assert one(fetch, PairingSession, PairingSession.id == session_id).state == "waiting"
    with Simulator(live_server.ws_url, "CP-1", version) as sim:
        sim.boot()
        sim.plug_in()
        assert id_status(sim.authorize(vid=VID)) == "Accepted"
    row = one(fetch, PairingSession, PairingSession.id == session_id)
    assert (row.state, row.deadline) == ("paired", deadline)
    assert one(fetch, Vehicle, Vehicle.id == vehicle).identifier == VID
    office.login("ops@example.com", PASSWORD)
    assert "0A:1B:2C:3D:4E:5F" in office.status(session_id)
