"""Background greenlets of the server process."""

import logging

import gevent
from flask import Flask

from ..extensions import db
from ..services import charger_events, pairing, session_ends

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


def close_after_reboots_forever(app: Flask) -> None:
    """Close sessions that rebooted chargers left open past the grace period, a few times per grace period."""
    grace = float(app.config["AUTOCHARGE_REBOOT_GRACE_SECONDS"])
    if grace <= 0:
        return
    every = min(10.0, max(0.2, grace / 6))  # closed within grace + every after the boot
    while True:
        gevent.sleep(every)
        with app.app_context():
            try:
                for tx_id in session_ends.close_after_reboot(grace):
                    log.info("transaction %s closed: its charger rebooted and did not report it", tx_id)
            except Exception:  # a database hiccup must not end the job for the life of the process
                log.exception("closing sessions after reboots failed; trying again")
            finally:
                db.session.remove()


def forget_old_events_forever(app: Flask, every: float = 3600.0) -> None:
    """Delete chargers' events older than AUTOCHARGE_CHARGER_EVENT_DAYS, at start and then every `every` seconds."""
    days = float(app.config["AUTOCHARGE_CHARGER_EVENT_DAYS"])
    while days > 0:
        with app.app_context():
            try:
                if forgotten := charger_events.forget_older_than(days):
                    log.info("%d charger events older than %g days forgotten", forgotten, days)
            except Exception:  # a database hiccup must not end the job for the life of the process
                log.exception("forgetting old charger events failed; trying again")
            finally:
                db.session.remove()
        gevent.sleep(every)


def start(app: Flask) -> list[gevent.Greenlet]:
    """Start the periodic jobs (pairing expiry, reboot closes, old events, lease, outbox, local lists, wake-ups)."""
    from . import lease, local_lists, outbox, remote, wakeup  # noqa: F401  (remote registers its wake-up handlers)

    outbox.start(app)
    listener = wakeup.start(app)
    jobs = [gevent.spawn(expire_pairings_forever, app), gevent.spawn(lease.keep_forever, app)]
    if poller := local_lists.start(app):
        jobs.append(poller)
    jobs.append(gevent.spawn(close_after_reboots_forever, app))
    jobs.append(gevent.spawn(forget_old_events_forever, app))
    return jobs + ([listener] if listener else [])
