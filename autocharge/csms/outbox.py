"""Commands between server processes: the database carries a call to the process that holds the socket.

A process asked to command a charger whose socket another process holds posts a ChargerCommand row; every
process claims the pending rows of its own chargers (Charger.connection_id starts with its registry.PROCESS_ID),
calls the charger and stores the outcome. The asker deletes its row. Posting and storing an outcome each send a
wake-up (csms/wakeup.py: PostgreSQL NOTIFY), so nobody waits for a poll; the poll stays as a safety net, slow
while this process listens, fast where it cannot (SQLite, or a process that is not a server).
"""

import logging
import time
import weakref
from datetime import timedelta

import gevent
import sqlalchemy as sa
from flask import Flask
from gevent.event import Event

from ..db import utcnow, writing
from ..extensions import db
from ..models import Charger, ChargerCommand
from ..models.statuses import CommandState
from ..services import dialect
from . import registry, wakeup
from .errors import CallFailed, CallTimeout, ConnectionClosed

log = logging.getLogger("autocharge.ocpp")

POLL_SECONDS = 0.2  # without wake-ups
SAFETY_POLL_SECONDS = 3.0  # with wake-ups: only rows whose wake-up was lost wait this long
GRACE_SECONDS = 2.0  # the owning process's time to store an outcome that came just before the deadline
FORGET_AFTER = timedelta(hours=1)  # rows nobody waits for (fire-and-forget) are deleted this long after
_started: set[int] = set()
# Set by a wake-up: commands were posted, maybe for this process's chargers. One per hub: an Event belongs to the hub
# (OS thread) that first waits on it, and tests run servers in threads of their own beside the main one.
_posted_in: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_waiters: dict[int, Event] = {}  # command id -> set by the wake-up telling its outcome is stored

_PENDING = (
    sa.select(
        ChargerCommand.id, ChargerCommand.action, ChargerCommand.payload, ChargerCommand.deadline, Charger.charge_box_id
    )
    .join(Charger, Charger.id == ChargerCommand.charger_id)
    .where(ChargerCommand.state == CommandState.PENDING, Charger.connection_id.like(sa.bindparam("prefix")))
)
_CLAIM = (
    sa.update(ChargerCommand)
    .where(ChargerCommand.id == sa.bindparam("p_id"), ChargerCommand.state == CommandState.PENDING)
    .values(state=CommandState.SENT)
)
_OUTCOME = sa.select(ChargerCommand.state, ChargerCommand.answer, ChargerCommand.error_code, ChargerCommand.error)


def start(app: Flask) -> None:
    """Start this process's poller for commands posted by other processes (once per app)."""
    if id(app) not in _started:
        _started.add(id(app))
        gevent.spawn(_poll_forever, app)


def post(charger_id: int, action: str, payload: dict, timeout: float) -> int:
    """Post a command for the process holding the charger's socket; return its id (its outcome is awaited)."""
    with writing() as session:
        row = ChargerCommand(
            charger_id=charger_id, action=action, payload=payload, deadline=utcnow() + timedelta(seconds=timeout)
        )
        session.add(row)
        session.flush()
        _waiters[row.id] = Event()  # before the commit: the outcome's wake-up cannot come any earlier
        wakeup.publish("c")
        return row.id


def post_many(charger_ids: list[int], action: str, payload: dict, timeout: float) -> None:
    """Post one command to many chargers at once, for nobody to wait on (deleted later by the pollers)."""
    if not charger_ids:
        return
    deadline = utcnow() + timedelta(seconds=timeout)
    rows = [
        {
            "charger_id": charger_id,
            "action": action,
            "payload": payload,
            "state": CommandState.PENDING,
            "created_at": utcnow(),
            "deadline": deadline,
        }
        for charger_id in charger_ids
    ]
    with writing():
        dialect.connection().execute(sa.insert(ChargerCommand), rows)
        wakeup.publish("c")


def call(charger_id: int, charge_box_id: str, action: str, payload: dict, timeout: float) -> dict:
    """Have the process holding the charger's socket call it; return the answer.

    Raises CallTimeout, CallFailed or ConnectionClosed, as Connection.call does.
    """
    command_id = post(charger_id, action, payload, timeout)
    try:
        return _await(command_id, charge_box_id, action, timeout)
    finally:
        _waiters.pop(command_id, None)
        with writing() as session:
            session.execute(sa.delete(ChargerCommand).where(ChargerCommand.id == command_id))


def _await(command_id: int, charge_box_id: str, action: str, timeout: float) -> dict:
    """Wait for a posted command's outcome (woken, or polling) until it arrives or its time is up."""
    end = time.monotonic() + timeout + GRACE_SECONDS
    woken = _waiters.get(command_id) or Event()
    while time.monotonic() < end:
        woken.wait(min(_poll_seconds(), max(0.0, end - time.monotonic())))
        woken.clear()
        db.session.commit()  # end the snapshot, so the next read sees the other process's write
        row = db.session.execute(_OUTCOME.where(ChargerCommand.id == command_id)).first()
        if row is None or row.state == CommandState.ANSWERED:
            return (row.answer if row else None) or {}
        if row.state == CommandState.FAILED:
            if row.error_code == "Timeout":
                raise CallTimeout(row.error)
            if row.error_code == "Closed":
                raise ConnectionClosed(row.error)
            raise CallFailed(row.error_code or "GenericError", row.error or "")
    raise CallTimeout(f"{charge_box_id} did not answer {action} within {timeout:g} s.")


def _poll_forever(app: Flask) -> None:
    """Claim and run the commands posted for this process's chargers, forever."""
    next_cleanup = quiet_until = 0.0
    while True:
        posted = _posted()
        posted.wait(_poll_seconds())
        posted.clear()
        try:
            with app.app_context():
                jobs = _claim()
                if time.monotonic() > next_cleanup:
                    next_cleanup = time.monotonic() + 60
                    _forget_old()
        except Exception:  # the database may be briefly unavailable; try again next round, log once a minute
            if time.monotonic() > quiet_until:
                quiet_until = time.monotonic() + 60
                log.exception("command outbox poll failed (retrying, logging once a minute)")
            continue
        for job in jobs:
            gevent.spawn(_run, app, job)


def _claim() -> list:
    """Return the pending commands for this process's chargers, each claimed so no other process runs it."""
    rows = dialect.connection().execute(_PENDING, {"prefix": registry.PROCESS_ID + "%"}).all()
    if not rows:
        return []
    with writing():
        conn = dialect.connection()
        return [row for row in rows if conn.execute(_CLAIM, {"p_id": row.id}).rowcount]


def _run(app: Flask, job) -> None:
    """Call the charger for a claimed command and store the outcome for the process that asked."""
    conn = registry.get(job.charge_box_id)
    left = (job.deadline - utcnow()).total_seconds()
    values = {"state": CommandState.FAILED, "error_code": "Closed", "error": f"{job.charge_box_id} is offline."}
    if conn is not None and left <= 0:
        values.update(error_code="Timeout", error=f"{job.charge_box_id}: {job.action} expired before it was sent.")
    elif conn is not None:
        try:
            values = {"state": CommandState.ANSWERED, "answer": conn.call(job.action, job.payload, left)}
        except CallTimeout as exc:
            values.update(error_code="Timeout", error=str(exc)[:255])
        except CallFailed as exc:
            values.update(error_code=exc.code[:30], error=exc.description[:255])
        except ConnectionClosed as exc:
            values.update(error=str(exc)[:255])
    with app.app_context(), writing() as session:
        session.execute(sa.update(ChargerCommand).where(ChargerCommand.id == job.id).values(**values))
        wakeup.publish("d", str(job.id))


def _forget_old() -> None:
    """Delete commands whose deadline passed long ago (fire-and-forget ones nobody deletes)."""
    with writing() as session:
        session.execute(sa.delete(ChargerCommand).where(ChargerCommand.deadline < utcnow() - FORGET_AFTER))


def _poll_seconds() -> float:
    """Return how long to wait between looks at the table: long when wake-ups come, short when they cannot."""
    return SAFETY_POLL_SECONDS if wakeup.listening() else POLL_SECONDS


def _posted() -> Event:
    """Return the wake-up event of the poller in this OS thread's hub."""
    hub = gevent.get_hub()
    event = _posted_in.get(hub)
    if event is None:
        event = _posted_in[hub] = Event()
    return event


def _on_posted(_argument: str) -> None:
    """Wake the poller: commands were posted (or wake-ups may have been missed)."""
    _posted().set()


def _on_outcome(argument: str) -> None:
    """Wake the asker of a command whose outcome is stored (every asker, if wake-ups may have been missed)."""
    if argument == wakeup.MISSED:
        for event in list(_waiters.values()):
            event.set()
    elif (event := _waiters.get(int(argument))) is not None:
        event.set()


wakeup.on("c", _on_posted)
wakeup.on("d", _on_outcome)
