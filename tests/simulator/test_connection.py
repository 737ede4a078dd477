"""Connecting: refusals before the upgrade, Basic auth, raw frames and CallErrors."""

import json
import threading
import time

import pytest

from autocharge.services import chargers
from autocharge.simulator import CallErrorReceived, ConnectRefused, Simulator, drive

from .conftest import PASSWORD


@pytest.fixture
def protected(in_db) -> int:
    """Register CP-2 with a password; return its id."""
    return in_db(lambda: chargers.add_charger("CP-2", password=PASSWORD).id)


@pytest.mark.parametrize(
    ("box", "password", "status"),
    [
        ("CP-9", None, 404),  # unknown charger
        ("CP-2", None, 401),  # password required
        ("CP-2", "not-the-right-password", 401),
    ],
)
def test_refused_before_upgrade(live_server, protected, box, password, status):
    with pytest.raises(ConnectRefused) as refused:
        Simulator(live_server.ws_url, box, "1.6", password).connect()
    assert refused.value.status == status


def test_password_lets_charger_in(simulator, protected, version):
    sim = simulator(version, "CP-2", PASSWORD)
    assert sim.boot()["status"] == "Accepted"


def test_nothing_listening_is_a_refusal_without_status():
    with pytest.raises(ConnectRefused) as refused:
        Simulator("ws://127.0.0.1:1/ocpp", "CP-1").connect()
    assert refused.value.status is None


def test_call_error_is_raised_and_connection_lives_on(booted):
    with pytest.raises(CallErrorReceived) as error:
        booted.call("StartTransaction" if booted.version == "1.6" else "TransactionEvent", {"connectorId": "one"})
    assert error.value.code in {
        "FormationViolation",
        "FormatViolation",
        "ProtocolError",
        "TypeConstraintViolation",
        "OccurenceConstraintViolation",
        "OccurrenceConstraintViolation",
    }
    assert "currentTime" in booted.heartbeat()


def test_raw_frames(booted):
    booted.send_raw('[2,"raw-1","Heartbeat",{}]')
    frame = json.loads(booted.recv_raw())
    assert frame[:2] == [3, "raw-1"] and "currentTime" in frame[2]
    booted.send_raw('[2,"raw-2","NoSuchAction",{}]')
    frame = json.loads(booted.recv_raw())
    assert frame[:3] == [4, "raw-2", "NotImplemented"]  # OCPP-J: "Requested Action is not known by receiver"


def test_pending_charger_boots_again_until_accepted(live_server_factory, database_url, in_db):
    server = live_server_factory(database_url, AUTOCHARGE_HEARTBEAT_INTERVAL=1)
    charger = in_db(lambda: chargers.add_charger("CP-3", registration="pending").id)
    sim = Simulator(server.ws_url, "CP-3").connect()
    try:
        assert sim.boot()["status"] == "Pending"
        accept = threading.Timer(1.5, lambda: in_db(lambda: chargers.set_registration(charger, "accepted")))
        accept.start()
        assert drive.boot_until_accepted(sim, until=time.monotonic() + 20)
        accept.join()
        assert sim.registration == "Accepted"
    finally:
        sim.close()
