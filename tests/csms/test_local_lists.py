"""Chargers' local authorization lists against the real server and simulated chargers (issue 11, point 1).

Each test runs for OCPP 1.6 and 2.0.1 on each database: the full list at connect, differential updates for
pairing, retiring, blocking and tags, queued while offline, split to the charger's limits, a full resync when the
versions differ, retries after a refusal, and the offline start a charger replays once it is back.
"""

import pytest

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import Charger, LocalAuthList, Transaction
from autocharge.services import local_auth, users, vehicles
from autocharge.services.identifiers import Identifier
from autocharge.simulator import Simulator

from .support import TAG, VID, eventually

RETRY = 0.5  # seconds: the server's local list poll, so changes made from the test process arrive quickly


@pytest.fixture(params=["1.6", "2.0.1"])
def version(request) -> str:
    """Run the test for OCPP 1.6 and for 2.0.1."""
    return request.param


@pytest.fixture
def server(live_server_factory, database_url):
    """Return the real server, polling local lists every RETRY seconds."""
    return live_server_factory(database_url, AUTOCHARGE_LOCAL_LIST_RETRY_SECONDS=RETRY)


@pytest.fixture
def sims(server):
    """Return a function creating simulators of the server (not connected); closes them all afterwards."""
    made: list[Simulator] = []

    def make(version: str, box: str = "CP-1", **options) -> Simulator:
        sim = Simulator(server.ws_url, box, version=version, **options)
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.close()


@pytest.fixture
def listing(in_db, charger) -> int:
    """Turn CP-1's local list on; return the charger's id."""
    in_db(lambda: local_auth.set_enabled(charger, True))
    return charger


def key(version: str, kind: str, value: str) -> str:
    """Return how the simulator keys a token in its list."""
    if version == "1.6":
        return f"VID:{value}" if kind == "vehicle" else value
    return f"{'MacAddress' if kind == 'vehicle' else 'ISO14443'}:{value}"


def online(sim: Simulator) -> Simulator:
    """Connect and boot a simulator."""
    sim.connect()
    assert sim.boot()["status"] == "Accepted"
    return sim


def state(in_db, charger_id: int) -> LocalAuthList:
    """Return the charger's local list state as the database has it now."""
    return in_db(lambda: local_auth.state(charger_id))


def synced(in_db, charger_id: int, sim: Simulator) -> LocalAuthList:
    """Wait until the back office records the simulator's list version as the charger's, with nothing pending."""

    def check():
        row = state(in_db, charger_id)
        pending = in_db(lambda: local_auth.pending_count(local_auth.state(charger_id)))
        done = row.last_ok and not row.needs_full and row.version == sim.local_list.version and not pending
        return row if done else None

    return eventually(check, 10)


def sent(sim: Simulator) -> list[dict]:
    """Return the SendLocalList calls the simulator received."""
    return [payload for action, payload in sim.received if action == "SendLocalList"]


def test_full_list_at_connect_holds_paired_vehicles_and_tags(sims, in_db, listing, paired, version):
    sim = online(sims(version))
    row = synced(in_db, listing, sim)
    assert sim.local_list.entries == {key(version, "vehicle", VID): "Accepted", key(version, "rfid", TAG): "Accepted"}
    assert (row.entries, row.max_entries, row.per_message) == (2, 50, 20)
    assert sent(sim)[0]["updateType"] == "Full"
    if version == "2.0.1":  # the station's list was off: the back office turned it on first
        assert sim.wait_for("SetVariables")["setVariableData"][0]["variable"]["name"] == "Enabled"
        assert sim.configuration["LocalAuthListCtrlr/Enabled"][0] == "true"


def test_changes_reach_the_charger_as_differential_updates(sims, in_db, listing, driver, paired, version):
    sim = online(sims(version))
    synced(in_db, listing, sim)
    vehicle, tag = key(version, "vehicle", VID), key(version, "rfid", TAG)

    in_db(lambda: users.set_status(driver, "blocked"))
    eventually(lambda: sim.local_list.entries == {vehicle: "Blocked", tag: "Blocked"}, 10)
    in_db(lambda: users.set_status(driver, "active"))
    extra = in_db(lambda: users.add_tag(driver, "CAFE01").id)
    eventually(lambda: sim.local_list.entries.get(key(version, "rfid", "CAFE01")) == "Accepted", 10)
    assert sim.local_list.entries[vehicle] == sim.local_list.entries[tag] == "Accepted"

    in_db(lambda: users.remove_tag(driver, extra))
    in_db(lambda: vehicles.retire_vehicle(paired))
    eventually(lambda: sim.local_list.entries == {tag: "Accepted"}, 10)
    synced(in_db, listing, sim)
    assert [p["updateType"] for p in sent(sim)][1:] == ["Differential"] * (len(sent(sim)) - 1)


def test_pairing_a_replacement_swaps_the_identifiers(sims, in_db, listing, driver, paired, version):
    sim = online(sims(version))
    synced(in_db, listing, sim)

    def replace():
        new = vehicles.add_vehicle(driver, "CD-456", replaces_id=paired)
        with writing():
            vehicles.attach_identifier(vehicles.get(new.id), Identifier("001A2B3C4D5E", "VID:001A2B3C4D5E"), None, None)

    in_db(replace)
    expected = {key(version, "vehicle", "001A2B3C4D5E"): "Accepted", key(version, "rfid", TAG): "Accepted"}
    eventually(lambda: sim.local_list.entries == expected, 10)


def test_changes_wait_for_an_offline_charger_then_arrive(sims, in_db, listing, driver, paired, version):
    sim = online(sims(version))
    synced(in_db, listing, sim)
    sim.close()
    # The server must have seen the socket close first, or it sends the changes to the closing socket.
    eventually(lambda: not in_db(lambda: db.session.get(Charger, listing).online), 10)
    in_db(lambda: users.add_tag(driver, "BEEF02"))
    in_db(lambda: vehicles.retire_vehicle(paired))
    eventually(lambda: in_db(lambda: local_auth.pending_count(local_auth.state(listing))) == 2)
    assert state(in_db, listing).version == sim.local_list.version  # nothing sent while it was away

    online(sim)
    synced(in_db, listing, sim)
    assert sim.local_list.entries == {key(version, "rfid", TAG): "Accepted", key(version, "rfid", "BEEF02"): "Accepted"}
    assert sent(sim)[-1]["updateType"] == "Differential"  # same version at connect: only what it lacked


def test_a_large_list_is_split_to_the_chargers_limit(sims, in_db, listing, driver, paired, version):
    in_db(lambda: [users.add_tag(driver, f"T{n:04d}") for n in range(6)])
    sim = online(sims(version, local_list_per_message=3))
    row = synced(in_db, listing, sim)
    parts = sent(sim)
    assert [p["updateType"] for p in parts] == ["Full", "Differential", "Differential"]
    assert len(sim.local_list.entries) == row.entries == 8
    versions = [p["listVersion" if version == "1.6" else "versionNumber"] for p in parts]
    assert versions == [1, 2, 3] and row.version == 3


def test_entries_past_the_chargers_capacity_are_left_out_and_said(sims, in_db, listing, driver, paired, version):
    in_db(lambda: users.add_tag(driver, "C0FFEE"))
    sim = online(sims(version, local_list_max=2))
    row = synced(in_db, listing, sim)
    assert len(sim.local_list.entries) == row.entries == 2
    assert "1 did not fit: the charger holds at most 2" in row.last_result
    assert sim.local_list.entries[key(version, "vehicle", VID)] == "Accepted"  # vehicles first


def test_a_charger_that_lost_its_list_gets_the_full_list_again(sims, in_db, listing, paired, version):
    sim = online(sims(version))
    row = synced(in_db, listing, sim)
    sim.close()
    sim.local_list.entries, sim.local_list.version = {}, 0  # e.g. replaced main board
    online(sim)
    again = synced(in_db, listing, sim)
    assert again.version > row.version and len(sim.local_list.entries) == 2
    assert sent(sim)[-1]["updateType"] == "Full"


def test_a_refused_update_is_retried_until_accepted(sims, in_db, listing, paired, version):
    sim = sims(version)
    enabled = "LocalAuthListEnabled" if version == "1.6" else "LocalAuthListCtrlr/Enabled"
    sim.configuration[enabled] = ("false", True)  # read-only: the back office cannot turn it on
    online(sim)

    def refused():
        row = state(in_db, listing)
        return row if row.last_ok is False and row.failures >= 2 else None

    row = eventually(refused, 10)
    assert not sim.local_list.entries
    assert row.next_try_at is not None and row.last_result
    sim.configuration[enabled] = ("true", False)
    synced(in_db, listing, sim)
    assert len(sim.local_list.entries) == 2


def test_turning_the_list_off_empties_it_on_the_charger(sims, in_db, listing, paired, version):
    sim = online(sims(version))
    synced(in_db, listing, sim)
    in_db(lambda: local_auth.set_enabled(listing, False))

    def emptied():
        row = state(in_db, listing)
        return row if not row.needs_full and row.last_ok and not sim.local_list.entries else None

    assert "emptied" in eventually(emptied, 10).last_result


def test_offline_start_from_the_local_list_is_replayed_once(sims, in_db, fetch, listing, driver, paired, version):
    sim = online(sims(version))
    synced(in_db, listing, sim)
    sim.close()
    assert sim.start_offline(vid=VID, meter_start=1000)
    sim.stop_offline(5400)
    assert not fetch(Transaction)  # the back office has heard nothing yet

    online(sim)
    replayed_at = utcnow()
    answers = sim.replay()
    (tx,) = fetch(Transaction)
    assert (tx.user_id, tx.vehicle_id, tx.origin, tx.status) == (driver, paired, "autocharge", "completed")
    assert (tx.meter_start, tx.meter_stop, tx.energy_wh) == (1000, 5400, 4400)
    assert tx.start_time <= tx.stop_time < replayed_at  # the charger's own times, not when the messages came

    # The charger did not get the answers (the connection dropped again) and sends the same messages once more.
    assert not sim.offline.queue
    for item in sim.offline.sent:
        answer = sim.call(item.action, item.payload)
        if item.action == "StartTransaction":
            assert answer["transactionId"] == answers[0]["transactionId"] == tx.id
    (again,) = fetch(Transaction)
    assert (again.id, again.energy_wh, again.user_id, again.stop_time) == (tx.id, 4400, driver, tx.stop_time)


def test_a_blocked_users_tag_does_not_start_offline(sims, in_db, fetch, listing, driver, version):
    sim = online(sims(version))
    synced(in_db, listing, sim)
    in_db(lambda: users.set_status(driver, "blocked"))
    eventually(lambda: sim.local_status(id_tag=TAG) == "Blocked", 10)
    sim.close()
    assert not sim.start_offline(id_tag=TAG)
    assert sim.local_status(id_tag="NOBODY") is None and not sim.offline.queue


def test_rfid_offline_start_belongs_to_the_tags_user(sims, in_db, fetch, listing, driver, version):
    sim = online(sims(version))
    synced(in_db, listing, sim)
    sim.close()
    assert sim.start_offline(id_tag=TAG, meter_start=0)
    online(sim)
    sim.replay()  # the start only: the car still charges
    (tx,) = fetch(Transaction)
    assert (tx.user_id, tx.origin, tx.status) == (driver, "rfid", "active")
    sim.stop_transaction(2500)  # online now: the running transaction ends the usual way
    (tx,) = fetch(Transaction)
    assert (tx.status, tx.energy_wh) == ("completed", 2500)
