"""The WebSocket endpoint: subprotocols, Basic auth, unknown chargers, registration (SPEC §6)."""

import socket
import time

import pytest
import websocket

from autocharge.models import Charger, ChargerEvent
from autocharge.services import chargers

from .support import BOOT, PROTOCOLS, basic, eventually

PASSWORD = "s3cret-password-for-cp1"


def refused(live_server, box="CP-1", protocols=("ocpp1.6",), header=()) -> int:
    """Try to open a socket that must be refused; return the HTTP status."""
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(
            f"{live_server.ws_url}/{box}", subprotocols=list(protocols), header=list(header), timeout=5
        )
    return info.value.status_code


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["ocpp1.6"], "ocpp1.6"),
        (["ocpp2.0.1"], "ocpp2.0.1"),
        (["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1"),
        (["ocpp2.0.1", "ocpp1.6"], "ocpp2.0.1"),
        (["ocpp1.5", "ocpp1.6"], "ocpp1.6"),
    ],
)
def test_subprotocol_negotiation_prefers_201(connect, charger, fetch, offered, chosen):
    client = connect(protocols=offered)
    assert client.subprotocol == chosen
    version = chosen.removeprefix("ocpp")
    assert client.result("BootNotification", BOOT[version])["status"] == "Accepted"
    [row] = fetch(Charger)
    assert (row.online, row.ocpp_version) == (True, version)


@pytest.mark.parametrize("offered", [["ocpp1.5"], ["ocpp2.1"], []])
def test_no_acceptable_subprotocol_is_400(live_server, charger, offered):
    assert refused(live_server, protocols=offered) == 400


def test_unknown_charger_is_refused(live_server, charger, fetch):
    assert refused(live_server, box="CP-404") == 404
    assert [c.charge_box_id for c in fetch(Charger)] == ["CP-1"]


def test_unknown_charger_registered_as_pending_when_allowed(live_server_factory, database_url, fetch):
    server = live_server_factory(database_url, AUTOCHARGE_ACCEPT_UNKNOWN_CHARGERS=1)
    ws = websocket.create_connection(f"{server.ws_url}/CP-NEW", subprotocols=["ocpp1.6"], timeout=5)
    try:
        [row] = eventually(lambda: [c for c in fetch(Charger) if c.online])
        assert (row.charge_box_id, row.registration) == ("CP-NEW", "pending")
    finally:
        ws.close()
        ws.shutdown()


@pytest.fixture
def protected(in_db, charger) -> int:
    """Give CP-1 an OCPP password; return its id."""
    in_db(lambda: chargers.set_password(charger, PASSWORD))
    return charger


@pytest.mark.parametrize(
    "header",
    [
        [],
        [basic("CP-1", "wrong-password-wrong-password")],
        [basic("CP-2", PASSWORD)],
        ["Authorization: Bearer " + PASSWORD],
    ],
    ids=["none", "wrong password", "wrong user", "not basic"],
)
def test_basic_auth_required_when_charger_has_password(live_server, protected, header):
    assert refused(live_server, header=header) == 401


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ([basic("CP-1", "wrong-password-wrong-password")], "wrong password"),
        ([], "no password sent (no HTTP Basic credentials)"),
        ([basic("CP-2", PASSWORD)], "HTTP Basic user 'CP-2' is not the charge box id"),
    ],
    ids=["wrong password", "no password", "another user"],
)
def test_refused_login_is_logged_and_kept_for_the_chargers_page(live_server, protected, fetch, header, why):
    assert refused(live_server, header=header) == 401
    [row] = fetch(Charger)
    assert row.login_refused_at is not None and row.login_refused_from == "127.0.0.1"
    said = f"Connect refused from 127.0.0.1: {why}."
    line = eventually(lambda: [ln for ln in live_server.log_path.read_text().splitlines() if "Connect refused" in ln])
    assert line == [f"{line[0].split(' WARNING ')[0]} WARNING autocharge.charger_events: CP-1: {said}"]
    assert "wrong-password" not in live_server.log_path.read_text()
    [event] = fetch(ChargerEvent)
    assert (event.charger_id, event.kind, event.level, event.summary) == (protected, "refused", "warning", said)


def test_unknown_charger_refusals_are_kept_for_when_it_is_added(live_server, charger, fetch, in_db):
    assert refused(live_server, box="CP-404") == 404
    assert refused(live_server, box="CP-404") == 404  # once a minute per id is kept; each is logged
    [event] = fetch(ChargerEvent)
    said = "Connect refused from 127.0.0.1: unknown charge box id."
    assert (event.charger_id, event.charge_box_id, event.summary) == (None, "CP-404", said)
    assert live_server.log_path.read_text().count(f"WARNING autocharge.charger_events: CP-404: {said}") == 2
    added = in_db(lambda: chargers.add_charger("CP-404").id)
    assert [(e.charger_id, e.summary) for e in fetch(ChargerEvent)] == [(added, said)]


def test_basic_auth_with_the_right_password_connects(connect, protected):
    client = connect(header=[basic("CP-1", PASSWORD)])
    assert client.result("Heartbeat", {})["currentTime"]


@pytest.mark.parametrize(("registration", "status"), [("pending", "Pending"), ("rejected", "Rejected")])
def test_boot_of_a_charger_not_accepted(connect, in_db, charger, fetch, version, registration, status):
    in_db(lambda: chargers.set_registration(charger, registration))
    client = connect(protocols=[PROTOCOLS[version]])
    answer = client.result("BootNotification", BOOT[version])
    assert answer["status"] == status
    assert answer["interval"] <= 60  # it boots again soon, so an acceptance takes effect quickly
    refusal = client.call("Heartbeat", {})
    assert refusal[:3] == [4, refusal[1], "GenericError" if version == "1.6" else "SecurityError"]
    assert client.connected
    [row] = fetch(Charger)
    assert (row.vendor, row.ocpp_version, row.registration) == ("Acme", version, registration)

    in_db(lambda: chargers.set_registration(charger, "accepted"))
    assert client.result("BootNotification", BOOT[version])["status"] == "Accepted"
    assert client.result("Heartbeat", {})["currentTime"]


def test_boot_stores_the_chargers_details(booted_socket, fetch, version):
    [row] = fetch(Charger)
    expected = {"1.6": ("Acme", "Wallbox 1", "SN-1", "1.2.3"), "2.0.1": ("Acme", "Wallbox 2", "SN-2", "2.0.0")}
    assert (row.vendor, row.model, row.serial, row.firmware) == expected[version]
    assert row.last_boot is not None and row.online


def test_repeated_wrong_passwords_are_slowed_down_not_locked_out_for_good(live_server, protected):
    wrong = [basic("CP-1", "wrong-password-wrong-password")]
    assert [refused(live_server, header=wrong) for _ in range(4)] == [401] * 4  # three free tries, then 1 s
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(
            f"{live_server.ws_url}/CP-1", subprotocols=["ocpp1.6"], header=[basic("CP-1", PASSWORD)], timeout=5
        )
    assert info.value.status_code == 429  # even the right password waits its turn
    assert info.value.resp_headers["retry-after"] == "1"
    time.sleep(1.1)
    ws = websocket.create_connection(
        f"{live_server.ws_url}/CP-1", subprotocols=["ocpp1.6"], header=[basic("CP-1", PASSWORD)], timeout=5
    )
    ws.close()


def test_unknown_chargers_registered_as_pending_are_capped(live_server_factory, database_url, fetch):
    server = live_server_factory(database_url, AUTOCHARGE_ACCEPT_UNKNOWN_CHARGERS=1, AUTOCHARGE_MAX_PENDING_CHARGERS=2)
    opened = [
        websocket.create_connection(f"{server.ws_url}/NEW-{n}", subprotocols=["ocpp1.6"], timeout=5) for n in (1, 2)
    ]
    try:
        assert refused(server, box="NEW-3") == 503
        assert sorted(c.charge_box_id for c in fetch(Charger)) == ["NEW-1", "NEW-2"]
    finally:
        for ws in opened:
            ws.close()


@pytest.mark.parametrize("box", ["CP%00X", "CP%0AX", "x" * 49])
def test_a_charge_box_id_that_cannot_be_one_is_400(live_server, charger, box):
    assert refused(live_server, box=box) == 400


def _frame(text: str) -> bytes:
    """Return a masked client text frame (RFC 6455 5.2) of a short message."""
    data, mask = text.encode(), b"\x01\x02\x03\x04"
    return bytes((0x81, 0x80 | len(data))) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def test_a_frame_sent_along_with_the_upgrade_request_is_answered(live_server, charger):
    # pywsgi reads the request through a buffer that may already hold the charger's first frames: they are handed
    # to the socket's reader, not lost.
    request = (
        b"GET /ocpp/CP-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
    )
    frames = _frame('[2,"h1","Heartbeat",{}]') + _frame('[2,"h2","Heartbeat",{}]')
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=5) as sock:
        sock.sendall(request + frames)  # one send: the frames arrive with the request
        received = b""
        while received.count(b'"currentTime"') < 2:
            chunk = sock.recv(4096)
            assert chunk, f"closed after {received!r}"
            received += chunk
    assert received.startswith(b"HTTP/1.1 101")
    assert received.index(b'[3,"h1"') < received.index(b'[3,"h2"')
