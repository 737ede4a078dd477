"""OCPP 1.6 handlers: one on_<action> per request a charger sends; each answers with a call_result."""

import logging

from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import AuthorizationStatus, DataTransferStatus, RegistrationStatus

from ..models.statuses import Registration
from ..services import authorization, charger_events, charger_state, transactions
from ..wire.codec import now_iso, parse_time
from . import meter

log = logging.getLogger("autocharge.ocpp")

VERSION = "1.6"
REGISTRATION = {
    Registration.ACCEPTED: RegistrationStatus.accepted,
    Registration.PENDING: RegistrationStatus.pending,
    Registration.REJECTED: RegistrationStatus.rejected,
}


def on_boot_notification(
    conn,
    *,
    charge_point_vendor: str,
    charge_point_model: str,
    charge_point_serial_number: str | None = None,
    charge_box_serial_number: str | None = None,
    firmware_version: str | None = None,
    **kwargs,
):
    """Store the charger's details and tell it whether it is accepted."""
    conn.registration = charger_state.boot(
        conn.charger_id,
        charge_point_vendor,
        charge_point_model,
        charge_point_serial_number or charge_box_serial_number,
        firmware_version,
        VERSION,
        conn.charge_box_id,
    )
    return call_result.BootNotification(
        current_time=now_iso(),
        interval=charger_state.boot_interval(conn.registration),
        status=REGISTRATION[conn.registration],
    )


def on_heartbeat(conn, **kwargs):
    """Answer with the time (last seen is recorded for every message)."""
    return call_result.Heartbeat(current_time=now_iso())


def on_status_notification(conn, *, connector_id: int, error_code: str, status: str, **kwargs):
    """Store a connector's status."""
    charger_state.connector_status(
        conn.charger_id, connector_id, status, None if error_code == "NoError" else error_code
    )
    return call_result.StatusNotification()


def on_authorize(conn, *, id_tag: str, **kwargs):
    """Decide on an idTag (RFID, VID: vehicle identifier or a back-office start's token)."""
    result = authorization.authorize(conn.charger_id, id_tag)
    return call_result.Authorize(id_tag_info=IdTagInfo(status=AuthorizationStatus(result.status)))


def on_start_transaction(conn, *, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **kwargs):
    """Start a transaction (a retry gets the same transactionId back)."""
    key = transactions.dedupe_key_v16(connector_id, id_tag, timestamp)
    started = transactions.start(conn.charger_id, connector_id, key, id_tag, None, meter_start, parse_time(timestamp))
    return call_result.StartTransaction(
        transaction_id=started.transaction_id, id_tag_info=IdTagInfo(status=AuthorizationStatus(started.status))
    )


def on_stop_transaction(
    conn,
    *,
    meter_stop: int,
    timestamp: str,
    transaction_id: int,
    reason: str | None = None,
    id_tag: str | None = None,
    transaction_data: list | None = None,
    **kwargs,
):
    """Complete a transaction; an unknown or already stopped one is answered normally."""
    status = transactions.stop(
        conn.charger_id,
        transaction_id,
        meter_stop,
        parse_time(timestamp),
        reason,
        id_tag,
        meter.samples(transaction_data),
    )
    info = IdTagInfo(status=AuthorizationStatus(status)) if status else None
    return call_result.StopTransaction(id_tag_info=info)


def on_meter_values(conn, *, connector_id: int, meter_value: list, transaction_id: int | None = None, **kwargs):
    """Store meter readings of the transaction they belong to."""
    transactions.add_samples(conn.charger_id, transaction_id, meter.samples(meter_value), connector_id, tell=False)
    return call_result.MeterValues()


def on_data_transfer(conn, *, vendor_id: str, **kwargs):
    """Refuse vendor extensions: we implement none."""
    return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)


def on_diagnostics_status_notification(conn, *, status: str, **kwargs):
    """Note the progress of a diagnostics upload."""
    log.info("%s diagnostics upload: %s", conn.charge_box_id, status)
    return call_result.DiagnosticsStatusNotification()


def on_firmware_status_notification(conn, *, status: str, **kwargs):
    """Note the progress of a firmware update."""
    log.info("%s firmware update: %s", conn.charge_box_id, status)
    return call_result.FirmwareStatusNotification()


def on_security_event_notification(conn, *, type: str, timestamp: str, tech_info: str | None = None, **kwargs):  # noqa: A002
    """Keep a security event the charger reports (1.6 security extension) and log it."""
    charger_events.security_event(conn.charger_id, conn.charge_box_id, type, timestamp, tech_info)
    return call_result.SecurityEventNotification()
