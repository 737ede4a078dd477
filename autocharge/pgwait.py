"""psycopg's wait for the server's answer, done the gevent way: the greenlet parks on one io watcher of the hub.

Under gevent psycopg waits through the monkey-patched select.poll(): per round trip a poll object, io watchers
and a timer are created in Python, which cost more CPU than the OCPP message itself on PostgreSQL. Here a round trip
costs one watcher whose callback switches straight back to the greenlet with the ready events (a native poll before
and after it, and a gevent Timeout per wait, had cost ~10 us of a ~70 us round trip). It keeps psycopg's contract:
the generator says what to wait for and gets what is ready; when the wait has a timeout (LISTEN's notifies()), it also
gets READY_NONE every `interval` seconds, and the wait raises _WaitTimeout once the deadline passed. A wait without a
timeout has no timer: psycopg's generators only wait again on READY_NONE.

A wait to send (psycopg waits for "writable" before every statement it sends in pipeline mode, and the socket nearly
always is) first asks the kernel with a native poll that returns at once: parking on the hub for it cost a loop
turn and two switches per pipelined statement. A wait to receive goes straight to the hub: the answer is rarely there
yet.
"""

import select
import time

from gevent.hub import get_hub
from gevent.monkey import get_original, is_module_patched
from greenlet import getcurrent
from psycopg import errors, waiting

_EVENTS = {waiting.WAIT_R: 1, waiting.WAIT_W: 2, waiting.WAIT_RW: 3}  # libev/libuv READ and WRITE
_native_poll = get_original("select", "poll")  # select() would refuse a descriptor past 1023
_WRITABLE = select.POLLOUT | select.POLLERR | select.POLLHUP  # an error or hang-up: psycopg's next call raises it
_READABLE = select.POLLIN | select.POLLERR | select.POLLHUP


def wait(gen, fileno: int, interval: float = 0.0, timeout: float | None = None):
    """Run psycopg's generator `gen` on the socket `fileno` until it returns, yielding to other greenlets."""
    deadline = time.monotonic() + timeout if timeout is not None else None
    try:
        state = next(gen)
    except StopIteration as done:  # nothing to send or receive (setting autocommit, a rollback while idle ...)
        return done.value
    hub = get_hub()
    current = getcurrent()
    poll = None
    try:
        while True:
            if state != waiting.WAIT_R:  # to send: the socket is nearly always writable
                if poll is None:
                    poll = _native_poll()
                    poll.register(fileno, select.POLLIN | select.POLLOUT)
                ready = poll.poll(0)
                if ready and ready[0][1] & _WRITABLE:
                    state = gen.send(waiting.READY_W | (waiting.READY_R if ready[0][1] & _READABLE else 0))
                    continue
            seconds = None if deadline is None else max(0.0, min(interval or 1.0, deadline - time.monotonic()))
            state = gen.send(_ready(hub, current, fileno, _EVENTS[state], seconds))
            if deadline is not None and time.monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")
    except StopIteration as done:
        return done.value


def _ready(hub, current, fileno: int, events: int, seconds: float | None) -> int:
    """Park the greenlet until the socket is ready for `events` (or `seconds` passed); return psycopg's Ready flags.

    libev reports an error or hang-up on the socket as readable and writable: psycopg's next read or write then
    raises the connection's error.
    """
    watcher = hub.loop.io(fileno, events)
    timer = hub.loop.timer(seconds) if seconds is not None else None
    try:
        watcher.start(current.switch, pass_events=True)
        if timer is not None:
            timer.start(current.switch, 0)
        ready = hub.switch()
    finally:
        watcher.close()
        if timer is not None:
            timer.close()
    return (waiting.READY_R if ready & 1 else 0) | (waiting.READY_W if ready & 2 else 0)


def install() -> None:
    """Make psycopg wait through gevent's hub when the process runs on gevent (a no-op otherwise)."""
    if is_module_patched("select"):
        waiting.wait = wait
