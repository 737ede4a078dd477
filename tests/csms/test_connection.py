"""Socket life: a reconnect replaces the stale socket, online/offline and last seen (SPEC §6)."""

import time

import websocket

from autocharge.models import Charger
from autocharge.services import chargers

from .support import BOOT, RawCharger, eventually


def test_reconnect_replaces_the_stale_socket_and_stays_online(live_server, connect, charger, fetch):
    old = connect()
    old.result("BootNotification", BOOT["1.6"])
    first_id = fetch(Charger)[0].connection_id
    new = connect()
    assert old.ws.recv() == ""  # the server closed the old socket
    assert not old.connected
    assert new.result("Heartbeat", {})["currentTime"]
    eventually(lambda: "CP-1 disconnected" in live_server.output())  # the old socket's teardown has run
    [row] = fetch(Charger)
    assert row.online and row.connection_id not in (None, first_id)


def test_disconnect_marks_the_charger_offline(booted_socket, fetch):
    assert fetch(Charger)[0].online
    booted_socket.close()
    eventually(lambda: not fetch(Charger)[0].online)
    assert fetch(Charger)[0].connection_id is None


def test_last_seen_writes_are_throttled(connect, charger, fetch):
    client = connect()
    at_connect = eventually(lambda: fetch(Charger)[0].last_seen)
    client.result("Heartbeat", {})
    client.result("Heartbeat", {})
    assert fetch(Charger)[0].last_seen == at_connect  # within AUTOCHARGE_LAST_SEEN_EVERY (5 s) of the connect


def test_last_seen_follows_messages_when_not_throttled(live_server_factory, database_url, charger, fetch):
    server = live_server_factory(database_url, AUTOCHARGE_LAST_SEEN_EVERY=0)
    client = RawCharger(websocket.create_connection(f"{server.ws_url}/CP-1", subprotocols=["ocpp1.6"], timeout=5))
    try:
        at_connect = eventually(lambda: fetch(Charger)[0].last_seen)
        time.sleep(0.01)
        client.result("Heartbeat", {})
        assert fetch(Charger)[0].last_seen > at_connect
    finally:
        client.close()


def test_a_silent_socket_is_dropped_and_the_charger_goes_offline(live_server_factory, database_url, charger, fetch):
    server = live_server_factory(database_url, AUTOCHARGE_HEARTBEAT_INTERVAL=1)  # silent for 3 intervals: gone
    ws = websocket.create_connection(f"{server.ws_url}/CP-1", subprotocols=["ocpp1.6"], timeout=10)
    try:
        eventually(lambda: fetch(Charger)[0].online)
        eventually(lambda: not fetch(Charger)[0].online, timeout=8)
        assert ws.recv() == ""
    finally:
        ws.close()
        ws.shutdown()


def test_a_charger_that_keeps_talking_outlives_the_idle_timeout(live_server_factory, database_url, charger, fetch):
    server = live_server_factory(database_url, AUTOCHARGE_HEARTBEAT_INTERVAL=1)  # idle after 3 s of silence
    client = RawCharger(websocket.create_connection(f"{server.ws_url}/CP-1", subprotocols=["ocpp1.6"], timeout=10))
    try:
        deadline = time.monotonic() + 4.5  # past the idle timeout and its checks: the messages keep it open
        while time.monotonic() < deadline:
            assert client.result("Heartbeat", {})["currentTime"]
            time.sleep(0.5)
        assert fetch(Charger)[0].online
    finally:
        client.close()


def test_an_oversized_frame_closes_the_socket_and_others_carry_on(connect, charger, in_db, fetch):
    in_db(lambda: chargers.add_charger("CP-2"))
    bystander = connect(box="CP-2")
    client = connect()
    try:
        client.send("[" + " " * (2 * 1024 * 1024) + "]")  # 2 MiB: more than the 1 MiB a frame may have
        closed = client.ws.recv() == ""
    except (ConnectionError, websocket.WebSocketConnectionClosedException):  # closed while still sending
        closed = True
    assert closed
    assert bystander.result("Heartbeat", {})["currentTime"]
    eventually(lambda: not fetch(Charger, Charger.charge_box_id == "CP-1")[0].online)
