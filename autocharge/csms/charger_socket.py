"""A live charger socket: serialized sends, and calls to the charger awaiting their answer."""

import contextlib
import socket
import time
import uuid

from gevent import Timeout
from gevent.event import AsyncResult
from gevent.lock import Semaphore
from geventwebsocket.exceptions import WebSocketError

from ..wire.codec import call_frame
from .errors import CallFailed, CallTimeout, ConnectionClosed
from .websocket import OcppWebSocket

CLOSE_WAIT = 2.0  # seconds to wait for an in-flight send before closing a replaced socket


class Connection:
    """A live charger socket and what the hot path needs without asking the database."""

    __slots__ = (
        "ws",
        "charger_id",
        "charge_box_id",
        "version",
        "registration",
        "id",
        "closed",
        "_send_lock",
        "_call_lock",
        "_pending",
    )

    def __init__(
        self, ws: OcppWebSocket, charger_id: int, charge_box_id: str, version: str, registration: str, conn_id: str
    ):
        self.ws = ws
        self.charger_id = charger_id
        self.charge_box_id = charge_box_id
        self.version = version
        self.registration = registration  # refreshed by every BootNotification
        self.id = conn_id  # tells this socket's online/offline writes from a newer socket's
        self.closed = False
        self._send_lock = Semaphore()
        self._call_lock = Semaphore()  # OCPP allows one outstanding call per direction
        self._pending: dict[str, AsyncResult] = {}

    def send(self, text: str) -> None:
        """Send one frame; sends from the socket loop and from back-office calls never interleave."""
        with self._send_lock:
            self.ws.send(text)

    def call(self, action: str, payload: dict, timeout: float) -> dict:
        """Send a call to the charger and return its answer's payload.

        Raises CallTimeout, CallFailed (a CallError answer) or ConnectionClosed.
        """
        deadline = time.monotonic() + timeout
        if not self._call_lock.acquire(timeout=timeout):
            raise CallTimeout(f"{self.charge_box_id} is still busy with an earlier command.")
        try:
            unique_id = str(uuid.uuid4())
            result = self._pending[unique_id] = AsyncResult()
            try:
                self.send(call_frame(unique_id, action, payload))
                return result.get(timeout=max(0.0, deadline - time.monotonic()))
            except Timeout:
                raise CallTimeout(f"{self.charge_box_id} did not answer {action} within {timeout:g} s.") from None
            except WebSocketError:
                raise ConnectionClosed(f"{self.charge_box_id} disconnected.") from None
            finally:
                self._pending.pop(unique_id, None)
        finally:
            self._call_lock.release()

    def resolve(self, unique_id: str, payload: dict | None = None, error: CallFailed | None = None) -> bool:
        """Hand a CallResult/CallError to the call waiting for it; tell whether one was waiting."""
        result = self._pending.get(unique_id)
        if result is None:
            return False
        if error is not None:
            result.set_exception(error)
        else:
            result.set(payload)
        return True

    def close(self, reason: str = "Replaced by a new connection") -> None:
        """Close the socket (a newer one replaced it, by default) and wake its receive loop."""
        if self.closed:
            return
        self.closed = True
        handler = self.ws.handler
        acquired = self._send_lock.acquire(timeout=CLOSE_WAIT)
        try:
            self.ws.close_with(1000, reason)
        finally:
            if acquired:
                self._send_lock.release()
        sock = getattr(handler, "socket", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # a half-open peer would otherwise keep recv() waiting

    def fail_pending(self) -> None:
        """Fail every call still waiting for an answer on this socket."""
        for result in list(self._pending.values()):
            result.set_exception(ConnectionClosed(f"{self.charge_box_id} disconnected."))
