"""Last seen, written in batches: every few seconds one statement for all chargers heard from since.

A write per charger every few seconds was a fifth of all commits with 1,000 chargers connected. The Chargers
screen shows last seen to the second, so the batch interval (AUTOCHARGE_LAST_SEEN_EVERY) is its staleness.
"""

import logging
import time

import gevent
from flask import Flask

from ..db import from_timestamp, utcnow
from ..services import charger_state

log = logging.getLogger("autocharge.ocpp")

# Rows per write transaction: 1,000 at once held every charger's answer for ~40 ms (the write lock).
CHUNK = 100
# id(app) -> {charger_id: when last heard, a time.time()}; the datetime is made only when written (a few times a
# minute instead of at every message).
_heard: dict[int, dict[int, float]] = {}


def heard(app: Flask, charger_id: int) -> None:
    """Note that a charger was just heard from; written now when batching is off (interval 0)."""
    every = app.config["AUTOCHARGE_LAST_SEEN_EVERY"]
    if every <= 0:
        charger_state.seen_many({charger_id: utcnow()})
        return
    pending = _heard.get(id(app))
    if pending is None:
        pending = _heard[id(app)] = {}
        gevent.spawn(_flush_forever, app, every)
    pending[charger_id] = time.time()


def _flush_forever(app: Flask, every: float) -> None:
    """Write the pending last-seen times every `every` seconds, for the life of the process."""
    while True:
        gevent.sleep(every)
        flush(app)


def flush(app: Flask) -> int:
    """Write the pending last-seen times now; return how many chargers were written."""
    pending = _heard.get(id(app))
    if not pending:
        return 0
    items = list(pending.items())
    pending.clear()
    written = 0
    for start in range(0, len(items), CHUNK):
        batch = dict(items[start : start + CHUNK])
        try:
            with app.app_context():
                charger_state.seen_many({charger_id: from_timestamp(when) for charger_id, when in batch.items()})
        except Exception:  # a database hiccup: keep the times for the next round (newer ones win)
            log.exception("could not record last seen of %d chargers", len(batch))
            for charger_id, when in batch.items():
                pending.setdefault(charger_id, when)
            continue
        written += len(batch)
        gevent.sleep(0)  # let waiting chargers' messages in between chunks
    return written
