"""Background greenlets of the server process."""

import logging

import gevent
from flask import Flask

from ..extensions import db
from ..services import pairing

log = logging.getLogger("autocharge.background")


def expire_pairings_forever(app: Flask, every: float = 1.0) -> None:
    """Expire waiting pairings past their deadline, every `every` seconds, whether or not anybody polls."""
    while True:
        with app.app_context():
            try:
                pairing.expire_due()
            except Exception:  # a database hiccup must not end the job for the life of the process
                log.exception("expiring pairings failed; trying again")
            finally:
                db.session.remove()
        gevent.sleep(every)


def start(app: Flask) -> list[gevent.Greenlet]:
    """Start the periodic jobs (pairing expiry, lease, command outbox, wake-ups); return their greenlets."""
    from . import lease, outbox, remote, wakeup  # noqa: F401  (remote registers its wake-up handlers)

    outbox.start(app)
    listener = wakeup.start(app)
    jobs = [gevent.spawn(expire_pairings_forever, app), gevent.spawn(lease.keep_forever, app)]
    return jobs + ([listener] if listener else [])
