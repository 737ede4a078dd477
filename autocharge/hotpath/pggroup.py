"""Group commit on PostgreSQL for blind writes: the charger frames of one loop turn send them in one transaction.

On PostgreSQL a frame pays ~60 us of CPU per round trip (the driver's send, the wait on the hub, the receive), and a
connector status or a 1.6 MeterValues is a single write whose outcome its answer does not need. Such a write (a
"blind" one: all that its db.writing() writes, its outcome read by nobody) joins the loop turn's batch: a pooled
connection in pipeline mode holding BEGIN and the frames' writes, committed at the loop's next turn with one round
trip. As on SQLite (group.py), the frame's answer waits until the batch is committed (group.settled()), and so does
any later statement of the frame (runner.settle_frame()): it reads what it wrote, and its writes keep their order.

Failure isolation: in a pipeline one failed statement aborts the rest of the transaction, and its error reaches
whichever greenlet next talks to the connection. So no error of an open batch is raised to a frame: when the batch's
commit fails (or a write could not be queued), its writes are run again one by one, each alone in autocommit, and
only a frame whose own write fails again hears the error. Blind writes must therefore be idempotent (an upsert; an
energy raise and samples that skip what a retry already stored), as a charger's retries need them to be anyway.
"""

import contextlib
import logging
import os
import weakref

import gevent
import sqlalchemy as sa
from gevent.event import Event

from . import runner
from .group import Group

log = logging.getLogger(__name__)


class _Write:
    """One frame's blind write in a batch: the frame's Group, what to run, and whether it was queued."""

    __slots__ = ("group", "statement", "params", "queued")

    def __init__(self, group: Group, statement, params: dict):
        self.group, self.statement, self.params, self.queued = group, statement, params, False


class _Batch:
    """One transaction open on a pooled connection in pipeline mode, collecting the blind writes of a loop turn."""

    __slots__ = ("engine", "conn", "writes", "committed", "closing", "broken")

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.conn = runner.Autocommit(engine)  # raises when no connection can be had: the frame's write fails
        self.writes: list[_Write] = []
        self.committed = Event()
        self.closing = self.broken = False  # closing: its commit began, new writes open another batch


_open: "weakref.WeakKeyDictionary[sa.Engine, _Batch]" = weakref.WeakKeyDictionary()


def run_blind(statement, params: dict) -> None:
    """Run a write that is all its db.writing() writes and whose outcome nobody reads; it must be idempotent.

    In a charger frame on PostgreSQL with group commit on, it joins the loop turn's batch; anywhere else it runs as
    runner.run(alone=True) does.
    """
    frame = runner.frame_var.get()
    engine = runner.current_engine()
    if (
        frame is None
        or engine.dialect.name != "postgresql"
        or not runner.settings()["AUTOCHARGE_GROUP_BLIND_WRITES"]
        or not runner.free_to_batch()
    ):
        runner.run(statement, params, alone=True)
        return
    batch = _open.get(engine)
    if frame.group is not None and (batch is None or frame.group.committed is not batch.committed):
        runner.settle_frame()  # an earlier write of the frame, in a batch now committing: it goes first
    if batch is None or batch.closing:
        batch = _open[engine] = _Batch(engine)
        gevent.spawn(_commit, batch)  # runs at the loop's next turn, after the frames ready in this one
        _queue(batch, batch.conn.begin)
    if frame.group is None:
        frame.group = Group(batch.committed)
    write = _Write(frame.group, statement, params)
    batch.writes.append(write)
    write.queued = not batch.broken and _queue(batch, batch.conn.queue, statement, params)
    runner.wrote_alone()


def _queue(batch: _Batch, send, *args) -> bool:
    """Queue something on the batch's connection; on failure mark the batch broken (its commit runs each write
    again alone) rather than raise an error that may be another frame's."""
    try:
        send(*args)
    except Exception:
        log.warning("a batch of blind writes broke: its writes will run one by one", exc_info=True)
        batch.broken = batch.closing = True
        return False
    return True


def _commit(batch: _Batch) -> None:
    """Commit the batch with one round trip and wake its frames; on failure run each write again, alone."""
    batch.closing = True
    if _open.get(batch.engine) is batch:
        del _open[batch.engine]
    try:
        if batch.broken:
            raise RuntimeError("a write could not be queued")
        batch.conn.commit()
    except Exception as exc:
        log.warning("a batch of %d blind writes failed (%s): running them one by one", len(batch.writes), exc)
        with contextlib.suppress(Exception):  # the connection may be gone: the pool replaces it
            batch.conn.rollback()
        _run_alone(batch, batch.writes)
    else:
        _run_alone(batch, [write for write in batch.writes if not write.queued])  # a failure after COMMIT was sent
    finally:
        batch.committed.set()


def _run_alone(batch: _Batch, writes: list[_Write]) -> None:
    """Run writes one by one in autocommit; a write that fails gives its frame the error."""
    for write in writes:
        try:
            runner.Autocommit(batch.engine).execute(write.statement, write.params, alone=True)
        except Exception as exc:
            log.error("a blind write failed: %s", exc)
            write.group.error = exc
        finally:
            runner.end_write()


def _forget_batches() -> None:
    """In a forked child: the open batches are the parent's; the child commits none of them."""
    _open.clear()


os.register_at_fork(after_in_child=_forget_batches)
