"""Wake-ups between server processes: PostgreSQL LISTEN/NOTIFY on one channel, local calls on SQLite.

The database stays the record (outbox rows, charger rows); a wake-up only tells the processes to look now instead
of at their next safety-net poll. A payload is "<kind>:<argument>"; every process receives every wake-up and the
handler registered for the kind (on()) decides whether it concerns this process. psycopg 3 waits on its socket
through select(), which gevent patches, so the listening greenlet never blocks the process.
"""

import logging
from collections.abc import Callable

import gevent
import psycopg
import sqlalchemy as sa
from flask import Flask

from ..extensions import db
from ..services import dialect

log = logging.getLogger("autocharge.wakeup")

CHANNEL = "autocharge"
MISSED = "*"  # the argument handlers get after the listener reconnected: anything may have happened meanwhile
CHECK_EVERY = 30.0  # seconds between tests of the listening connection
_NOTIFY = sa.select(sa.func.pg_notify(CHANNEL, sa.bindparam("p_payload", type_=sa.String)))
_handlers: dict[str, Callable[[str], None]] = {}
_listening: set[int] = set()  # id() of apps whose process listens


def on(kind: str, handler: Callable[[str], None]) -> None:
    """Call `handler(argument)` for every wake-up of this kind (in the listening greenlet: keep it short)."""
    _handlers[kind] = handler


def publish(kind: str, argument: str = "") -> None:
    """Wake every process's handler of `kind`; call inside writing(): on PostgreSQL it is sent at the commit."""
    payload = f"{kind}:{argument}"
    conn = dialect.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY, {"p_payload": payload})
    else:  # SQLite: one process, so the wake-up stays here; it runs once this greenlet yields (after the commit)
        gevent.spawn(dispatch, payload)


def listening() -> bool:
    """Tell whether this process receives other processes' wake-ups (else it must poll often)."""
    return bool(_listening)


def start(app: Flask) -> gevent.Greenlet | None:
    """Start listening for wake-ups (PostgreSQL only); return the listening greenlet."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "postgresql":
        return None
    _listening.add(id(app))
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return gevent.spawn(listen_forever, conninfo)


def listen_forever(conninfo: str) -> None:
    """Receive wake-ups and dispatch them, reconnecting (with a growing pause) whenever the connection fails."""
    pause = 0.5
    while True:
        try:
            with psycopg.connect(conninfo, autocommit=True, application_name="autocharge-listen") as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                pause = 0.5
                _dispatch_to_all(MISSED)
                _receive(conn)
        except Exception as exc:  # the database went away: wake-ups resume once it is back, polls cover the gap
            log.warning("listening for wake-ups failed (%s); reconnecting in %.1f s", exc, pause)
        gevent.sleep(pause)
        pause = min(pause * 2, 10.0)


def _receive(conn: psycopg.Connection) -> None:
    """Dispatch notifications as they come; test the connection every CHECK_EVERY seconds."""
    while True:
        for notify in conn.notifies(timeout=CHECK_EVERY):
            dispatch(notify.payload)
        conn.execute("SELECT 1")  # a connection cut without a word (firewall, failover) fails here


def dispatch(payload: str) -> None:
    """Hand one wake-up to its kind's handler; a failing handler is logged, never fatal to the listener."""
    kind, _, argument = payload.partition(":")
    handler = _handlers.get(kind)
    if handler is None:
        return
    try:
        handler(argument)
    except Exception:
        log.exception("wake-up %r not handled", payload)


def _dispatch_to_all(argument: str) -> None:
    """Tell every handler that wake-ups may have been missed."""
    for kind in list(_handlers):
        dispatch(f"{kind}:{argument}")
