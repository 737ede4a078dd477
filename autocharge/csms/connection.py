"""One charger's socket: the receive loop, serialized sends, and calls to the charger awaiting their answer."""

import contextlib
import json
import logging
import socket
import time
import uuid

import gevent
import sqlalchemy as sa
from flask import Flask
from gevent import Timeout
from gevent.event import AsyncResult
from gevent.lock import Semaphore
from geventwebsocket.exceptions import WebSocketError

from .. import hotsql, metrics
from ..extensions import db
from ..services import charger_state
from . import dispatcher, last_seen, registry, validation
from .pace import Pace
from .websocket import OcppWebSocket

log = logging.getLogger("autocharge.ocpp")

# Silence longer than this many heartbeat intervals means the charger is gone without closing
# (a half-open TCP connection): the socket is dropped so the charger shows offline.
IDLE_HEARTBEATS = 3
CLOSE_WAIT = 2.0  # seconds to wait for an in-flight send before closing a replaced socket


class CallTimeout(Exception):
    """The charger did not answer a call in time."""


class CallFailed(Exception):
    """The charger answered a call with a CallError."""

    def __init__(self, code: str, description: str, details: dict | None = None):
        super().__init__(f"{code}: {description}")
        self.code, self.description, self.details = code, description, details or {}


class ConnectionClosed(Exception):
    """The socket closed before the charger answered."""


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
                self.send(json.dumps([2, unique_id, action, payload], separators=(",", ":")))
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
            close_socket(self.ws, reason)
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


def serve_connection(app: Flask, ws: OcppWebSocket, charger_id: int, charge_box_id: str, version: str) -> None:
    """Serve one charger socket until it closes; run in the upgrade request's greenlet, after the view."""
    from . import outbox, remote, wakeup  # outbox needs this module's exceptions

    outbox.start(app)
    conn_id = registry.new_connection_id()
    try:
        with app.app_context():
            registration = charger_state.connected(charger_id, conn_id, version)
    except sa.exc.SQLAlchemyError:  # the database refused or dropped us: the charger retries later
        log.exception("%s: could not record the connection; closing the socket", charge_box_id)
        ws.close_with(1011, "Database unavailable; try again later")
        return
    conn = Connection(ws, charger_id, charge_box_id, version, registration, conn_id)
    # The database already names this socket as the live one, so the old socket's disconnect
    # (below, in its own greenlet) leaves the charger online.
    old = registry.register(conn)
    metrics.CONNECTED.set(registry.count())
    if old is not None:
        log.info("%s reconnected; closing its previous socket", charge_box_id)
        old.close()
    if wakeup.listening():  # another process may hold an older socket of this charger: it closes it
        with contextlib.suppress(sa.exc.SQLAlchemyError):  # then the old one lingers until it times out
            remote.announce_connected(app, charge_box_id, conn_id)
    log.info("%s connected (OCPP %s, %s)", charge_box_id, version, registration)
    ws.max_message = app.config["AUTOCHARGE_MAX_MESSAGE"]
    _set_idle_timeout(ws, app.config["AUTOCHARGE_HEARTBEAT_INTERVAL"] * IDLE_HEARTBEATS)
    try:
        _receive_loop(app, conn)
    finally:
        registry.unregister(conn)
        metrics.CONNECTED.set(registry.count())
        conn.fail_pending()
        close_socket(ws)
        with app.app_context():
            charger_state.disconnected(charger_id, conn_id)
        log.info("%s disconnected", charge_box_id)


def close_socket(ws: OcppWebSocket, reason: str = "") -> None:
    """Send a close frame (1000, `reason`) unless the socket is already closed, and mark it closed."""
    ws.close_with(1000, reason)


def _receive_loop(app: Flask, conn: Connection) -> None:
    """Handle frames one by one, paced; nothing of one frame's database work outlives it."""
    pace = Pace(app.config["AUTOCHARGE_CHARGER_RATE"], app.config["AUTOCHARGE_CHARGER_BURST"])
    # One app context for the socket's life (pushing one per frame was a measurable share of a frame's cost);
    # the ORM session and the hot path's transaction still end with every frame.
    with app.app_context():
        while True:
            pace.take()
            try:
                text = conn.ws.receive()
            except WebSocketError:
                return
            if text is None:
                return
            reply = _handle(app, conn, text)
            if reply is not None:
                try:
                    conn.send(reply)
                except WebSocketError:
                    return
            # A socket that always has data never blocks, and SQLite never yields: without this one busy
            # charger would hold the process, every other charger and the web UI waiting behind it.
            gevent.sleep(0)


def _handle(app: Flask, conn: Connection, text: str | bytes) -> str | None:
    """Return the answer to one frame; a failure outside the handlers still answers a Call (never silence)."""
    started = time.perf_counter()
    try:
        reply = dispatcher.handle(conn, text)
        metrics.frame(validation.known_actions(conn.version), text, reply, time.perf_counter() - started)
        _mark_seen(app, conn)
        return reply
    except Exception:  # a bug outside the handlers (they answer InternalError themselves): keep the socket
        log.exception("%s: frame not handled", conn.charge_box_id)
        return dispatcher.internal_error(text)
    finally:
        _end_frame()


def _end_frame() -> None:
    """End a frame's database work: roll back what it left open, close its ORM session if it made one."""
    hotsql.release()
    if db.session.registry.has():
        db.session.remove()


def _mark_seen(app: Flask, conn: Connection) -> None:
    """Note last seen (written in batches); a failing write must not drop the charger's socket."""
    try:
        last_seen.heard(app, conn.charger_id)
    except Exception:
        log.exception("%s: could not record last seen", conn.charge_box_id)


def _set_idle_timeout(ws: OcppWebSocket, seconds: float) -> None:
    """Make a silent socket's receive fail after `seconds`, so half-open connections end."""
    sock = getattr(ws.handler, "socket", None)
    if sock is not None and seconds > 0:
        sock.settimeout(seconds)
