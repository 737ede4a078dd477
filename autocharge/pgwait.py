"""psycopg's wait for the server's answer, done the gevent way: one native poll, then one hub watcher if needed.

Under gevent psycopg waits through the monkey-patched select.poll(): per round trip a poll object, io watchers
and a timer are created in Python, which cost more CPU than the OCPP message itself on PostgreSQL. This wait
first asks the kernel (a native, non-blocking poll: the answer is often already there) and otherwise parks the
greenlet on one io watcher of the hub. It keeps psycopg's contract: the generator says what to wait for, gets
what is ready, and every `interval` seconds gets READY_NONE so it can check for notifications or cancellation.
"""

import select
import time

from gevent.hub import get_hub
from gevent.monkey import get_original, is_module_patched
from gevent.timeout import Timeout
from psycopg import errors, waiting

_native_poll = get_original("select", "poll")
_MASKS = {
    waiting.WAIT_R: select.POLLIN,
    waiting.WAIT_W: select.POLLOUT,
    waiting.WAIT_RW: select.POLLIN | select.POLLOUT,
}
_EVENTS = {waiting.WAIT_R: 1, waiting.WAIT_W: 2, waiting.WAIT_RW: 3}  # libev/libuv READ and WRITE
_BAD = select.POLLERR | select.POLLHUP | select.POLLNVAL


def wait(gen, fileno: int, interval: float = 0.0, timeout: float | None = None):
    """Run psycopg's generator `gen` on the socket `fileno` until it returns, yielding to other greenlets."""
    deadline = time.monotonic() + timeout if timeout is not None else None
    try:
        state = next(gen)
    except StopIteration as done:  # nothing to send or receive (setting autocommit, a rollback while idle ...)
        return done.value
    hub = get_hub()
    poll = _native_poll()
    try:
        poll.register(fileno, _MASKS[state])
        while True:
            ready = _ready(poll.poll(0))
            if not ready:
                watcher = hub.loop.io(fileno, _EVENTS[state])
                try:
                    with Timeout(interval or None, False):
                        hub.wait(watcher)
                finally:
                    watcher.close()
                ready = _ready(poll.poll(0))
            state = gen.send(ready)
            poll.modify(fileno, _MASKS[state])
            if deadline is not None and time.monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")
    except StopIteration as done:
        return done.value


def _ready(events: list) -> int:
    """Return psycopg's Ready flags for what a native poll reported."""
    if not events:
        return waiting.READY_NONE
    mask = events[0][1]
    ready = (waiting.READY_R if mask & select.POLLIN else 0) | (waiting.READY_W if mask & select.POLLOUT else 0)
    if not ready and mask & _BAD:
        raise errors.OperationalError("connection socket closed")
    return ready


def install() -> None:
    """Make psycopg wait through gevent's hub when the process runs on gevent (a no-op otherwise)."""
    if is_module_patched("select"):
        waiting.wait = wait
