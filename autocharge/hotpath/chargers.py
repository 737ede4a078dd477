"""What chargers report about themselves, written on the hot path: boot details, online/offline, last seen, status."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..models import Charger, Connector
from . import runner
from .pggroup import run_blind
from .runner import connection, prebuilt, prebuilt_per_dialect, run

_BOOT = prebuilt(
    "chargers.boot",
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
    .returning(Charger.registration),
)
_CONNECTED = prebuilt(
    "chargers.connected",
    sa.update(Charger)
    .where(Charger.id == sa.bindparam("charger_id"))
    .values(
        online=True,
        connection_id=sa.bindparam("p_connection"),
        last_seen=sa.bindparam("now"),
        ocpp_version=sa.func.coalesce(sa.bindparam("p_version", type_=sa.String), Charger.ocpp_version),
    )
    .returning(Charger.registration),
)
# Only the socket named in connection_id may take the charger offline: a replaced socket closing late may not.
_DISCONNECTED = prebuilt(
    "chargers.disconnected",
    sa.update(Charger)
    .where(Charger.id == sa.bindparam("charger_id"), Charger.connection_id == sa.bindparam("p_connection"))
    .values(online=False, connection_id=None, last_seen=sa.bindparam("now")),
)
# Batched by csms/last_seen.py; never moves last seen back (a disconnect may have written a later time).
_SEEN = prebuilt(
    "chargers.heartbeat_seen",
    sa.update(Charger)
    .where(
        Charger.id == sa.bindparam("charger_id"),
        sa.or_(Charger.last_seen.is_(None), Charger.last_seen < sa.bindparam("now")),
    )
    .values(last_seen=sa.bindparam("now")),
)
_STATUS_COLUMNS = ("charger_id", "evse_id", "connector_id", "status", "error_code", "updated_at")
# The unique index each upsert lands on (models.charger.Connector): 1.6 rows have no EVSE, 2.0.1 rows one.
_CONFLICTS = {
    "chargers.update_connector_status": {
        "index_elements": ["charger_id", "connector_id"],
        "index_where": sa.text("evse_id IS NULL"),
    },
    "chargers.update_evse_status": {"index_elements": ["charger_id", "evse_id", "connector_id"]},
}


def _status_upsert(name: str):
    """Return a builder of one connector-status upsert (1.6, or 2.0.1 by EVSE) for a dialect."""

    def build(dialect_name: str):
        insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(Connector)
        insert = insert.values({column: sa.bindparam(column) for column in _STATUS_COLUMNS})
        return insert.on_conflict_do_update(
            **_CONFLICTS[name],
            set_={column: insert.excluded[column] for column in ("status", "error_code", "updated_at")},
        )

    return prebuilt_per_dialect(name, build)


_STATUS_UPSERT = _status_upsert("chargers.update_connector_status")
_EVSE_STATUS_UPSERT = _status_upsert("chargers.update_evse_status")
# On SQLite the status of a known connector is an UPDATE (~6 us): its upsert, an INSERT meeting the unique index and
# the foreign key first, cost ~16 us, and the row exists from the connector's first report on. PostgreSQL keeps the
# upsert: one round trip either way.
_STATUS_UPDATE = prebuilt(
    "chargers.update_connector_status_existing",
    sa.update(Connector)
    .where(
        Connector.charger_id == sa.bindparam("p_charger"),
        Connector.connector_id == sa.bindparam("p_connector"),
        Connector.evse_id.is_(None),
    )
    .values(status=sa.bindparam("p_status"), error_code=sa.bindparam("p_error"), updated_at=sa.bindparam("p_now")),
)


def boot(
    charger_id: int,
    vendor: str | None,
    model: str | None,
    serial: str | None,
    firmware: str | None,
    ocpp_version: str | None,
    now: datetime,
) -> str | None:
    """Store a BootNotification's details and the time; return the charger's registration (None: no such charger)."""
    params = {
        "charger_id": charger_id,
        "p_vendor": vendor,
        "p_model": model,
        "p_serial": serial,
        "p_firmware": firmware,
        "p_version": ocpp_version,
        "now": now,
    }
    return run(_BOOT, params, alone=True).scalar()


def connected(charger_id: int, connection_id: str, ocpp_version: str | None, now: datetime) -> str | None:
    """Mark the charger online on the socket `connection_id`; return its registration (None: no such charger)."""
    params = {"charger_id": charger_id, "p_connection": connection_id, "p_version": ocpp_version, "now": now}
    return run(_CONNECTED, params, alone=True).scalar()


def disconnected(charger_id: int, connection_id: str, now: datetime) -> bool:
    """Mark the charger offline if `connection_id` is still its socket; tell whether it was."""
    params = {"charger_id": charger_id, "p_connection": connection_id, "now": now}
    return run(_DISCONNECTED, params, alone=True).rowcount > 0


def heartbeat_seen(heard: dict[int, datetime]) -> None:
    """Move chargers' last seen forward ({charger_id: when}), never back."""
    run(_SEEN, [{"charger_id": charger_id, "now": when} for charger_id, when in heard.items()])


def update_connector_status(
    charger_id: int, connector_id: int, status: str, error_code: str | None, now: datetime, evse_id: int | None = None
) -> None:
    """Store a connector's reported status (of a 2.0.1 EVSE when `evse_id` is given), creating its row on first report.

    All that its db.writing() may write (on PostgreSQL a blind write, see pggroup.py).
    """
    dialect_name = runner.dialect_name()
    if evse_id is None and dialect_name == "sqlite":
        known = {
            "p_charger": charger_id,
            "p_connector": connector_id,
            "p_status": status,
            "p_error": error_code,
            "p_now": now,
        }
        if connection().execute(_STATUS_UPDATE, known).rowcount:
            return
    params = {
        "charger_id": charger_id,
        "evse_id": evse_id,
        "connector_id": connector_id,
        "status": status,
        "error_code": error_code,
        "updated_at": now,
    }
    upsert = _STATUS_UPSERT if evse_id is None else _EVSE_STATUS_UPSERT
    run_blind(upsert(dialect_name), params)
