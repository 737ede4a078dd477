"""What chargers report about themselves: boot details, online/offline, last seen, connector status."""

import logging
from functools import cache

import sqlalchemy as sa
from flask import current_app

from .. import hotsql
from ..db import utcnow, writing
from ..extensions import db
from ..models import Charger, Connector
from ..models.statuses import ConnectorStatus, Registration
from . import dialect, pairing

log = logging.getLogger("autocharge.ocpp")

PENDING_RETRY = 60  # seconds


def _limit(value: str | None, size: int = 50) -> str | None:
    """Cut a charger-reported string to its column's size."""
    return value[:size] if value else value


_BOOT = (
    sa.update(Charger)
    .where(Charger.id == sa.bindparam("charger_id"))
    .values(
        vendor=sa.bindparam("p_vendor"),
        model=sa.bindparam("p_model"),
        serial=sa.bindparam("p_serial"),
        firmware=sa.bindparam("p_firmware"),
        ocpp_version=sa.bindparam("p_version"),
        last_boot=sa.bindparam("now"),
        last_seen=sa.bindparam("now"),
    )
    .returning(Charger.registration)
)
_CONNECTED = (
    sa.update(Charger)
    .where(Charger.id == sa.bindparam("charger_id"))
    .values(
        online=True,
        connection_id=sa.bindparam("p_connection"),
        last_seen=sa.bindparam("now"),
        ocpp_version=sa.func.coalesce(sa.bindparam("p_version", type_=sa.String), Charger.ocpp_version),
    )
    .returning(Charger.registration)
)
# Only the socket named in connection_id may take the charger offline: a replaced socket closing late may not.
_DISCONNECTED = (
    sa.update(Charger)
    .where(Charger.id == sa.bindparam("charger_id"), Charger.connection_id == sa.bindparam("p_connection"))
    .values(online=False, connection_id=None, last_seen=sa.bindparam("now"))
)
# Batched by csms/last_seen.py; never moves last seen back (a disconnect may have written a later time).
_SEEN = (
    sa.update(Charger)
    .where(
        Charger.id == sa.bindparam("charger_id"),
        sa.or_(Charger.last_seen.is_(None), Charger.last_seen < sa.bindparam("now")),
    )
    .values(last_seen=sa.bindparam("now"))
)


def boot(
    charger_id: int,
    vendor: str | None,
    model: str | None,
    serial: str | None = None,
    firmware: str | None = None,
    ocpp_version: str | None = None,
) -> str:
    """Store what a BootNotification told about the charger; return its registration (pending/accepted/rejected)."""
    params = {
        "charger_id": charger_id,
        "p_vendor": _limit(vendor),
        "p_model": _limit(model),
        "p_serial": _limit(serial),
        "p_firmware": _limit(firmware),
        "p_version": ocpp_version,
        "now": utcnow(),
    }
    with writing():
        return hotsql.connection().execute(_BOOT, params).scalar() or Registration.REJECTED


def boot_interval(registration: str) -> int:
    """Return the heartbeat interval for an accepted charger, else how soon it should boot again."""
    interval = current_app.config["AUTOCHARGE_HEARTBEAT_INTERVAL"]
    # A pending charger retries soon, so an admin's acceptance takes effect within a minute.
    return interval if registration == Registration.ACCEPTED else min(interval, PENDING_RETRY)


def connected(charger_id: int, connection_id: str, ocpp_version: str | None = None) -> str:
    """Mark the charger online on the socket `connection_id`; return its registration."""
    params = {"charger_id": charger_id, "p_connection": connection_id, "p_version": ocpp_version, "now": utcnow()}
    with writing():
        return hotsql.connection().execute(_CONNECTED, params).scalar() or Registration.REJECTED


def disconnected(charger_id: int, connection_id: str) -> bool:
    """Mark the charger offline unless a newer socket took over; tell whether it went offline."""
    params = {"charger_id": charger_id, "p_connection": connection_id, "now": utcnow()}
    with writing():
        offline = hotsql.connection().execute(_DISCONNECTED, params).rowcount > 0
    if offline:
        pairing.on_charger_offline(charger_id)
    return offline


def seen_many(heard: dict) -> None:
    """Record when chargers were last heard from ({charger_id: datetime}), in one transaction."""
    rows = [{"charger_id": charger_id, "now": when} for charger_id, when in heard.items()]
    with writing():
        hotsql.connection().execute(_SEEN, rows)


@cache
def _status_upsert(dialect_name: str):
    """Return (built once) the upsert of a connector's status."""
    insert = dialect.insert(Connector, dialect_name)
    columns = ("charger_id", "connector_id", "status", "error_code", "updated_at")
    insert = insert.values({name: sa.bindparam(name) for name in columns})
    return insert.on_conflict_do_update(
        index_elements=["charger_id", "connector_id"],
        set_={name: insert.excluded[name] for name in ("status", "error_code", "updated_at")},
    )


def connector_status(charger_id: int, connector_id: int, status: str | None, error_code: str | None = None) -> None:
    """Store a connector's reported status (upsert), then tell a waiting pairing about it.

    A value of no OCPP version (a 2.0.1 AvailabilityState is free text) is stored as Unknown and logged: the column
    holds only ConnectorStatus, and the charger's message is answered all the same.
    """
    known = ConnectorStatus.reported(status)
    if known != status:
        log.info("charger %s connector %s reported status %r: stored as %s", charger_id, connector_id, status, known)
    params = {
        "charger_id": charger_id,
        "connector_id": connector_id,
        "status": known,
        "error_code": _limit(error_code, 40),
        "updated_at": utcnow(),
    }
    with writing():
        conn = hotsql.connection()
        conn.execute(_status_upsert(conn.dialect.name), params)
    pairing.on_connector_status(charger_id, connector_id, known)


def connectors(charger_id: int) -> list[Connector]:
    """Return a charger's connectors by number."""
    return list(
        db.session.scalars(
            sa.select(Connector).where(Connector.charger_id == charger_id).order_by(Connector.connector_id)
        )
    )
