"""Helpers of the OCPP integration tests: a raw OCPP-J client, Basic auth headers (and eventually, from conftest)."""

import base64
import json
import uuid

import websocket
from conftest import eventually  # noqa: F401  (the tests' one way to wait, also imported from here)

TAG = "TAG1"
VID = "0A1B2C3D4E5F"  # a paired vehicle's Auto Charge identifier
PROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
BOOT = {
    "1.6": {
        "chargePointVendor": "Acme",
        "chargePointModel": "Wallbox 1",
        "chargePointSerialNumber": "SN-1",
        "firmwareVersion": "1.2.3",
    },
    "2.0.1": {
        "chargingStation": {
            "vendorName": "Acme",
            "model": "Wallbox 2",
            "serialNumber": "SN-2",
            "firmwareVersion": "2.0.0",
        },
        "reason": "PowerUp",
    },
}


class RawCharger:
    """A charger speaking raw OCPP-J frames, so tests control every byte."""

    def __init__(self, ws: websocket.WebSocket):
        self.ws = ws

    @property
    def subprotocol(self) -> str | None:
        """Return the subprotocol the server chose."""
        return self.ws.getsubprotocol()

    def send(self, frame) -> None:
        """Send a frame (a list is JSON-encoded, a string goes as is)."""
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def recv(self, timeout: float = 5) -> list:
        """Return the next frame from the server, decoded."""
        self.ws.settimeout(timeout)
        return json.loads(self.ws.recv())

    def call(self, action: str, payload: dict, unique_id: str | None = None) -> list:
        """Send a Call and return the server's answer frame (CallResult or CallError)."""
        unique_id = unique_id or uuid.uuid4().hex[:12]
        self.send([2, unique_id, action, payload])
        reply = self.recv()
        assert reply[1] == unique_id, reply
        return reply

    def result(self, action: str, payload: dict) -> dict:
        """Send a Call that must succeed; return the CallResult payload."""
        reply = self.call(action, payload)
        assert reply[0] == 3, reply
        return reply[2]

    @property
    def connected(self) -> bool:
        """Tell whether the socket is still open."""
        return self.ws.connected

    def close(self) -> None:
        """Close the socket (and the TCP socket under it, even after the server closed first)."""
        self.ws.close()
        self.ws.shutdown()


def basic(user: str, password: str) -> str:
    """Return an HTTP Basic Authorization header line."""
    return "Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
