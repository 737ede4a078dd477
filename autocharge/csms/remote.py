"""What happens to this process's charger sockets because of something done elsewhere (through csms/wakeup.py).

A charger that connects again, maybe through another process, replaces its old socket wherever that is; an admin's
change of registration or password reaches the live socket whichever process holds it.
"""

import logging

import gevent
from flask import Flask

from ..db import writing
from . import registry, wakeup

log = logging.getLogger("autocharge.ocpp")


def announce_connected(app: Flask, charge_box_id: str, connection_id: str) -> None:
    """Tell every process that this socket is now the charger's, so one holding an older socket closes it."""
    with app.app_context(), writing():
        wakeup.publish("connected", f"{connection_id}:{charge_box_id}")


def registration_changed(charge_box_id: str, registration: str) -> None:
    """Have the charger's live socket follow its new registration (call inside the change's writing())."""
    wakeup.publish("registration", f"{registration}:{charge_box_id}")


def password_changed(charge_box_id: str) -> None:
    """Have the charger's live socket closed, so it must connect again with the new password (inside writing())."""
    wakeup.publish("password", charge_box_id)


def local_list_changed() -> None:
    """Wake the local list sync of every process (call inside the change's writing(): sent at its commit)."""
    wakeup.publish("locallist")


def _close_replaced(argument: str) -> None:
    """Close this process's socket of a charger that connected on another socket."""
    connection_id, _, charge_box_id = argument.partition(":")
    conn = registry.get(charge_box_id)
    if conn is not None and conn.id != connection_id:
        log.info("%s connected again elsewhere; closing its socket here", charge_box_id)
        gevent.spawn(conn.close)


def _follow_registration(argument: str) -> None:
    """Give this process's socket of the charger its new registration (a rejected one is answered only at boot)."""
    registration, _, charge_box_id = argument.partition(":")
    conn = registry.get(charge_box_id)
    if conn is not None:
        conn.registration = registration


def _close_after_password_change(charge_box_id: str) -> None:
    """Close this process's socket of a charger whose password changed."""
    conn = registry.get(charge_box_id)
    if conn is not None:
        log.info("%s: password changed; closing its socket", charge_box_id)
        gevent.spawn(conn.close, "Password changed")


wakeup.on("connected", _close_replaced)
wakeup.on("registration", _follow_registration)
wakeup.on("password", _close_after_password_change)
