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
