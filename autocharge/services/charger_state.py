"""What chargers report about themselves: boot details, online/offline, last seen, connector status."""

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..db import utcnow, writing
from ..extensions import db
from ..hotpath import chargers as hot
from ..models import Connector
from ..models.statuses import ChargerEventKind, ConnectorStatus, Registration
from . import charger_events, pairing

log = logging.getLogger("autocharge.ocpp")

PENDING_RETRY = 60  # seconds
REPEAT_QUIET = timedelta(minutes=10)  # a pending charger's identical boots kept once in this long


def _limit(value: str | None, size: int = 50) -> str | None:
    """Cut a charger-reported string to its column's size."""
    return value[:size] if value else value


def boot(
    charger_id: int,
    vendor: str | None,
    model: str | None,
    serial: str | None = None,
    firmware: str | None = None,
    ocpp_version: str | None = None,
    charge_box_id: str = "",
    reason: str | None = None,
) -> str:
    """Store what a BootNotification told about the charger; return its registration (pending/accepted/rejected).

    The boot is also kept among the charger's events (a write of its own: never one added to the hot path's).
    """
    details = (_limit(vendor), _limit(model), _limit(serial), _limit(firmware), ocpp_version)
    with writing():
        registration = hot.boot(charger_id, *details, now=utcnow()) or Registration.REJECTED
    what = " ".join(filter(None, (vendor, model))) or "unnamed charger"
    said = f"Booted{f' ({reason})' if reason else ''}: {what}, firmware {firmware or 'not given'}, OCPP {ocpp_version}"
    summary = f"{said}; answered {registration}."
    # A pending or rejected charger boots again every minute: the same boot is kept once per quiet spell.
    if registration == Registration.ACCEPTED or not charger_events.repeated(charger_id, summary, REPEAT_QUIET):
        warning = registration != Registration.ACCEPTED
        charger_events.note(charger_id, charge_box_id or str(charger_id), ChargerEventKind.BOOT, summary, warning)
    return registration


def boot_interval(registration: str) -> int:
    """Return the heartbeat interval for an accepted charger, else how soon it should boot again."""
    interval = current_app.config["AUTOCHARGE_HEARTBEAT_INTERVAL"]
    # A pending charger retries soon, so an admin's acceptance takes effect within a minute.
    return interval if registration == Registration.ACCEPTED else min(interval, PENDING_RETRY)


def connected(charger_id: int, connection_id: str, ocpp_version: str | None = None) -> str:
    """Mark the charger online on the socket `connection_id`; return its registration."""
    with writing():
        return hot.connected(charger_id, connection_id, ocpp_version, utcnow()) or Registration.REJECTED


def disconnected(charger_id: int, connection_id: str) -> bool:
    """Mark the charger offline unless a newer socket took over; tell whether it went offline."""
    with writing():
        offline = hot.disconnected(charger_id, connection_id, utcnow())
    if offline:
        pairing.on_charger_offline(charger_id)
    return offline


def seen_many(heard: dict) -> None:
    """Record when chargers were last heard from ({charger_id: datetime}), in one transaction."""
    with writing():
        hot.heartbeat_seen(heard)


def connector_status(
    charger_id: int,
    connector_id: int,
    status: str | None,
    error_code: str | None = None,
    evse_id: int | None = None,
) -> None:
    """Store a connector's reported status (upsert; a 2.0.1 one names its EVSE), then tell a waiting pairing about it.

    A value of no OCPP version (a 2.0.1 AvailabilityState is free text) is stored as Unknown and logged: the column
    holds only ConnectorStatus, and the charger's message is answered all the same.
    """
    known = ConnectorStatus.reported(status)
    if known != status:
        log.info(
            "charger %s connector %s/%s reported status %r: stored as %s",
            charger_id,
            evse_id,
            connector_id,
            status,
            known,
        )
    with writing():
        hot.update_connector_status(charger_id, connector_id, known, _limit(error_code, 40), utcnow(), evse_id)
    pairing.on_connector_status(charger_id, connector_id, known)


def connectors(charger_id: int) -> list[Connector]:
    """Return a charger's connectors by EVSE (2.0.1) and number."""
    query = sa.select(Connector).where(Connector.charger_id == charger_id)
    return list(db.session.scalars(query.order_by(Connector.evse_id, Connector.connector_id)))
