"""OCPP 2.0.1 handlers: one on_<action> per request a charging station sends; each answers with a call_result."""

import logging

from ocpp.v201 import call_result
from ocpp.v201.datatypes import IdTokenInfoType
from ocpp.v201.enums import AuthorizationStatusEnumType, DataTransferStatusEnumType, RegistrationStatusEnumType

from ..models.statuses import Registration
from ..services import authorization, charger_events, charger_state, device_model, transactions
from ..wire.codec import now_iso, parse_time
from . import meter

log = logging.getLogger("autocharge.ocpp")

VERSION = "2.0.1"
REGISTRATION = {
    Registration.ACCEPTED: RegistrationStatusEnumType.accepted,
    Registration.PENDING: RegistrationStatusEnumType.pending,
    Registration.REJECTED: RegistrationStatusEnumType.rejected,
}


def _token_info(status: str | None) -> IdTokenInfoType | None:
    """Return the idTokenInfo for an authorization status (None stays None)."""
    return IdTokenInfoType(status=AuthorizationStatusEnumType(status)) if status else None


def on_boot_notification(conn, *, charging_station: dict, reason: str, **kwargs):
    """Store the station's details and tell it whether it is accepted."""
    conn.registration = charger_state.boot(
        conn.charger_id,
        charging_station.get("vendor_name"),
        charging_station.get("model"),
        charging_station.get("serial_number"),
        charging_station.get("firmware_version"),
        VERSION,
        conn.charge_box_id,
        reason,
    )
    return call_result.BootNotification(
        current_time=now_iso(),
        interval=charger_state.boot_interval(conn.registration),
        status=REGISTRATION[conn.registration],
    )


def on_heartbeat(conn, **kwargs):
    """Answer with the time (last seen is recorded for every message)."""
    return call_result.Heartbeat(current_time=now_iso())


def on_status_notification(conn, *, connector_status: str, evse_id: int, connector_id: int, **kwargs):
    """Store the status of an EVSE's connector."""
    charger_state.connector_status(conn.charger_id, connector_id, connector_status, evse_id=evse_id)
    return call_result.StatusNotification()


def on_authorize(conn, *, id_token: dict, **kwargs):
    """Decide on an idToken (RFID, MacAddress vehicle identifier, or a back-office start's Central token)."""
    result = authorization.authorize(conn.charger_id, id_token["id_token"], id_token["type"])
    return call_result.Authorize(id_token_info=_token_info(result.status))


def on_transaction_event(
    conn,
    *,
    event_type: str,
    timestamp: str,
    trigger_reason: str,
    seq_no: int,
    transaction_info: dict,
    evse: dict | None = None,
    id_token: dict | None = None,
    meter_value: list | None = None,
    **kwargs,
):
    """Start, update or end a transaction; the idToken may come in any event, and is answered when it does."""
    event = transactions.TxEvent(
        kind=event_type,
        ocpp_tx_id=transaction_info["transaction_id"],
        timestamp=parse_time(timestamp),
        evse_id=(evse or {}).get("id"),
        connector_id=(evse or {}).get("connector_id"),
        token=(id_token or {}).get("id_token"),
        token_type=(id_token or {}).get("type"),
        samples=meter.samples(meter_value),
        stop_reason=transaction_info.get("stopped_reason"),
        remote_start_id=transaction_info.get("remote_start_id"),
    )
    status = transactions.transaction_event(conn.charger_id, event)
    return call_result.TransactionEvent(id_token_info=_token_info(status))


def on_meter_values(conn, *, evse_id: int, meter_value: list, **kwargs):
    """Store readings outside TransactionEvent against the EVSE's active transaction."""
    transactions.add_samples(conn.charger_id, None, meter.samples(meter_value), evse_id=evse_id, tell=False)
    return call_result.MeterValues()


def on_notify_event(conn, *, event_data: list, **kwargs):
    """Keep the events for the charger's page; connector availability changes also set the connector's status."""
    statuses, kept = [], []
    for event in event_data:
        component, variable = event.get("component") or {}, event.get("variable") or {}
        evse = component.get("evse") or {}
        if component.get("name") == "Connector" and variable.get("name") == "AvailabilityState" and evse.get("id"):
            place = {"connector_id": evse.get("connector_id") or 1, "evse_id": evse["id"]}
            statuses.append((place, event.get("actual_value")))  # a status report: kept as the connector's
        else:
            kept.append(event)
    charger_events.charger_reported(conn.charger_id, conn.charge_box_id, kept)  # ORM writes before hot ones
    for place, status in statuses:
        charger_state.connector_status(conn.charger_id, status=status, **place)
    return call_result.NotifyEvent()


def on_notify_report(
    conn,
    *,
    request_id: int,
    generated_at: str,
    seq_no: int,
    tbc: bool = False,
    report_data: list | None = None,
    **kwargs,
):
    """Store one part of a device model report; the model shown changes once the last part is in."""
    device_model.notify_report(
        conn.charger_id, conn.charge_box_id, request_id, parse_time(generated_at), seq_no, tbc, report_data or []
    )
    return call_result.NotifyReport()


def on_data_transfer(conn, *, vendor_id: str, **kwargs):
    """Refuse vendor extensions: we implement none."""
    return call_result.DataTransfer(status=DataTransferStatusEnumType.unknown_vendor_id)


def on_firmware_status_notification(conn, *, status: str, **kwargs):
    """Note the progress of a firmware update."""
    log.info("%s firmware update: %s", conn.charge_box_id, status)
    return call_result.FirmwareStatusNotification()


def on_log_status_notification(conn, *, status: str, **kwargs):
    """Note the progress of a log upload."""
    log.info("%s log upload: %s", conn.charge_box_id, status)
    return call_result.LogStatusNotification()


def on_security_event_notification(conn, *, type: str, timestamp: str, tech_info: str | None = None, **kwargs):  # noqa: A002
    """Keep a security event the station reports (e.g. a reset, a failed login on its local UI) and log it."""
    charger_events.security_event(conn.charger_id, conn.charge_box_id, type, timestamp, tech_info)
    return call_result.SecurityEventNotification()
