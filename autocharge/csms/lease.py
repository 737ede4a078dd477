"""Process leases: each server process proves it is alive, and a live one sweeps up after dead ones.

Every server process holds a ProcessLease row (its registry.PROCESS_ID) and renews it every quarter of
AUTOCHARGE_LEASE_SECONDS. A charger whose connection_id names a process without a live lease (expired, or no row at
all: a crash, or a version before leases) is marked offline by the next sweep, and the commands waiting for it fail
at once. Starting a process therefore touches nobody else's chargers. One sweeper at a time: a PostgreSQL advisory
lock; on SQLite only one process may run (acquire refuses a second one).
"""

import logging
import os
import socket
import time
from datetime import timedelta

import gevent
import sqlalchemy as sa
from flask import Flask

from ..db import is_sqlite, utcnow, writing
from ..extensions import db
from ..models import Charger, ChargerCommand, ProcessLease
from ..models.statuses import CommandState
from ..services import charger_state, dialect
from . import registry, wakeup

log = logging.getLogger("autocharge.lease")

SWEEP_LOCK = 0x61636C73  # PostgreSQL advisory lock key of the sweeper ("acls")
_fresh_until = 0.0  # time.monotonic() until which this process's lease is known to be held

_OWNER = sa.func.substr(Charger.connection_id, 1, len(registry.PROCESS_ID))
_RENEW = (
    sa.update(ProcessLease)
    .where(ProcessLease.process_id == sa.bindparam("p_process"))
    .values(expires_at=sa.bindparam("p_expires"))
)


class SecondSqliteProcess(RuntimeError):
    """Another live server process already uses this SQLite file."""


def seconds(app: Flask) -> float:
    """Return how long a lease lasts without renewal."""
    return float(app.config["AUTOCHARGE_LEASE_SECONDS"])


def is_fresh() -> bool:
    """Tell whether this process renewed its lease recently enough to still hold it."""
    return time.monotonic() < _fresh_until


def acquire(app: Flask) -> None:
    """Take this process's lease, then sweep up after dead processes; raise SecondSqliteProcess."""
    with app.app_context():
        if is_sqlite(app.config["SQLALCHEMY_DATABASE_URI"]):
            _refuse_a_second_process()
        now = utcnow()
        lease = ProcessLease(
            process_id=registry.PROCESS_ID,
            host=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=now,
            expires_at=now + timedelta(seconds=seconds(app)),
        )
        with writing() as session:
            if is_sqlite(app.config["SQLALCHEMY_DATABASE_URI"]):
                _forget_dead_processes(session)
            session.add(lease)
        _renewed(app)
        sweep()


def keep_forever(app: Flask) -> None:
    """Renew the lease and sweep up after dead processes, every quarter of the lease, for the life of the process."""
    quiet_until = 0.0
    while True:
        gevent.sleep(seconds(app) / 4)
        try:
            with app.app_context():
                renew(app)
                sweep()
        except Exception:  # the database may be briefly unavailable: /readyz turns 503 once the lease runs out
            if time.monotonic() > quiet_until:
                quiet_until = time.monotonic() + 60
                log.exception("renewing the process lease failed (retrying, logging once a minute)")
        finally:
            with app.app_context():
                db.session.remove()


def renew(app: Flask) -> None:
    """Push this process's lease forward; take it again (and re-announce its chargers) if it was swept."""
    expires = utcnow() + timedelta(seconds=seconds(app))
    with writing():
        renewed = dialect.connection().execute(_RENEW, {"p_process": registry.PROCESS_ID, "p_expires": expires})
    if not renewed.rowcount:
        log.warning("this process's lease ran out (stalled or cut off from the database); taking it again")
        with writing() as session:
            session.merge(
                ProcessLease(process_id=registry.PROCESS_ID, host=socket.gethostname()[:255], pid=os.getpid())
            ).expires_at = expires
        for conn in registry.connections():  # a sweep marked them offline while their sockets stayed open
            charger_state.connected(conn.charger_id, conn.id, conn.version)
    _renewed(app)


def sweep(wait: bool = False) -> list[int]:
    """Mark chargers of processes without a live lease offline and fail their commands; return those chargers.

    Skipped (returns []) while another process sweeps, unless `wait`.
    """
    now = utcnow()
    live = sa.select(ProcessLease.process_id).where(ProcessLease.expires_at >= now)
    orphaned = sa.or_(Charger.connection_id.is_(None), _OWNER.not_in(live))
    with writing():
        conn = dialect.connection()
        if not _lock(conn, wait):
            return []
        swept = conn.execute(
            sa.update(Charger)
            .where(sa.or_(Charger.online.is_(True), Charger.connection_id.is_not(None)), orphaned)
            .values(online=False, connection_id=None)
            .returning(Charger.id, Charger.charge_box_id)
        ).all()
        failed = (
            conn.execute(
                sa.update(ChargerCommand)
                .where(
                    ChargerCommand.state.in_((CommandState.PENDING, CommandState.SENT)),
                    ChargerCommand.charger_id.in_(sa.select(Charger.id).where(orphaned)),
                )
                .values(
                    state=CommandState.FAILED,
                    error_code="Closed",
                    error="The charger is offline: its server process stopped.",
                )
                .returning(ChargerCommand.id)
            )
            .scalars()
            .all()
        )
        for command_id in failed:
            wakeup.publish("d", str(command_id))  # the askers stop waiting now, not at their timeout
        conn.execute(sa.delete(ProcessLease).where(ProcessLease.expires_at < now))
    # A waiting pairing is left waiting (unlike at a charger's own disconnect): the charger did not go away, its
    # process did, and it reconnects to another one within seconds; the pairing's deadline still bounds the wait.
    for charger in swept:
        log.info("%s marked offline: the server process that held its socket is gone", charger.charge_box_id)
    return [charger.id for charger in swept]


def release(app: Flask) -> None:
    """Give up this process's lease at a clean shutdown: its chargers go offline and their commands fail now."""
    global _fresh_until
    _fresh_until = 0.0
    with app.app_context():
        with writing() as session:
            session.execute(sa.delete(ProcessLease).where(ProcessLease.process_id == registry.PROCESS_ID))
        sweep(wait=True)
        db.session.remove()


def _renewed(app: Flask) -> None:
    """Remember that the lease was just written."""
    global _fresh_until
    _fresh_until = time.monotonic() + seconds(app)


def _lock(conn: sa.Connection, wait: bool) -> bool:
    """Take the sweeper's lock for this transaction (PostgreSQL); tell whether it was taken."""
    if conn.dialect.name != "postgresql":
        return True  # one process per SQLite file, and writing() serialises its greenlets
    if wait:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SWEEP_LOCK)))
        return True
    return bool(conn.execute(sa.select(sa.func.pg_try_advisory_xact_lock(SWEEP_LOCK))).scalar())


def _forget_dead_processes(session) -> None:
    """Drop the leases of processes on this host that no longer run (a kill -9, a crash): sweep them now, not later.

    SQLite only: its one process runs on this host, so a pid that is gone means the process is. (On PostgreSQL a
    host name may be shared by containers with their own pids, so there leases simply run out.) A restarted process
    would otherwise show its old chargers online until the old lease ran out.
    """
    host = socket.gethostname()[:255]
    rows = session.execute(sa.select(ProcessLease.process_id, ProcessLease.pid).where(ProcessLease.host == host))
    dead = [row.process_id for row in rows if row.process_id != registry.PROCESS_ID and not _running(row.pid)]
    if dead:
        session.execute(sa.delete(ProcessLease).where(ProcessLease.process_id.in_(dead)))


def _refuse_a_second_process() -> None:
    """Raise SecondSqliteProcess when another process on this host holds a live lease on the SQLite file."""
    rows = db.session.execute(
        sa.select(ProcessLease.process_id, ProcessLease.pid).where(
            ProcessLease.expires_at >= utcnow(), ProcessLease.host == socket.gethostname()[:255]
        )
    ).all()
    db.session.rollback()
    for row in rows:
        if _running(row.pid):
            raise SecondSqliteProcess(
                f"Another autocharge process (pid {row.pid}) already serves this SQLite database. SQLite supports "
                "one server process; to run several, use PostgreSQL (DATABASE_URL=postgresql+psycopg://...)."
            )


def _running(pid: int) -> bool:
    """Tell whether a process with this id runs on this host (a lease left by a killed process does not count)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
