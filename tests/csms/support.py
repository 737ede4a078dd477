"""Helpers of the OCPP tests: a raw OCPP-J client, an in-process charger, Basic auth headers (and eventually)."""

import base64
import json
import uuid

import websocket
from conftest import eventually  # noqa: F401  (the tests' one way to wait, also imported from here)

from autocharge.csms import connection, dispatcher, registry
from autocharge.csms.charger_socket import Connection
from autocharge.extensions import db
from autocharge.hotpath import group
from autocharge.hotpath import runner as hotpath
from autocharge.services import charger_state, chargers

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


class InProcessCharger:
    """A charger whose frames go straight to the dispatcher in the test process: no server, no socket, no pacing.

    The same interface as RawCharger, for protocol behaviour (what a frame stores and answers). It is admitted and
    marked connected as the endpoint does; each frame is handled as the receive loop handles it, in an app context,
    with the frame's database work ended after it. The transport, the receive loop, last seen, calls to the charger
    and reconnects are tested over real sockets (RawCharger, the simulator).
    """

    def __init__(self, app, box: str, version: str):
        self.app = app
        with app.app_context():
            admission = chargers.admit(box, None, "127.0.0.1")
            assert admission.allowed, admission
            conn_id = registry.new_connection_id()
            registration = charger_state.connected(admission.charger_id, conn_id, version)
            db.session.remove()
        self.conn = Connection(_Unplugged(), admission.charger_id, box, version, registration, conn_id)
        self.subprotocol = PROTOCOLS[version]
        self.connected = True
        self._replies: list[str] = []

    def send(self, frame) -> None:
        """Hand a frame (a list is JSON-encoded, a string goes as is) to the dispatcher; keep its answer."""
        text = frame if isinstance(frame, str) else json.dumps(frame)
        with self.app.app_context():
            frame = group.start_frame()  # grouped with other frames' commits as in the receive loop (SQLite)
            try:
                reply = dispatcher.handle(self.conn, text)
            finally:
                hotpath.release()
                db.session.remove()
                waits_for = group.end_frame(frame)
            if waits_for is not None:
                reply = connection.once_committed(self.conn, waits_for, reply, text)
        if reply is not None:
            self._replies.append(reply)

    def recv(self, timeout: float = 5) -> list:
        """Return the dispatcher's next answer, decoded."""
        assert self._replies, "the dispatcher answered nothing"
        return json.loads(self._replies.pop(0))

    call = RawCharger.call
    result = RawCharger.result

    def close(self) -> None:
        """Forget the charger (the real socket's disconnect is tested over sockets)."""
        self.connected = False


class _Unplugged:
    """The socket of an InProcessCharger: nothing may be sent through it (calls to chargers need a real one)."""

    handler = None

    def send(self, text: str) -> None:
        raise AssertionError(f"a call to an in-process charger needs a real socket: {text}")
