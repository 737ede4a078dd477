"""Two real server processes on one PostgreSQL: leases, commands and pairing across them, chargers moving, crashes.

Each test starts its processes with a short lease, so a crash shows within seconds. PostgreSQL only: SQLite
serves one process (test_lease.py shows the second one refused).
"""

import html
import os
import signal
import threading
import time

import pytest
import sqlalchemy as sa
import websocket
from pairing_support import BackOffice

from autocharge.extensions import db
from autocharge.models import Charger, ChargerCommand, PairingSession, ProcessLease
from autocharge.services import admins, chargers, commands, users
from autocharge.simulator import Simulator

from .support import BOOT, PROTOCOLS, RawCharger, eventually

LEASE = 2.0  # seconds; renewed and swept every 0.5 s
EMAIL, PASSWORD = "ops@example.com", "correct horse battery"


@pytest.fixture
def database_url(pg_database_url) -> str:
    """Run this module's tests (and the csms fixtures they use) on PostgreSQL only."""
    return pg_database_url


@pytest.fixture
def start(live_server_factory, database_url):
    """Return a function starting one more server process on the test database, with the short lease."""
    return lambda: live_server_factory(database_url, AUTOCHARGE_LEASE_SECONDS=LEASE)


@pytest.fixture
def office(in_db):
    """Return a function logging an admin in on a given server process."""
    in_db(lambda: admins.create_admin(EMAIL, PASSWORD))
    return lambda server: BackOffice(server.url).login(EMAIL, PASSWORD)


@pytest.fixture
def sims():
    """Return a function connecting a booted simulated charger to a server; closes them all afterwards."""
    made: list[Simulator] = []

    def make(server, box: str = "CP-1", version: str = "1.6") -> Simulator:
        sim = Simulator(server.ws_url, box, version=version)
        made.append(sim)
        sim.connect()
        sim.boot()
        return sim

    yield make
    for sim in made:
        sim.close()


@pytest.fixture
def raw():
    """Return a function opening a raw OCPP 1.6 socket for a box on a server process, booted; closes them after."""
    made: list[RawCharger] = []

    def make(server, box: str = "CP-1") -> RawCharger:
        client = RawCharger(websocket.create_connection(f"{server.ws_url}/{box}", subprotocols=[PROTOCOLS["1.6"]]))
        made.append(client)
        client.result("BootNotification", BOOT["1.6"])
        return client

    yield make
    for client in made:
        client.close()


def close_reason(client: RawCharger, timeout: float) -> str:
    """Wait for the server's close frame on a raw socket; return its reason."""
    client.ws.settimeout(timeout)
    opcode, data = client.ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE, (opcode, data)
    return data[2:].decode()


def command(office: BackOffice, charger_id: int, action: str = "clear-cache") -> str:
    """Send a command from a charger's page on one process; return the message the admin sees."""
    page = office.post(f"/chargers/{charger_id}/{action}")
    assert page.status == 302, page.text
    return html.unescape(office.get(page.location).text)


def online_on(fetch, server_proc_id: str) -> bool:
    """Tell whether CP-1 is online on a socket of the process with this id."""
    [row] = fetch(Charger, Charger.charge_box_id == "CP-1")
    return row.online and (row.connection_id or "").startswith(server_proc_id)


@pytest.fixture
def leases(in_db):
    """Return a function listing the leases held, as {process id: pid of its process}."""
    rows = sa.select(ProcessLease.process_id, ProcessLease.pid)
    return lambda: in_db(lambda: {row.process_id: row.pid for row in db.session.execute(rows)})


def test_starting_a_process_leaves_the_other_processes_chargers_online(start, charger, fetch, sims, leases):
    a = start()
    sims(a)
    [row] = eventually(lambda: [r for r in fetch(Charger) if r.online])
    start()
    assert len(leases()) == 2
    time.sleep(LEASE)  # watching a full lease of renewals and sweeps change nothing, not waiting for a change
    [after] = fetch(Charger)
    assert (after.online, after.connection_id) == (True, row.connection_id)


def test_commands_both_ways(start, in_db, fetch, office, sims):
    ids = {box: in_db(lambda box=box: chargers.add_charger(box).id) for box in ("CP-1", "CP-2")}
    a, b = start(), start()
    on_a, on_b = sims(a, "CP-1"), sims(b, "CP-2", version="2.0.1")
    eventually(lambda: all(r.online for r in fetch(Charger)))
    started = time.monotonic()
    assert "CP-1 accepted the cache clearing." in command(office(b), ids["CP-1"])
    assert "CP-2 accepted the cache clearing." in command(office(a), ids["CP-2"])
    assert time.monotonic() - started < 5  # woken, not waiting out polls
    assert on_a.wait_for("ClearCache") == {} and on_b.wait_for("ClearCache") == {}
    assert fetch(ChargerCommand) == []


def test_pairing_started_on_one_process_with_the_charger_on_the_other(start, in_db, office, sims):
    def prepare():
        user = users.add_user("Jane Doe", "jane@example.com")
        return user.id, chargers.add_charger("CP-1", autocharge="supported").id

    user_id, charger_id = in_db(prepare)
    a, b = start(), start()
    sim = sims(a)
    admin = office(b)
    vehicle = admin.add_vehicle(user_id, "AB-123")
    page = admin.pair(user_id, vehicle, charger_id)
    assert page.status == 302, page.text
    session_id = page.id_at_end()
    answer = sim.authorize(vid="0A1B2C3D4E5F")
    assert answer["idTagInfo"]["status"] == "Accepted"
    admin.wait_status(session_id, "0A:1B:2C:3D:4E:5F")


def test_kill_9_of_the_chargers_process_takes_it_offline_and_fails_its_commands(start, raw, charger, in_db, fetch):
    a, b = start(), start()
    client = raw(a)
    eventually(lambda: fetch(Charger)[0].online)
    outcome: list = []

    def ask():  # from the test process: the command goes through the outbox to A, which sends it
        try:
            in_db(lambda: commands.send("CP-1", "ClearCache", {}, timeout=20))
        except commands.ServiceError as exc:
            outcome.append(exc)

    asker = threading.Thread(target=ask)
    asker.start()
    assert client.recv(timeout=10)[2] == "ClearCache"  # sent, never answered
    assert [c.state for c in fetch(ChargerCommand)] == ["sent"]
    os.kill(a.proc.pid, signal.SIGKILL)
    killed = time.monotonic()
    eventually(lambda: not fetch(Charger)[0].online, timeout=3 * LEASE)
    asker.join(3 * LEASE)
    took = time.monotonic() - killed
    assert took < LEASE * 1.25 + 1.5, took
    assert [type(e) for e in outcome] == [commands.ChargerOffline]
    assert str(outcome[0]) == "CP-1 went offline before answering ClearCache."
    assert fetch(Charger)[0].connection_id is None
    assert b.proc.poll() is None


def test_a_charger_moving_to_another_process_closes_its_old_socket(start, raw, charger, fetch, office, leases):
    a, b = start(), start()
    old = raw(a)
    eventually(lambda: fetch(Charger)[0].online)
    new = raw(b)
    moved = time.monotonic()
    assert close_reason(old, timeout=1.5) == "Replaced by a new connection"
    assert time.monotonic() - moved < 1.0
    eventually(lambda: fetch(Charger)[0].connection_id.startswith(_process_of(leases, b)))
    # A command sent from A now reaches the new socket on B.
    answered = threading.Thread(target=lambda: _answer(new))
    answered.start()
    assert "CP-1 accepted the cache clearing." in command(office(a), charger)
    answered.join(5)
    assert fetch(Charger)[0].online


def test_rejecting_a_charger_on_one_process_takes_effect_on_its_socket_on_the_other(start, raw, charger, in_db, office):
    a, b = start(), start()
    client = raw(a)
    assert client.result("Heartbeat", {})["currentTime"]
    page = office(b).post(f"/chargers/{charger}/registration", {"registration": "rejected", "confirmed": "yes"})
    assert page.status in (200, 302), page.text
    eventually(lambda: client.call("Heartbeat", {})[0] == 4)  # a rejected charger is answered only at boot
    assert client.result("BootNotification", BOOT["1.6"])["status"] == "Rejected"


def test_a_password_change_elsewhere_closes_the_chargers_socket(start, raw, charger, in_db):
    a, _b = start(), start()
    client = raw(a)
    in_db(lambda: chargers.set_password(charger, "sixteen+chars-secret"))  # as another process would
    assert close_reason(client, timeout=5) == "Password changed"


def test_a_clean_stop_takes_the_processes_chargers_offline_at_once(start, raw, charger, fetch, leases):
    a, _b = start(), start()
    raw(a)
    eventually(lambda: fetch(Charger)[0].online)
    a.stop()  # SIGTERM
    [row] = fetch(Charger)
    assert (row.online, row.connection_id) == (False, None)
    assert _process_of(leases, a) is None


def test_a_pairing_outlives_the_crash_of_its_chargers_process(start, in_db, fetch, office, sims):
    def prepare():
        user = users.add_user("Jane Doe", "jane@example.com")
        return user.id, chargers.add_charger("CP-1", autocharge="supported").id

    user_id, charger_id = in_db(prepare)
    a, b = start(), start()
    sims(a)
    admin = office(b)
    session_id = admin.pair(user_id, admin.add_vehicle(user_id, "AB-123"), charger_id).id_at_end()
    os.kill(a.proc.pid, signal.SIGKILL)
    eventually(lambda: not fetch(Charger)[0].online, timeout=3 * LEASE)
    assert fetch(PairingSession)[0].state == "waiting"  # the charger comes back through the other process
    sim = sims(b)
    assert sim.authorize(vid="0A1B2C3D4E5F")["idTagInfo"]["status"] == "Accepted"
    admin.wait_status(session_id, "0A:1B:2C:3D:4E:5F")


def _answer(client: RawCharger) -> None:
    """Answer the next call on a raw socket with Accepted."""
    frame = client.recv(timeout=10)
    client.send([3, frame[1], {"status": "Accepted"}])


def _process_of(leases, server) -> str | None:
    """Return the process id of a server (the lease whose pid is its process), or None."""
    return next((process for process, pid in leases().items() if pid == server.proc.pid), None)
