"""When this process sends its chargers their local authorization lists (services/local_auth_sync.py does the how).

A charger's list is synced by the process holding its socket: once per connection after its first accepted frame
(usually the BootNotification, and again after every boot), whenever who may charge changes (a wake-up, from any
process), and by a poll every AUTOCHARGE_LOCAL_LIST_RETRY_SECONDS that retries failures when their wait is over.
One sync per charger runs at a time in this process; a request arriving meanwhile runs it once more afterwards.
"""

import logging
import time

import gevent
from flask import Flask
from gevent.event import Event

from ..extensions import db
from ..models.statuses import Registration
from ..services import local_auth, local_auth_sync
from . import registry, wakeup
from .charger_socket import Connection

log = logging.getLogger("autocharge.local_list")

CLEANUP_EVERY = 60.0  # seconds between deletions of the changes every charger has
_wakes: dict[int, Event] = {}  # id(app) -> its poller's wake-up (one poller per app, as in a server process)
_checked: set[str] = set()  # connection ids whose charger was checked since it connected or booted
# Charger id -> None while its sync runs, or (another run requested) whether that run checks the limits again.
_running: dict[int, bool | None] = {}


def start(app: Flask) -> gevent.Greenlet | None:
    """Start the app's poller (once per app)."""
    if id(app) in _wakes:
        return None
    _wakes[id(app)] = Event()
    return gevent.spawn(_poll_forever, app, _wakes[id(app)])


def heard(app: Flask, conn: Connection) -> None:
    """Sync an accepted charger's list once per connection (and per boot); called after each frame is answered."""
    if conn.id in _checked or conn.registration != Registration.ACCEPTED:
        return
    _checked.add(conn.id)
    schedule(app, conn.charger_id, check=True)


def booted(conn: Connection) -> None:
    """Check the list again after the charger's answered BootNotification: a reset charger may have lost it."""
    _checked.discard(conn.id)


def closed(conn: Connection) -> None:
    """Forget a closed socket."""
    _checked.discard(conn.id)


def schedule(app: Flask, charger_id: int, check: bool = False) -> None:
    """Sync a charger's list in a greenlet of its own, or once more after the one running."""
    if charger_id in _running:
        _running[charger_id] = bool(_running[charger_id]) or check
        return
    _running[charger_id] = None
    gevent.spawn(_run, app, charger_id, check)


def _run(app: Flask, charger_id: int, check: bool) -> None:
    """Run the charger's sync, and again while requests for another one came in meanwhile."""
    try:
        while True:
            with app.app_context():
                try:
                    local_auth_sync.sync(charger_id, check=check)
                except Exception:  # a database hiccup or a bug: the poller tries again
                    log.exception("local list sync of charger %s failed", charger_id)
                finally:
                    db.session.remove()
            again = _running.get(charger_id)
            if again is None:
                return
            check, _running[charger_id] = again, None
    finally:
        _running.pop(charger_id, None)


def _poll_forever(app: Flask, wake: Event) -> None:
    """Sync the lists of this process's chargers that have something due, when woken or every retry period."""
    every = float(app.config["AUTOCHARGE_LOCAL_LIST_RETRY_SECONDS"])
    next_cleanup = 0.0
    quiet_until = 0.0
    while True:
        wake.wait(every)
        wake.clear()
        try:
            with app.app_context():
                try:
                    for charger_id in local_auth.due(registry.PROCESS_ID):
                        schedule(app, charger_id)
                    if time.monotonic() > next_cleanup:
                        next_cleanup = time.monotonic() + CLEANUP_EVERY
                        local_auth.forget_delivered()
                finally:
                    db.session.remove()
        except Exception:  # the database may be briefly unavailable: next round, logged once a minute
            if time.monotonic() > quiet_until:
                quiet_until = time.monotonic() + 60
                log.exception("local list poll failed (retrying, logging once a minute)")


def _on_changed(_argument: str) -> None:
    """Wake the pollers: who may charge changed, or a charger's list setting did."""
    for wake in list(_wakes.values()):
        wake.set()


wakeup.on("locallist", _on_changed)
