"""SQLite WAL checkpoints in a native thread, so copying the log into the database never stalls the server.

SQLite normally checkpoints inside the commit that fills the log past 1,000 pages: under gevent that commit blocks
every charger of the process while it copies ~4 MB and syncs the file. Here a real OS thread does it every second
on a connection of its own (sqlite3 releases the GIL while it works), and the server's connections only checkpoint
themselves past a much larger log, as a safety net.
"""

import logging
import sqlite3
from collections.abc import Callable

from gevent import monkey

log = logging.getLogger("autocharge")

EVERY = 1.0  # seconds between checkpoints
SAFETY_NET_PAGES = 20_000  # ~80 MB: a commit checkpoints itself only if this thread fell that far behind

running = False  # set once this process checkpoints in the background
_sleep = monkey.get_original("time", "sleep")
_start_thread = monkey.get_original("_thread", "start_new_thread")


def start(path: str, every: float = EVERY) -> Callable[[], None]:
    """Checkpoint the SQLite database at `path` every `every` seconds from a native thread; return a stop()."""
    global running
    running = True
    stopped = []
    _start_thread(_checkpoint_until_stopped, (path, every, stopped))
    return lambda: stopped.append(True)


def _checkpoint_until_stopped(path: str, every: float, stopped: list) -> None:
    """Run a passive checkpoint (it never waits for readers or writers) every `every` seconds."""
    connection = sqlite3.connect(path, timeout=1, check_same_thread=False)
    try:
        while not stopped:
            _sleep(every)
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:  # busy or locked now: the next round catches up
                log.debug("checkpoint skipped: %s", exc)
    finally:
        connection.close()
