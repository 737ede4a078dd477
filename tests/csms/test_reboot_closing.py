"""A charger that reboots mid-session: the session is closed as "charger rebooted" once the grace period passes
without word of it, unless the charger's queued stop arrives first (real server, raw sockets, both OCPP versions)."""

import time
from datetime import datetime

import pytest

from autocharge.models import AuditEvent, Transaction

from .support import BOOT, PROTOCOLS, TAG, RawCharger, eventually

GRACE = 1.5  # seconds; the server looks every 0.25 s
TX = "0b7a4c1e-2d3f-4e5a-9b6c-7d8e9f0a1b2c"


@pytest.fixture
def live_server(live_server_factory, database_url):
    """Return the real server with a short grace period after reboots."""
    return live_server_factory(database_url, AUTOCHARGE_REBOOT_GRACE_SECONDS=GRACE)


def energy(stamp: str, wh: int) -> list:
    """Return one meter value: the energy register at `stamp`."""
    register = {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
    return [{"timestamp": stamp, "sampledValue": [register]}]


def tx_event(kind: str, seq: int, minute: int, wh: int, **extra) -> dict:
    """Return a 2.0.1 TransactionEvent of transaction TX on EVSE 1 at 10:<minute>, with its energy register."""
    stamp = f"2024-05-01T10:{minute:02d}:00Z"
    value = [{"timestamp": stamp, "sampledValue": [{"value": wh, "measurand": "Energy.Active.Import.Register"}]}]
    payload = {
        "eventType": kind,
        "timestamp": stamp,
        "triggerReason": "MeterValuePeriodic",
        "seqNo": seq,
        "transactionInfo": {"transactionId": TX},
        "evse": {"id": 1, "connectorId": 1},
        "meterValue": value,
    }
    return {**payload, **extra}


def charge(client: RawCharger, version: str) -> None:
    """Start a session on connector 1 at 1000 Wh and meter it up to 4000 Wh."""
    if version == "1.6":
        start = {"connectorId": 1, "idTag": TAG, "meterStart": 1000, "timestamp": "2024-05-01T10:00:00Z"}
        tx_id = client.result("StartTransaction", start)["transactionId"]
        reading = {"connectorId": 1, "transactionId": tx_id, "meterValue": energy("2024-05-01T10:30:00Z", 4000)}
        client.result("MeterValues", reading)
    else:
        client.result("TransactionEvent", tx_event("Started", 0, 0, 1000, idToken={"idToken": TAG, "type": "ISO14443"}))
        client.result("TransactionEvent", tx_event("Updated", 1, 30, 4000))


def stop_queued(client: RawCharger, version: str, tx_id: int) -> None:
    """Send the stop the charger queued before it rebooted (meter at 4500 Wh, power loss)."""
    if version == "1.6":
        stop = {"transactionId": tx_id, "meterStop": 4500, "timestamp": "2024-05-01T10:40:00Z", "reason": "PowerLoss"}
        client.result("StopTransaction", stop)
    else:
        ended = tx_event("Ended", 2, 40, 4500, triggerReason="AbnormalCondition")
        ended["transactionInfo"]["stoppedReason"] = "PowerLoss"
        client.result("TransactionEvent", ended)


def reboot(booted_socket: RawCharger, connect, version: str) -> RawCharger:
    """Drop the socket as a dying charger does, then connect again and boot; return the new socket."""
    booted_socket.close()
    client = connect(protocols=[PROTOCOLS[version]])
    assert client.result("BootNotification", BOOT[version])["status"] == "Accepted"
    return client


def test_a_session_left_open_by_a_reboot_is_closed_after_the_grace_period(
    booted_socket, connect, version, driver, fetch
):
    charge(booted_socket, version)
    client = reboot(booted_socket, connect, version)
    booted_at = time.monotonic()
    client.result("StatusNotification", status_available(version))
    [tx] = fetch(Transaction)
    assert tx.status == "active"  # not at once: the charger may still send its queued stop

    def closed():
        [row] = fetch(Transaction)
        return row if row.status == "completed" else None

    tx = eventually(closed, timeout=GRACE + 10)
    assert time.monotonic() - booted_at >= GRACE - 0.2
    assert (tx.stop_reason, tx.meter_start, tx.energy_wh, tx.meter_stop) == ("ChargerRebooted", 1000, 3000, 4000)
    [event] = fetch(AuditEvent, AuditEvent.action == "transaction.closed_after_reboot")
    assert (event.actor, event.subject_id) == ("system", tx.id)


def test_the_queued_stop_sent_after_the_boot_wins(booted_socket, connect, version, driver, fetch):
    charge(booted_socket, version)
    [tx] = fetch(Transaction)
    client = reboot(booted_socket, connect, version)
    time.sleep(GRACE / 3)  # the charger sends its queue a moment after booting
    stop_queued(client, version, tx.id)
    time.sleep(GRACE + 1)  # past the grace period and a few looks of the server
    [tx] = fetch(Transaction)
    assert (tx.status, tx.stop_reason, tx.energy_wh, tx.meter_stop) == ("completed", "PowerLoss", 3500, 4500)
    assert fetch(AuditEvent, AuditEvent.action == "transaction.closed_after_reboot") == []


def test_a_stop_arriving_after_the_close_corrects_the_session_once(booted_socket, connect, version, driver, fetch):
    charge(booted_socket, version)
    client = reboot(booted_socket, connect, version)
    client.result("StatusNotification", status_available(version))

    def closed():
        [row] = fetch(Transaction)
        return row if row.status == "completed" else None

    tx = eventually(closed, timeout=GRACE + 10)
    assert (tx.stop_reason, tx.energy_wh, tx.meter_stop) == ("ChargerRebooted", 3000, 4000)
    for _ in range(2):  # the late stop, then the charger's retry of it: the second changes nothing
        stop_queued(client, version, tx.id)
        [tx] = fetch(Transaction)
        assert (tx.status, tx.stop_reason, tx.meter_start, tx.meter_stop, tx.energy_wh) == (
            "completed",
            "PowerLoss",
            1000,
            4500,
            3500,
        )
        assert tx.stop_time == datetime(2024, 5, 1, 10, 40)
        [event] = fetch(AuditEvent, AuditEvent.action == "transaction.corrected_after_reboot")
        assert (event.actor, event.subject_id) == ("charger", tx.id)
        assert "PowerLoss" in event.detail and "energy 3500 Wh" in event.detail
    assert len(fetch(AuditEvent, AuditEvent.action == "transaction.closed_after_reboot")) == 1


def test_a_reconnect_without_a_boot_closes_nothing(booted_socket, connect, version, driver, fetch):
    charge(booted_socket, version)
    booted_socket.close()
    connect(protocols=[PROTOCOLS[version]]).result("Heartbeat", {})
    time.sleep(GRACE + 1)
    [tx] = fetch(Transaction)
    assert tx.status == "active"


def status_available(version: str) -> dict:
    """Return the StatusNotification of connector 1 available again (what a rebooted charger sends)."""
    if version == "1.6":
        return {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    return {"timestamp": "2024-05-01T11:00:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
