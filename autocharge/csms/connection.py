"""Serving one charger's socket: connect and disconnect bookkeeping, and the paced receive loop."""

import contextlib
import logging
import time

import gevent
import sqlalchemy as sa
from flask import Flask
from geventwebsocket.exceptions import WebSocketError

from .. import metrics
from ..extensions import db
from ..hotpath import group
from ..hotpath import runner as hotpath
from ..services import charger_state
from . import dispatcher, last_seen, local_lists, registry
from .charger_socket import Connection
from .pace import Pace
from .websocket import OcppWebSocket

log = logging.getLogger("autocharge.ocpp")

# Silence longer than this many heartbeat intervals means the charger is gone without closing
# (a half-open TCP connection): the socket is dropped so the charger shows offline.
IDLE_HEARTBEATS = 3


def serve_connection(app: Flask, ws: OcppWebSocket, charger_id: int, charge_box_id: str, version: str) -> None:
    """Serve one charger socket until it closes; run in the upgrade request's greenlet, after the view."""
    from . import outbox, remote, wakeup  # they use this module's sockets: imported when the first one opens

    outbox.start(app)
    local_lists.start(app)
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
        ws.stop_watching_idle()
        registry.unregister(conn)
        local_lists.closed(conn)
        metrics.CONNECTED.set(registry.count())
        conn.fail_pending()
        ws.close_with(1000, "")
        with app.app_context():
            charger_state.disconnected(charger_id, conn_id)
        log.info("%s disconnected", charge_box_id)


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
            reply, yielded = answer(app, conn, text)
            if reply is not None:
                try:
                    conn.send(reply)
                except WebSocketError:
                    return
            local_lists.heard(app, conn)  # once the answer is out: a list sync may call the charger now
            if not yielded:  # (waiting for the commit yields to the hub already)
                # A socket that always has data never blocks, and SQLite never yields: without this one busy
                # charger would hold the process, every other charger and the web UI waiting behind it.
                gevent.sleep(0)


def answer(app: Flask, conn: Connection, text: str | bytes) -> tuple[str | None, bool]:
    """Return the answer to one frame, sent only once what it wrote or read is committed, and whether waiting for
    that commit yielded to the hub."""
    frame = group.start_frame(app.config)
    reply = _handle(app, conn, text)
    waits_for = group.end_frame(frame)
    yielded = waits_for is not None and not waits_for.committed.is_set()
    if waits_for is not None:
        reply = once_committed(conn, waits_for, reply, text)
    return reply, yielded


def once_committed(conn: Connection, waits_for: group.Group, reply: str | None, text: str | bytes) -> str | None:
    """Wait for the commit of what the frame wrote or read; return its answer, InternalError if the commit failed."""
    error = group.settled(waits_for)
    if error is None or reply is None:
        return reply
    log.error("%s: the commit of its frame failed, answered InternalError: %s", conn.charge_box_id, error)
    return dispatcher.internal_error(text)


def _handle(app: Flask, conn: Connection, text: str | bytes) -> str | None:
    """Return the answer to one frame; a failure outside the handlers still answers a Call (never silence)."""
    started = time.perf_counter()
    try:
        name, reply = dispatcher.handle_named(conn, text)
        metrics.frame(name, reply, time.perf_counter() - started)
        _mark_seen(app, conn)
        return reply
    except Exception:  # a bug outside the handlers (they answer InternalError themselves): keep the socket
        log.exception("%s: frame not handled", conn.charge_box_id)
        return dispatcher.internal_error(text)
    finally:
        _end_frame()


def _end_frame() -> None:
    """End a frame's database work: roll back what it left open, close its ORM session if it made one."""
    hotpath.release()
    if db.session.registry.has():
        db.session.remove()


def _mark_seen(app: Flask, conn: Connection) -> None:
    """Note last seen (written in batches); a failing write must not drop the charger's socket."""
    try:
        last_seen.heard(app, conn.charger_id)
    except Exception:
        log.exception("%s: could not record last seen", conn.charge_box_id)


def _set_idle_timeout(ws: OcppWebSocket, seconds: float) -> None:
    """Make a silent socket's receive fail after `seconds`, so half-open connections end; bound sends the same."""
    sock = getattr(ws.handler, "socket", None)
    if sock is not None and seconds > 0:
        sock.settimeout(seconds)  # a send to a charger that stopped reading, and the close
        ws.watch_idle(seconds)
