"""The OCPP-J link of a simulated charger: one WebSocket, a reader thread, Calls matched to their results.

Only threading primitives are used (threads, Event, Lock, Queue), so the same code runs with real threads in a
plain process (pytest) and with greenlets once gevent has monkey-patched the process (`flask --app app simulate`).
"""

import base64
import contextlib
import json
import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import websocket

from ..wire.codec import CALL, CALL_ERROR, CALL_RESULT, call_frame, error_frame, result_frame

SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
_CLOSED = object()  # put in the raw queue when the socket closes


class SimulatorError(Exception):
    """Something the simulated charger cannot do, or a CSMS answer it cannot accept."""


class ConnectRefused(SimulatorError):
    """The CSMS refused the WebSocket upgrade (.status 400/401/404...), or nothing answered (.status None)."""

    def __init__(self, status: int | None, reason: str):
        super().__init__(f"HTTP {status}: {reason}" if status else reason)
        self.status = status
        self.reason = reason


class NothingListening(ConnectRefused):
    """Nothing accepts connections at the CSMS's address (connection refused): the server is not running there."""

    def __init__(self, url: str):
        super().__init__(None, f"Nothing is listening at {url}: is the server running (make run)?")


class CallErrorReceived(SimulatorError):
    """The CSMS answered a Call with a CallError."""

    def __init__(self, code: str, description: str, details: Any = None):
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details


class ConnectionLost(SimulatorError):
    """The socket closed (or was never opened) while the simulator needed it."""


class CallTimeout(SimulatorError, TimeoutError):
    """The CSMS did not answer a Call in time."""


class _Waiter:
    """One outstanding Call: an event and the frame that answered it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.frame: list | None = None


def endpoint_url(url: str, charge_box_id: str) -> str:
    """Return the charger's WebSocket URL: the endpoint plus the charge box id (unless the URL already ends with it)."""
    box = quote(charge_box_id, safe="")
    base = url.rstrip("/")
    return base if base.endswith("/" + box) else f"{base}/{box}"


class Link:
    """An OCPP-J WebSocket client that matches CallResults to Calls and hands the CSMS's Calls to `on_call`.

    on_call(unique_id, action, payload) answers through reply()/reply_error() and returns True, or returns False to
    leave the frame to recv_raw().
    """

    def __init__(
        self,
        url: str,
        charge_box_id: str,
        version: str,
        password: str | None,
        on_call: Callable[[str, str, Any], bool],
        trace: Callable[[str], None] | None = None,
    ):
        if version not in SUBPROTOCOLS:
            raise ValueError(f"Unsupported OCPP version {version!r}; use 1.6 or 2.0.1.")
        self.url = endpoint_url(url, charge_box_id)
        self.charge_box_id = charge_box_id
        self.version = version
        self.password = password
        self.on_call = on_call
        self.trace = trace
        self.raw: queue.Queue = queue.Queue()
        self._ws: websocket.WebSocket | None = None
        self._reader: threading.Thread | None = None
        self._pending: dict[str, _Waiter] = {}
        self._call_lock = threading.Lock()
        self.closed = threading.Event()
        self.closed.set()

    @property
    def connected(self) -> bool:
        """Tell whether the socket is open."""
        return not self.closed.is_set()

    def open(self, timeout: float = 10) -> None:
        """Open the socket (subprotocol and Basic auth in the upgrade) and start the reader; raise ConnectRefused."""
        headers = []
        if self.password is not None:
            token = base64.b64encode(f"{self.charge_box_id}:{self.password}".encode()).decode()
            headers.append(f"Authorization: Basic {token}")
        try:
            ws = websocket.create_connection(
                self.url,
                timeout=timeout,
                subprotocols=[SUBPROTOCOLS[self.version]],
                header=headers,
                suppress_origin=True,
                enable_multithread=True,
            )
        except websocket.WebSocketBadStatusException as exc:
            body = (exc.resp_body or b"").decode("utf-8", "replace").strip()
            raise ConnectRefused(exc.status_code, body or exc.status_message or "refused") from exc
        except ConnectionRefusedError as exc:
            raise NothingListening(self.url) from exc
        except (OSError, websocket.WebSocketException) as exc:
            raise ConnectRefused(None, f"Cannot connect to {self.url}: {exc}") from exc
        if ws.getsubprotocol() != SUBPROTOCOLS[self.version]:
            ws.close()
            raise ConnectRefused(None, f"The CSMS did not accept subprotocol {SUBPROTOCOLS[self.version]}.")
        ws.settimeout(None)  # the reader waits as long as the socket lives; waits have their own timeouts
        self._ws = ws
        self.raw = queue.Queue()
        self.closed.clear()
        self._reader = threading.Thread(target=self._read_loop, name=f"ocpp-reader-{self.charge_box_id}", daemon=True)
        self._reader.start()

    def call(self, action: str, payload: Any, timeout: float) -> Any:
        """Send a Call and return the CallResult's payload; raise CallErrorReceived, CallTimeout, ConnectionLost."""
        # OCPP-J allows one outstanding Call per direction; a second caller waits its turn.
        if not self._call_lock.acquire(timeout=timeout):
            raise CallTimeout(f"{action}: another Call is still waiting for its answer.")
        try:
            unique_id = str(uuid.uuid4())
            waiter = _Waiter()
            self._pending[unique_id] = waiter
            try:
                self.send_raw(call_frame(unique_id, action, payload))
                if not waiter.event.wait(timeout):
                    raise CallTimeout(f"The CSMS did not answer {action} within {timeout:g} s.")
            finally:
                self._pending.pop(unique_id, None)
        finally:
            self._call_lock.release()
        frame = waiter.frame
        if frame is None:
            raise ConnectionLost(f"The connection closed before the CSMS answered {action}.")
        if frame[0] == CALL_ERROR:
            code, description, details = (list(frame[2:5]) + [None, None, None])[:3]
            raise CallErrorReceived(str(code), str(description), details)
        return frame[2]

    def reply(self, unique_id: str, payload: Any) -> None:
        """Answer one of the CSMS's Calls."""
        self.send_raw(result_frame(unique_id, payload))

    def reply_error(self, unique_id: str, code: str, description: str) -> None:
        """Answer one of the CSMS's Calls with a CallError."""
        self.send_raw(error_frame(unique_id, code, description))

    def send_raw(self, text: str) -> None:
        """Send one text frame as is; raise ConnectionLost."""
        ws = self._ws
        if ws is None or self.closed.is_set():
            raise ConnectionLost("The simulator is not connected.")
        if self.trace:
            self.trace(f">> {text}")
        try:
            ws.send(text)
        except (OSError, websocket.WebSocketException) as exc:
            raise ConnectionLost(f"Sending failed: {exc}") from exc

    def recv_raw(self, timeout: float) -> str:
        """Return the next frame that was neither a result of our Calls nor an answered CSMS Call."""
        try:
            item = self.raw.get(timeout=timeout)
        except queue.Empty:
            raise CallTimeout(f"Nothing arrived within {timeout:g} s.") from None
        if item is _CLOSED:
            self.raw.put(_CLOSED)  # later readers learn it too
            raise ConnectionLost("The connection is closed.")
        return item

    def close(self) -> None:
        """Close the socket politely (close frame, then shut down) and wait for the reader to end."""
        ws, reader = self._ws, self._reader
        if ws is None:
            return
        if not self.closed.is_set():
            with contextlib.suppress(OSError, websocket.WebSocketException):
                ws.send_close()
            if reader is not None:
                reader.join(2)  # the reader ends when the CSMS's close frame arrives
        ws.abort()  # wakes a reader still blocked in recv
        if reader is not None:
            reader.join(2)
        ws.shutdown()
        self._ws = None
        self._finish()

    def _read_loop(self) -> None:
        """Read frames until the socket closes, routing each one."""
        ws = self._ws
        try:
            while ws is not None:
                opcode, data = ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
                if self.trace:
                    self.trace(f"<< {text}")
                self._route(text)
        except (OSError, websocket.WebSocketException, ValueError):
            pass  # closed under us: the waiters learn it below
        finally:
            if ws is not None:
                ws.shutdown()  # nobody reads this socket any more
            self._finish()

    def _route(self, text: str) -> None:
        """Hand a frame to the Call waiting for it, to on_call, or to the raw queue."""
        try:
            frame = json.loads(text)
        except ValueError:
            frame = None
        if isinstance(frame, list) and len(frame) >= 3 and isinstance(frame[1], str):
            if frame[0] in (CALL_RESULT, CALL_ERROR) and frame[1] in self._pending:
                waiter = self._pending[frame[1]]
                waiter.frame = frame
                waiter.event.set()
                return
            if frame[0] == CALL and len(frame) >= 4 and isinstance(frame[2], str) and self.on_call(*frame[1:4]):
                return
        self.raw.put(text)

    def _finish(self) -> None:
        """Mark the link closed and wake everyone waiting on it."""
        if self.closed.is_set():
            return
        self.closed.set()
        for waiter in list(self._pending.values()):
            waiter.event.set()  # frame stays None: ConnectionLost
        self.raw.put(_CLOSED)
