"""The OCPP WebSocket's own send: one frame per message, its length in the header's three sizes (RFC 6455 5.2)."""

import socket
import threading
from types import SimpleNamespace

import pytest
from geventwebsocket.exceptions import WebSocketError
from geventwebsocket.websocket import Stream

from autocharge.csms.websocket import OcppWebSocket


def websocket(sock: socket.socket) -> OcppWebSocket:
    """Return a WebSocket over one end of a socket pair, as the server's handler would make it."""
    handler = SimpleNamespace(socket=sock, rfile=sock.makefile("rb"))
    return OcppWebSocket({}, Stream(handler), handler)


@pytest.fixture
def pair():
    """Return two WebSockets talking to each other over a real socket pair."""
    left, right = socket.socketpair()
    yield websocket(left), websocket(right)
    left.close()
    right.close()


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_a_text_message_arrives_whole_whatever_its_length(pair, size):
    sender, receiver = pair
    message = ("é" * size)[: size // 2] + "x" * (size - size // 2)
    sending = threading.Thread(target=sender.send, args=(message,))  # a large one fills the pair's buffers
    sending.start()
    assert receiver.receive() == message
    sending.join()


def test_bytes_go_as_a_binary_message(pair):
    sender, receiver = pair
    sender.send(b"\x00\x01binary")
    assert receiver.receive() == b"\x00\x01binary"


def test_the_header_is_the_rfc_one(pair):
    sender, receiver = pair
    sender.send("x" * 300)
    raw = receiver.handler.socket.recv(4)
    assert raw == bytes((0x81, 126)) + (300).to_bytes(2, "big")


def test_a_closed_socket_refuses_to_send(pair):
    sender, _ = pair
    sender.close_with(1000, "")
    with pytest.raises(WebSocketError):
        sender.send("late")


def masked(payload: bytes, opcode: int = 0x1, fin: bool = True) -> bytes:
    """Return one client frame (masked, as a charger sends it) carrying `payload`."""
    mask, size = b"\x11\x22\x33\x44", len(payload)
    if size < 126:
        header = bytes(((0x80 if fin else 0) | opcode, 0x80 | size))
    elif size < 65536:
        header = bytes(((0x80 if fin else 0) | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes(((0x80 if fin else 0) | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    return header + mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))


@pytest.fixture
def charger_pair():
    """Return a raw socket (the charger's end) and the server's WebSocket over a real socket pair."""
    left, right = socket.socketpair()
    yield left, websocket(right)
    left.close()
    right.close()


@pytest.mark.parametrize("size", [0, 1, 125, 126, 300, 65535, 65536])
@pytest.mark.parametrize("pieces", [1, 7])
def test_a_charger_frame_is_read_whole_or_in_pieces(charger_pair, size, pieces):
    charger, server = charger_pair
    message = ("é" * size)[: size // 2] + "x" * (size - size // 2)
    frames = masked(message.encode()) + masked(b'[2,"next"]')  # two frames in one stream
    cut = max(1, len(frames) // pieces)

    def send() -> None:
        for start in range(0, len(frames), cut):
            charger.sendall(frames[start : start + cut])

    sending = threading.Thread(target=send)
    sending.start()
    assert server.receive() == message
    assert server.receive() == '[2,"next"]'
    sending.join()


def test_a_fragmented_message_is_joined(charger_pair):
    charger, server = charger_pair
    charger.sendall(masked(b"[2,", fin=False) + masked(b'"1"]', opcode=0x0))
    assert server.receive() == '[2,"1"]'


def test_a_frame_that_is_not_utf8_closes_with_1007(charger_pair):
    charger, server = charger_pair
    charger.sendall(masked(b"[2,\xff]"))
    heard = []

    def hear_the_close() -> None:
        heard.append(charger.recv(64))
        charger.shutdown(socket.SHUT_WR)  # as a peer does: the server stops waiting for it

    listening = threading.Thread(target=hear_the_close)
    listening.start()
    assert server.receive() is None
    listening.join()
    assert heard[0][0] == 0x88 and int.from_bytes(heard[0][2:4], "big") == 1007
    assert heard[0][4:] == b"Text message is not valid UTF-8."
