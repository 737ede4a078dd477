"""Group commit on SQLite: the charger frames of one loop turn share one transaction and one commit.

A commit is most of a frame's database cost (~40 us, and each one writes its pages to the WAL again), while a busy
process handles dozens of frames per turn of the gevent loop. So inside a charger frame (start_frame() below), a
db.writing() on SQLite does not commit: it joins a transaction left open on the OS thread's hot connection (in a
savepoint, unless it opened it), and the block that opens that transaction schedules its commit for the loop's next
turn, after every frame that was ready in this one has had its go. A frame's answer is sent only once the transaction holding what it
wrote or read is committed (settled()); if the commit fails, the frames of the group are answered InternalError, and
nothing of them is stored. A block that failed rolls back to its savepoint (or, if it opened the transaction, the
transaction, which held nothing else): the others keep their writes.

What keeps this safe:
- SQLite calls never yield, so only one frame at a time is inside the open transaction, and db.writing()'s write
  lock orders them; the commit takes the same lock.
- Any other write (the web UI, background jobs, a frame's ORM write) commits the open group first (flush()), so it
  never waits on SQLite's file lock held by the hot connection.
- While a group is open, a grouped block runs every hot statement on the hot connection (runner.connection()).
"""

import contextlib

import gevent
import sqlalchemy as sa
from gevent.event import Event

from . import runner

SAVEPOINT = "frame"
NOT_GROUPED, OPENED, JOINED = 0, 1, 2  # a block's part in the group: none, it opened it, it joined it (a savepoint)


class Group:
    """One open transaction shared by frames; `committed` is set once it is committed or rolled back.

    On PostgreSQL (pggroup.py) each frame holds a Group of its own sharing the batch's `committed`: its `error` is its
    own write's.
    """

    __slots__ = ("committed", "error")

    def __init__(self, committed: Event | None = None):
        self.committed = Event() if committed is None else committed
        self.error: BaseException | None = None


class Frame:
    """One charger frame being handled: the group its answer must wait for, if any; the engine and SQLite hot
    connection its statements use, once runner.py has found them; the app's settings, if given (db.writing() reads
    them per block, and current_app is a proxy)."""

    __slots__ = ("group", "engine", "own", "config")

    def __init__(self, config=None):
        self.group: Group | None = None
        self.engine = self.own = None
        self.config = config


def start_frame(config=None) -> Frame:
    """Mark the current greenlet as handling a charger frame whose writes may be grouped; return its state."""
    frame = Frame(config)
    runner.frame_var.set(frame)
    return frame


def end_frame(frame: Frame) -> Group | None:
    """Stop grouping the current greenlet's writes; return the group the frame's answer waits for."""
    runner.frame_var.set(None)
    return frame.group


def settled(group: Group | None) -> BaseException | None:
    """Wait until the group is committed (yielding to the hub meanwhile); return its error if the commit failed."""
    if group is None:
        return None
    group.committed.wait()
    return group.error


def begin(lock) -> bool:
    """Enter a grouped block if this greenlet handles a frame: open (or join) the group; tell whether it did.

    Called by db.writing() holding `lock` (its write lock), on SQLite with group commit on. The block that opens the
    group needs no savepoint (on failure it rolls back the transaction, which holds nothing else): a group of one
    frame, the common case in a quiet process, costs what a commit of its own did.
    """
    frame = runner.frame_var.get()
    if frame is None:
        return False
    own = runner.own_connection()
    if own.group is None:
        if not own.dbapi.in_transaction:
            own.execute_plain("BEGIN")
        own.group = Group()
        gevent.get_hub().loop.run_callback(_commit_later, own, own.group, lock)
        runner.set_grouped(OPENED)
    else:
        own.execute_plain(f"SAVEPOINT {SAVEPOINT}")
        runner.set_grouped(JOINED)
    frame.group = own.group
    return True


def end(ok: bool) -> None:
    """Leave a grouped block: keep its writes in the group, or roll back to where the block began."""
    block = runner.in_group()
    runner.set_grouped(NOT_GROUPED)
    own = runner.own_connection()
    own.wrote = False  # the group's commit, not this block's end, commits these writes
    if own.group is None:  # already committed (or failed) with the group
        return
    if not own.dbapi.in_transaction:  # SQLite gave up the whole transaction (disk full, I/O error): so did the group
        _fail(own, RuntimeError("the grouped transaction was rolled back by SQLite"))
        return
    if block == OPENED:
        if not ok:  # nothing but this block in the transaction: roll it back, and the group with it (no one lost)
            group, own.group = own.group, None
            own.dbapi.rollback()
            group.committed.set()
        return
    if not ok:
        own.execute_plain(f"ROLLBACK TO {SAVEPOINT}")
    own.execute_plain(f"RELEASE {SAVEPOINT}")


def leave_for_orm() -> None:
    """A grouped block is about to write through the ORM (another connection): commit the group now, block included.

    The block has written nothing through the hot path yet (else the one-writer rule refuses the ORM write), so
    committing its empty savepoint with the group changes nothing; from here on it is an ordinary block.
    """
    block = runner.in_group()
    runner.set_grouped(NOT_GROUPED)
    if block == JOINED:
        runner.own_connection().execute_plain(f"RELEASE {SAVEPOINT}")
    flush()


def flush() -> None:
    """Commit the open group now (the caller holds the write lock): before any write that is not grouped."""
    own = runner.current_own()
    if own is not None and own.group is not None:
        _commit(own)


def _commit_later(own, group: Group, lock) -> None:
    """The loop's next turn: commit the group unless a plain write already did (a hub callback)."""
    if own.group is not group:
        return
    if not lock.acquire(blocking=False):  # a writer yielded holding it (a bug): commit once it is done
        gevent.spawn(_commit_when_free, own, group, lock)
        return
    try:
        if own.group is group:
            _commit(own)
    finally:
        lock.release()


def _commit_when_free(own, group: Group, lock) -> None:
    """Commit the group once the write lock is free."""
    with lock:
        if own.group is group:
            _commit(own)


def _commit(own) -> None:
    """Commit the hot connection's group and wake its frames; a failure rolls it back and reaches every frame."""
    try:
        own.dbapi.commit()
    except Exception as exc:
        _fail(own, exc)
        return
    group, own.group = own.group, None
    own.wrote = False
    group.committed.set()


def _fail(own, error: Exception) -> None:
    """Roll back the hot connection's group and tell its frames, which answer InternalError."""
    group, own.group = own.group, None
    own.wrote = False
    group.error = error
    try:
        with contextlib.suppress(Exception):  # a connection already closed has nothing left to roll back
            own.dbapi.rollback()
    finally:
        group.committed.set()


def guard_orm_writes() -> None:
    """Make an ORM write inside a grouped block commit the group first (it writes on another SQLite connection)."""
    if not sa.event.contains(sa.orm.Session, "before_flush", _before_orm_flush):
        sa.event.listen(sa.orm.Session, "before_flush", _before_orm_flush)
        sa.event.listen(sa.orm.Session, "do_orm_execute", _before_orm_statement)


def _before_orm_flush(*_args) -> None:
    """Leave the group before the session flushes; after a hot write of the block that is the one-writer fault."""
    if runner.in_group():
        if runner.hot_wrote():
            raise runner.OneWriterViolation(
                "an ORM write after a hot-path write inside one db.writing() (autocharge/hotpath/runner.py)"
            )
        leave_for_orm()


def _before_orm_statement(state) -> None:
    """Apply the same to INSERT/UPDATE/DELETE statements run through the session."""
    if runner.in_group() and (state.is_insert or state.is_update or state.is_delete):
        _before_orm_flush()
