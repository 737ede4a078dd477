"""Pairing end to end against the real server: an admin over HTTP, a simulated charger over OCPP (SPEC §2-§4).

Covers OCPP 1.6 (Authorize path, StartTransaction-only path) and 2.0.1 (Authorize path, TransactionEvent path):
the pairing completes, the completing request is Accepted, the next plug-in starts an Auto charge session.
"""

import pytest

from autocharge.models import PairingSession, Transaction, Vehicle

from .pairing_helpers import id_status, one

VID = "0A1B2C3D4E5F"
PLUGGED = {"1.6": "Connector went Preparing", "2.0.1": "Cable plugged in (connector Occupied)"}


def start_pairing(office, jane, cp1, plate="AB-123") -> tuple[int, int]:
    """Add Vehicle, Pair on CP-1 through the web UI; return (vehicle id, pairing id)."""
    vehicle = office.add_vehicle(jane, plate)
    page = office.pair(jane, vehicle, cp1)
    assert page.status == 302, page.text
    return vehicle, page.id_at_end()


def complete(station, version: str, path: str) -> dict:
    """Let the charger report VID the way `path` says; return the answer to the request that carried it."""
    if path == "authorize":
        return station.authorize(vid=VID)
    return station.start_transaction(vid=VID)  # 1.6 StartTransaction / 2.0.1 TransactionEvent, no Authorize first


def latest_transaction(fetch, cp1) -> Transaction:
    """Return the charger's newest transaction."""
    return fetch(Transaction, Transaction.charger_id == cp1)[-1]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
@pytest.mark.parametrize("path", ["authorize", "transaction"])
def test_pairing_completes_and_the_next_plug_in_is_auto_charge(office, station, jane, cp1, fetch, version, path):
    vehicle_id, session_id = start_pairing(office, jane, cp1)
    assert "Plug the EV into CP-1 now" in office.status(session_id)
    station.plug_in()
    office.wait_status(session_id, PLUGGED[version])

    answer = complete(station, version, path)
    assert id_status(answer) == "Accepted"  # the very request that completed pairing
    html = office.status(session_id)
    assert '<code class="identifier" id="paired-identifier">0A:1B:2C:3D:4E:5F</code>' in html
    assert "hx-trigger" not in html  # polling stopped
    vehicle = one(fetch, Vehicle, Vehicle.id == vehicle_id)
    assert (vehicle.status, vehicle.identifier, vehicle.paired_charger_id) == ("active", VID, cp1)
    assert one(fetch, PairingSession, PairingSession.id == session_id).state == "paired"

    if path == "authorize":
        assert id_status(station.start_transaction(vid=VID)) == "Accepted"
    tx = latest_transaction(fetch, cp1)
    assert (tx.origin, tx.vehicle_id, tx.user_id, tx.auth_status) == ("autocharge", vehicle_id, jane, "Accepted")

    station.stop_transaction(2000)
    station.unplug()
    station.plug_in()
    assert id_status(station.start_transaction(vid=VID, meter_start=2000)) == "Accepted"
    again = latest_transaction(fetch, cp1)
    assert again.id != tx.id and (again.origin, again.vehicle_id, again.user_id) == ("autocharge", vehicle_id, jane)
    transactions = office.get("/transactions/").text
    assert "Auto charge" in transactions


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_card_first_keeps_waiting(office, station, jane, cp1, in_db, version):
    from autocharge.services import users

    in_db(lambda: users.add_tag(jane, "CARD1"))
    _, session_id = start_pairing(office, jane, cp1)
    station.plug_in()
    assert id_status(station.authorize(id_tag="CARD1")) == "Accepted"
    html = office.wait_status(session_id, "An RFID card was presented")
    assert "Still waiting" in html and "hx-trigger" in html
    assert id_status(station.authorize(vid=VID)) == "Accepted"
    office.wait_status(session_id, "0A:1B:2C:3D:4E:5F")


@pytest.mark.parametrize("version", ["1.6"])
def test_lower_case_din_idtag_is_normalised(office, station, jane, cp1, fetch, version):
    vehicle_id, session_id = start_pairing(office, jane, cp1)
    assert id_status(station.authorize(id_tag="vid:0000a453ee033156")) == "Accepted"  # 20 chars: 1.6's idTag limit
    vehicle = one(fetch, Vehicle, Vehicle.id == vehicle_id)
    assert (vehicle.identifier, vehicle.identifier_raw, vehicle.randomized_mac) == (
        "A453EE033156",
        "vid:0000a453ee033156",
        False,
    )
    html = office.wait_status(session_id, "A4:53:EE:03:31:56")
    assert "randomised" not in html


@pytest.mark.parametrize("version", ["2.0.1"])
def test_replacing_a_car_retires_the_old_one_once_the_new_one_is_paired(office, station, jane, cp1, fetch, version):
    old_id, _ = start_pairing(office, jane, cp1)
    assert id_status(station.authorize(vid=VID)) == "Accepted"
    page = office.post(f"/users/{jane}/vehicles/new", {"plate": "NEW-1", "replaces": old_id, "then": "pair"})
    new_id = int(page.location.split("/")[-2])
    assert one(fetch, Vehicle, Vehicle.id == old_id).status == "active"  # still charging until the new one pairs
    session_id = office.pair(jane, new_id, cp1).id_at_end()
    assert id_status(station.authorize(vid="001122334455")) == "Accepted"
    office.wait_status(session_id, "00:11:22:33:44:55")
    station.wait_for("ClearCache")
    old, new = one(fetch, Vehicle, Vehicle.id == old_id), one(fetch, Vehicle, Vehicle.id == new_id)
    assert (old.status, old.identifier, new.status, new.replaces_id) == ("retired", VID, "active", old_id)
    assert id_status(station.authorize(vid=VID)) == "Invalid"  # the previous identifier stays on record, refused
    html = office.get(f"/users/{jane}/vehicles/").text
    assert "replaced by NEW-1" in html and "Vehicle replaced" in html
