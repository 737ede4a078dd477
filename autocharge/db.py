"""Database helpers: the write lock, SQLite tuning and time."""

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from . import checkpoint
from .extensions import db
from .hotpath import group
from .hotpath import runner as hotpath

_EPOCH = datetime(1970, 1, 1)

# Created at import, which app.py does after gevent's monkey-patching, so under the server
# this is a gevent lock and a waiting writer yields instead of blocking the process. Only the outermost writing()
# of a greenlet takes it (_inside tells): a plain lock costs a third of a reentrant one.
_write_lock = threading.Lock()
_inside: ContextVar[bool] = ContextVar("inside_writing", default=False)  # a writing() block is running


MAX_RECORD_ID = 2**31 - 1  # ids are 32-bit integers in both databases


def is_record_id(value: int) -> bool:
    """Tell whether a number can name a row: a larger one names nothing, and PostgreSQL refuses to compare it."""
    return 0 < value <= MAX_RECORD_ID


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime (how every column stores it)."""
    # Twice as fast as datetime.now(UTC).replace(tzinfo=None), and called a few times per charger message.
    return from_timestamp(time.time())


def from_timestamp(seconds: float) -> datetime:
    """Return a time.time() value as a naive UTC datetime, like utcnow()'s."""
    return _EPOCH + timedelta(0, seconds)


class writing:  # noqa: N801 (used as a function: `with writing() as session`)
    """Run a write transaction: serialised when configured, committed on success, rolled back on error.

    In a charger frame on SQLite the commit is shared with the other frames of this loop turn (hotpath/group.py).
    A class rather than a @contextmanager: a charger message enters one or two, and the generator's machinery was
    a measurable share of a frame.
    """

    __slots__ = ("serialize", "outer", "grouped", "joined")

    def __enter__(self):
        """Take the write lock (outermost block only) and begin the transaction, or join the enclosing one."""
        config = hotpath.settings()
        nested = _inside.get()
        self.serialize = not nested and config["AUTOCHARGE_SERIALIZE_WRITES"]
        if self.serialize:
            _write_lock.acquire()
        self.outer = _inside.set(True)
        self.joined = self.grouped = False
        try:
            if config["AUTOCHARGE_GROUP_COMMIT"]:
                if hotpath.in_group():  # nested in a grouped block: part of it
                    self.joined = True
                    return db.session
                self.grouped = not nested and group.begin(_write_lock)
                if not self.grouped:
                    group.flush()  # what the frames wrote is committed before anything else writes
            elif not nested:
                hotpath.settle_frame()  # PostgreSQL: a frame's earlier blind write is committed first (pggroup.py)
        except BaseException:
            self._leave()
            raise
        return db.session

    def __exit__(self, kind, _value, _traceback) -> bool:
        """Commit (or end the grouped block) when the block succeeded, else roll back; never swallow its error."""
        try:
            if not self.joined:
                if kind is None:
                    _commit(self.grouped)
                else:
                    _roll_back(self.grouped)
        finally:
            self._leave()
        return False

    def _leave(self) -> None:
        """Mark the block ended and give the write lock back if this block took it."""
        _inside.reset(self.outer)
        if self.serialize:
            _write_lock.release()


def _commit(grouped: bool) -> None:
    """Commit the block's write transaction (or end its grouped block); on failure roll back and raise."""
    try:
        used_orm = db.session.registry.has()  # only when the block used the ORM session: creating one costs
        if grouped and used_orm:
            db.session.flush()  # an ORM write still pending leaves the group now, before its block ends
        if grouped and hotpath.in_group():
            group.end(ok=True)
        else:
            hotpath.commit()
        if used_orm:
            db.session.commit()
    except BaseException:
        _roll_back(grouped)
        raise
    hotpath.end_write()


def _roll_back(grouped: bool) -> None:
    """Roll back the block's write transaction (or its part of the group)."""
    try:
        if grouped and hotpath.in_group():
            group.end(ok=False)
        else:
            hotpath.rollback()
        if db.session.registry.has():
            db.session.rollback()
    finally:
        hotpath.end_write()


@contextmanager
def writing_or(taken: Exception):
    """Run writing(); a unique index refusing the write raises `taken` instead of the IntegrityError.

    On PostgreSQL two admins' checks ("is this email free?") can both pass before either insert commits: the index
    lets one in, and the other should hear what a later attempt hears, not see a 500.
    """
    try:
        with writing() as session:
            yield session
    except IntegrityError:
        raise taken from None


def is_sqlite(uri: str) -> bool:
    """Tell whether a database URI names SQLite."""
    return uri.startswith("sqlite")


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record) -> None:
    """Put SQLite in WAL mode so readers never wait for the writer, and enforce foreign keys."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    if checkpoint.running:  # the server checkpoints from a native thread; a commit does it only as a safety net
        cursor.execute(f"PRAGMA wal_autocheckpoint={checkpoint.SAFETY_NET_PAGES}")
    cursor.close()
