"""Back office -> charger commands (services/commands.py) over real sockets, both OCPP versions.

Commands run in the process that holds the charger's socket. Here that process is this one: the real
WSGIServer + OcppHandler + app run on a gevent hub in a thread of their own (no monkey-patching needed:
gevent's server uses gevent sockets), chargers connect from other threads, and each command runs as a
greenlet on the server's hub, exactly as a web request of the server process would run it.
"""

import json
import logging
import queue
import threading
import time

import gevent
import pytest
import websocket
from conftest import free_port, make_app
from gevent.pywsgi import WSGIServer

from autocharge.csms import outbox, registry
from autocharge.csms.transport import OcppHandler
from autocharge.extensions import db
from autocharge.models import RemoteStart, Transaction
from autocharge.services import ServiceError, commands, vehicles
from autocharge.simulator import Simulator

from .support import PROTOCOLS, RawCharger, eventually


def on_one(version: str) -> dict:
    """Return where a command acts on the charger's first connector: 1.6 connector 1, 2.0.1 EVSE 1's connector 1."""
    return {"connector_id": 1, **({"evse_id": 1} if version == "2.0.1" else {})}


class ServerThread:
    """The OCPP server on its own gevent hub in a thread; run(fn) executes fn there, in an app context."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.ws_url = f"ws://127.0.0.1:{self.port}/ocpp"
        self._jobs: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> "ServerThread":
        """Start serving; return once the port listens."""
        self._thread.start()
        assert self._ready.wait(10), "in-process server did not start"
        return self

    def _serve(self) -> None:
        """Serve sockets and run submitted jobs as greenlets until stopped."""
        server = WSGIServer(("127.0.0.1", self.port), self.app, handler_class=OcppHandler, log=None)
        server.start()
        self._ready.set()
        while not self._stopping:
            try:
                fn, reply = self._jobs.get_nowait()
            except queue.Empty:
                gevent.sleep(0.005)
                continue
            gevent.spawn(self._run_job, fn, reply)
        server.stop(timeout=1)

    def _run_job(self, fn, reply: queue.Queue) -> None:
        """Run one job in a fresh app context, as a web request would, and hand back its outcome."""
        with self.app.app_context():
            try:
                reply.put((True, fn()))
            except BaseException as exc:  # handed to the test thread, which re-raises it
                reply.put((False, exc))

    def run(self, fn, timeout: float = 30):
        """Run fn() on the server's hub and return its result (or raise its exception)."""
        reply: queue.Queue = queue.Queue()
        self._jobs.put((fn, reply))
        ok, value = reply.get(timeout=timeout)
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._stopping = True
        self._thread.join(10)


@pytest.fixture
def server(database_url):
    """Return the in-process OCPP server on the test's database."""
    # Generous: on a loaded CI machine a charger thread can take seconds to answer; the timeout test sets its own.
    app = make_app(database_url, AUTOCHARGE_COMMAND_TIMEOUT=20.0)
    running = ServerThread(app).start()
    yield running
    # Sockets were closed by the tests' fixtures; wait until the server saw every disconnect.
    deadline = time.monotonic() + 5
    while registry.connections() and time.monotonic() < deadline:
        time.sleep(0.02)
    running.stop()
    for conn in registry.connections():  # never leak a socket into the next test
        registry.unregister(conn)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def station(server, charger, version):
    """Return CP-1 simulated in the test's OCPP version, connected to the in-process server and booted."""
    sim = Simulator(server.ws_url, "CP-1", version=version)
    sim.connect()
    sim.boot()
    sim.status(1, "Available")
    yield sim
    sim.close()


@pytest.fixture
def raw(server, charger, version):
    """Return CP-1 as a raw socket (it answers nothing unless the test does)."""
    client = RawCharger(
        websocket.create_connection(f"{server.ws_url}/CP-1", subprotocols=[PROTOCOLS[version]], timeout=5)
    )
    eventually(lambda: registry.get("CP-1"))
    yield client
    client.close()


def test_remote_start_and_stop(server, station, charger, driver, fetch, version):
    evse_or_connector = {"evse_id": 1} if version == "2.0.1" else {"connector_id": 1}
    result = server.run(lambda: commands.remote_start(charger, driver, **evse_or_connector))
    assert (result.status, result.accepted, result.message) == ("Accepted", True, "CP-1 accepted the remote start.")
    action = "RemoteStartTransaction" if version == "1.6" else "RequestStartTransaction"
    sent = station.wait_for(action)
    [remote] = fetch(RemoteStart)
    if version == "1.6":
        assert sent == {"idTag": remote.id_token, "connectorId": 1}
    else:
        assert sent == {
            "idToken": {"idToken": remote.id_token, "type": "Central"},
            "remoteStartId": remote.id,
            "evseId": 1,
        }
    [tx] = eventually(lambda: [t for t in fetch(Transaction) if t.user_id])
    assert (tx.origin, tx.user_id, tx.status) == ("app", driver, "active")
    assert fetch(RemoteStart)[0].transaction_id == tx.id

    result = server.run(lambda: commands.remote_stop(charger, tx.id))
    assert result.status == "Accepted"
    expected = {"transactionId": tx.id} if version == "1.6" else {"transactionId": tx.ocpp_tx_id}
    assert station.wait_for("RemoteStopTransaction" if version == "1.6" else "RequestStopTransaction") == expected
    eventually(lambda: fetch(Transaction, Transaction.id == tx.id)[0].status == "completed")
    with pytest.raises(ServiceError, match="already ended"):
        server.run(lambda: commands.remote_stop(charger, tx.id))


@pytest.mark.parametrize(
    ("command", "call", "expected"),
    [
        ("clear_cache", lambda c, v: commands.clear_cache(c), {"1.6": ("ClearCache", {}), "2.0.1": ("ClearCache", {})}),
        (
            "reset soft",
            lambda c, v: commands.reset(c, "Soft"),
            {"1.6": ("Reset", {"type": "Soft"}), "2.0.1": ("Reset", {"type": "OnIdle"})},
        ),
        (
            "reset hard",
            lambda c, v: commands.reset(c, "Hard"),
            {"1.6": ("Reset", {"type": "Hard"}), "2.0.1": ("Reset", {"type": "Immediate"})},
        ),
        (
            "unlock",
            lambda c, v: commands.unlock_connector(c, **on_one(v)),
            {
                "1.6": ("UnlockConnector", {"connectorId": 1}),
                "2.0.1": ("UnlockConnector", {"evseId": 1, "connectorId": 1}),
            },
        ),
        (
            "trigger",
            lambda c, v: commands.trigger_message(c, "StatusNotification", **on_one(v)),
            {
                "1.6": ("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}),
                "2.0.1": (
                    "TriggerMessage",
                    {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}},
                ),
            },
        ),
        (
            "change configuration",
            lambda c, v: commands.change_configuration(c, "HeartbeatInterval", "60"),
            {
                "1.6": ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}),
                "2.0.1": (
                    "SetVariables",
                    {
                        "setVariableData": [
                            {
                                "attributeValue": "60",
                                "component": {"name": "OCPPCommCtrlr"},
                                "variable": {"name": "HeartbeatInterval"},
                            }
                        ]
                    },
                ),
            },
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_command_is_sent_in_the_chargers_version_and_accepted(
    server, station, charger, version, command, call, expected
):
    result = server.run(lambda: call(charger, version))
    assert result.status == "Accepted", result
    action, payload = expected[version]
    assert station.wait_for(action) == payload


def test_get_configuration(server, station, charger, version):
    result = server.run(lambda: commands.get_configuration(charger, ["HeartbeatInterval", "NoSuchKey.Here"]))
    assert result.status == "Accepted"
    assert "HeartbeatInterval=" in result.message and "unknown: NoSuchKey" in result.message
    if version == "1.6":
        assert station.wait_for("GetConfiguration") == {"key": ["HeartbeatInterval", "NoSuchKey.Here"]}
    else:
        sent = station.wait_for("GetVariables")["getVariableData"]
        assert sent[0] == {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}


def test_trigger_message_the_version_lacks_is_refused(server, station, charger, version):
    message = "TransactionEvent" if version == "1.6" else "DiagnosticsStatusNotification"
    with pytest.raises(ServiceError, match=f"OCPP {version} cannot trigger {message}"):
        server.run(lambda: commands.trigger_message(charger, message))


def test_clear_cache_everywhere_reaches_every_charger(server, station, version):
    assert server.run(vehicles.clear_caches) == 1
    assert station.wait_for("ClearCache") == {}


def test_send_raw(server, station, version):
    answer = server.run(lambda: commands.send("CP-1", "ClearCache", {}))
    assert answer == {"status": "Accepted"}


@pytest.mark.parametrize("version", ["1.6"])
def test_offline_charger_fails_at_once(server, charger, driver, fetch, version):
    started = time.monotonic()
    with pytest.raises(commands.ChargerOffline, match=r"^CP-1 is offline\.$"):
        server.run(lambda: commands.remote_start(charger, driver))
    with pytest.raises(commands.ChargerOffline, match=r"^CP-1 is offline\.$"):
        server.run(lambda: commands.send("CP-1", "ClearCache", {}))
    assert time.monotonic() - started < 5  # a hang would last the 20 s command timeout
    assert fetch(RemoteStart) == []  # no token handed out for a start that was never sent


def test_unanswered_command_times_out(server, raw, charger, version):
    server.app.config["AUTOCHARGE_COMMAND_TIMEOUT"] = 2.0
    started = time.monotonic()
    with pytest.raises(commands.CommandTimeout, match=r"^CP-1 did not answer ClearCache within 2 seconds\.$"):
        server.run(lambda: commands.clear_cache(charger))
    assert 1.9 < time.monotonic() - started < 10  # the upper bound only says it did not hang
    assert raw.recv()[2] == "ClearCache"  # it was sent; the charger just never answered
    assert raw.result("Heartbeat", {})  # and the socket still works


def test_callerror_answer_is_command_failed(server, raw, charger, version):
    def answer_with_error():
        frame = raw.recv()
        raw.send([4, frame[1], "NotSupported", "no reset here", {}])

    helper = threading.Thread(target=answer_with_error)
    helper.start()
    with pytest.raises(commands.CommandFailed, match=r"CP-1 could not process Reset: NotSupported \(no reset here\)"):
        server.run(lambda: commands.reset(charger, "Hard"))
    helper.join(5)


def test_callerror_without_a_description_is_logged_and_worded_plainly(
    server, raw, charger, version, caplog, monkeypatch
):
    # Migrating in this process ran Alembic's fileConfig (migrations/env.py), which disables loggers that existed then.
    monkeypatch.setattr(logging.getLogger("autocharge.commands"), "disabled", False)

    def answer_with_error():
        frame = raw.recv()
        raw.send([4, frame[1], "NotImplemented", "", {}])

    helper = threading.Thread(target=answer_with_error)
    helper.start()
    with caplog.at_level(logging.WARNING, "autocharge.commands"), pytest.raises(commands.CommandFailed) as info:
        server.run(lambda: commands.clear_cache(charger))
    helper.join(5)
    assert str(info.value) == "CP-1 could not process ClearCache: NotImplemented."  # no empty "()"
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "autocharge.commands"]
    assert logged == [("WARNING", "CP-1 answered ClearCache with CallError NotImplemented: -")]


def test_charger_disconnecting_while_a_command_waits_is_offline(server, raw, charger, version):
    def hang_up():
        raw.recv()
        raw.close()

    helper = threading.Thread(target=hang_up)
    helper.start()
    with pytest.raises(commands.ChargerOffline, match="CP-1 went offline before answering UnlockConnector"):
        server.run(lambda: commands.unlock_connector(charger, **on_one(version)))
    helper.join(5)


def test_answers_are_matched_by_message_id(server, raw, charger, version):
    def answer_late_then_right():
        frame = raw.recv()
        raw.send([3, "some-other-id", {"status": "Rejected"}])
        raw.send([3, frame[1], {"status": "Accepted"}])

    helper = threading.Thread(target=answer_late_then_right)
    helper.start()
    assert server.run(lambda: commands.clear_cache(charger)).status == "Accepted"
    helper.join(5)


def test_blocked_user_cannot_be_started_for(server, station, charger, driver, in_db, version):
    from autocharge.services import users

    in_db(lambda: users.set_status(driver, "blocked"))
    with pytest.raises(ServiceError, match="Jane Doe is blocked"):
        server.run(lambda: commands.remote_start(charger, driver))


def test_frames_sent_are_json_calls(server, raw, charger, version):
    def answer():
        frame = raw.recv()
        assert frame[0] == 2 and isinstance(frame[1], str) and frame[2:] == ["ClearCache", {}]
        raw.send(json.dumps([3, frame[1], {"status": "Rejected"}]))

    helper = threading.Thread(target=answer)
    helper.start()
    result = server.run(lambda: commands.clear_cache(charger))
    helper.join(5)
    assert (result.status, result.accepted, result.message) == ("Rejected", False, "CP-1 rejected the cache clearing.")


def test_each_hub_waits_on_a_wake_up_event_of_its_own():
    # The command poller of a server thread (ServerThread above) waits beside the main thread's: a gevent Event shared
    # between two hubs raised InvalidThreadUseError in the second and killed its poller.
    outbox._posted().wait(0.001)
    errors = []

    def other_hub():
        try:
            outbox._posted().wait(0.001)
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=other_hub)
    thread.start()
    thread.join(5)
    assert not errors
