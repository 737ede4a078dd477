"""Commands from the back office to a charger: sent over its live socket, answered or timed out.

Each command picks the action of the charger's OCPP version (1.6 RemoteStartTransaction, 2.0.1
RequestStartTransaction, ...). Never call these inside writing(): they wait for the charger.

Routing: a charger's socket lives in exactly one server process, and only that process can send to it
(csms.registry). With one process (the embedded default) that is always this one. With several processes
behind a load balancer, a command for a charger another process holds goes through the database: a
ChargerCommand row the owning process is woken for, runs, and answers (csms/outbox.py, a few ms extra).
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import gevent
import sqlalchemy as sa
from flask import current_app, has_app_context

from ..csms import outbox, registry
from ..csms.connection import CallFailed, CallTimeout, Connection, ConnectionClosed
from ..db import utcnow, writing
from ..extensions import db
from ..models import Charger, RemoteStart
from . import ServiceError, chargers, transactions, users

log = logging.getLogger("autocharge.commands")

REMOTE_START_TTL = timedelta(minutes=5)
DEFAULT_TIMEOUT = 15.0
RESET_201 = {"Soft": "OnIdle", "Hard": "Immediate"}
TRIGGERS = {
    "1.6": (
        "BootNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StatusNotification",
    ),
    "2.0.1": (
        "BootNotification",
        "LogStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "SignChargingStationCertificate",
        "SignV2GCertificate",
        "StatusNotification",
        "TransactionEvent",
        "SignCombinedCertificate",
        "PublishFirmwareStatusNotification",
    ),
}
# 1.6 configuration keys and the 2.0.1 component/variable that means the same, so one key works for both.
VARIABLES_201 = {
    "HeartbeatInterval": ("OCPPCommCtrlr", "HeartbeatInterval"),
    "MeterValueSampleInterval": ("SampledDataCtrlr", "TxUpdatedInterval"),
    "MeterValuesSampledData": ("SampledDataCtrlr", "TxUpdatedMeasurands"),
    "AuthorizeRemoteTxRequests": ("AuthCtrlr", "AuthorizeRemoteStart"),
    "LocalPreAuthorize": ("AuthCtrlr", "LocalPreAuthorize"),
    "AuthorizationCacheEnabled": ("AuthCacheCtrlr", "Enabled"),
}


class ChargerOffline(ServiceError):
    """The charger has no live socket in this process."""


class CommandTimeout(ServiceError):
    """The charger did not answer in time."""


class CommandFailed(ServiceError):
    """The charger answered with a CallError."""


@dataclass
class CommandResult:
    """A charger's answer to a command: its status word, its payload, and a sentence for people."""

    status: str
    payload: dict = field(default_factory=dict)
    message: str = ""

    @property
    def accepted(self) -> bool:
        """Tell whether the charger accepted the command."""
        return self.status == "Accepted"


@dataclass(frozen=True)
class Target:
    """A charger a command goes to: its socket in this process, or None when another process holds it."""

    charger_id: int
    charge_box_id: str
    version: str
    conn: Connection | None


def send(charge_box_id: str, action: str, payload: dict, timeout: float | None = None) -> dict:
    """Send a raw call to a charger and return its answer; raise ChargerOffline, CommandTimeout, CommandFailed."""
    charger = chargers.by_box_id(charge_box_id)
    if charger is None:
        raise ChargerOffline(f"{charge_box_id} is offline.")
    return _call(_online(charger.id), action, payload, timeout)


def _call(target: Target, action: str, payload: dict, timeout: float | None = None) -> dict:
    """Call the charger on its socket (here or in its process), translating outcomes into errors for people."""
    if timeout is None:
        timeout = current_app.config["AUTOCHARGE_COMMAND_TIMEOUT"] if has_app_context() else DEFAULT_TIMEOUT
    box = target.charge_box_id
    try:
        if target.conn is not None:
            if has_app_context():
                db.session.commit()  # end the read transaction: no pooled connection held while the charger thinks
            return target.conn.call(action, payload, timeout)
        return outbox.call(target.charger_id, box, action, payload, timeout)
    except CallTimeout:
        raise CommandTimeout(f"{box} did not answer {action} within {timeout:g} seconds.") from None
    except CallFailed as exc:
        raise CommandFailed(f"{box} could not process {action}: {exc.code} ({exc.description}).") from None
    except ConnectionClosed:
        raise ChargerOffline(f"{box} went offline before answering {action}.") from None


def _online(charger_id: int) -> Target:
    """Return where to reach a charger; raise NotFound or ChargerOffline."""
    charger = chargers.get(charger_id)
    conn = registry.get(charger.charge_box_id)
    if conn is not None and not conn.closed:  # a closed one is on its way out: the charger moved
        return Target(charger.id, charger.charge_box_id, conn.version, conn)
    if charger.online and charger.connection_id and not registry.is_local(charger.connection_id):
        return Target(charger.id, charger.charge_box_id, charger.ocpp_version or "1.6", None)
    raise ChargerOffline(f"{charger.charge_box_id} is offline.")


def _result(target: Target, answer: dict, what: str, status: str | None = None) -> CommandResult:
    """Wrap a charger's answer, with a sentence saying how it answered."""
    status = status or str(answer.get("status", "Accepted"))
    verb = {"Accepted": "accepted", "Rejected": "rejected"}.get(status)
    message = f"{target.charge_box_id} {verb} the {what}." if verb else f"{target.charge_box_id}: {what} {status}."
    return CommandResult(status, answer, message)


def remote_start(
    charger_id: int, user_id: int, connector_id: int | None = None, admin_id: int | None = None
) -> CommandResult:
    """Ask a charger to start charging for a user; the transaction gets origin App and that user."""
    target = _online(charger_id)
    user = users.get(user_id)
    if not user.active:
        raise ServiceError(f"{user.name} is blocked and cannot charge.")
    with writing() as session:
        start = RemoteStart(
            charger_id=charger_id,
            connector_id=connector_id,
            user_id=user_id,
            admin_id=admin_id,
            id_token="APP" + secrets.token_hex(6).upper(),
            expires_at=utcnow() + REMOTE_START_TTL,
        )
        session.add(start)
        session.flush()
        remote_start_id, token = start.id, start.id_token
    if target.version == "1.6":
        action, payload = "RemoteStartTransaction", {"idTag": token}
        if connector_id:
            payload["connectorId"] = connector_id
    else:
        action = "RequestStartTransaction"
        payload = {"idToken": {"idToken": token, "type": "Central"}, "remoteStartId": remote_start_id}
        if connector_id:
            payload["evseId"] = connector_id
    return _result(target, _call(target, action, payload), "remote start")


def remote_stop(charger_id: int, transaction_id: int) -> CommandResult:
    """Ask a charger to stop one of its active transactions."""
    target = _online(charger_id)
    tx = transactions.get(transaction_id)
    if tx.charger_id != charger_id:
        raise ServiceError(f"Transaction {transaction_id} is not on {target.charge_box_id}.")
    if tx.status != "active":
        raise ServiceError(f"Transaction {transaction_id} has already ended.")
    if target.version == "1.6":
        answer = _call(target, "RemoteStopTransaction", {"transactionId": tx.id})
    else:
        answer = _call(target, "RequestStopTransaction", {"transactionId": tx.ocpp_tx_id or tx.dedupe_key})
    return _result(target, answer, "remote stop")


def clear_cache(charger_id: int) -> CommandResult:
    """Ask a charger to forget the authorizations it cached."""
    target = _online(charger_id)
    return _result(target, _call(target, "ClearCache", {}), "cache clearing")


def reset(charger_id: int, kind: str = "Soft") -> CommandResult:
    """Ask a charger to restart: Soft (2.0.1 OnIdle) or Hard (2.0.1 Immediate)."""
    if kind not in RESET_201:
        raise ServiceError("A reset is Soft or Hard.")
    target = _online(charger_id)
    payload = {"type": kind if target.version == "1.6" else RESET_201[kind]}
    return _result(target, _call(target, "Reset", payload), f"{kind.lower()} reset")


def unlock_connector(charger_id: int, connector_id: int) -> CommandResult:
    """Ask a charger to release the cable of a connector."""
    target = _online(charger_id)
    payload = {"connectorId": connector_id} if target.version == "1.6" else {"evseId": connector_id, "connectorId": 1}
    answer = _call(target, "UnlockConnector", payload)
    status = str(answer.get("status", ""))
    return _result(
        target, answer, f"unlock of connector {connector_id}", "Accepted" if status == "Unlocked" else status
    )


def trigger_message(charger_id: int, message: str, connector_id: int | None = None) -> CommandResult:
    """Ask a charger to send a message now (StatusNotification, MeterValues, Heartbeat, ...)."""
    target = _online(charger_id)
    if message not in TRIGGERS[target.version]:
        raise ServiceError(
            f"OCPP {target.version} cannot trigger {message}; choose one of {', '.join(TRIGGERS[target.version])}."
        )
    payload: dict = {"requestedMessage": message}
    if connector_id:
        payload.update({"connectorId": connector_id} if target.version == "1.6" else {"evse": {"id": connector_id}})
    return _result(target, _call(target, "TriggerMessage", payload), f"{message} trigger")


def get_configuration(charger_id: int, keys: list[str] | None = None) -> CommandResult:
    """Read configuration keys (1.6 GetConfiguration; 2.0.1 GetVariables of Component.Variable names)."""
    target = _online(charger_id)
    if target.version == "1.6":
        answer = _call(target, "GetConfiguration", {"key": keys} if keys else {})
        values = {k["key"]: k.get("value") for k in answer.get("configurationKey", [])}
        unknown = answer.get("unknownKey", [])
    else:
        names = keys or list(VARIABLES_201)
        data = [{"component": {"name": c}, "variable": {"name": v}} for c, v in map(_variable, names)]
        answer = _call(target, "GetVariables", {"getVariableData": data})
        results = answer.get("getVariableResult", [])
        values = {_name(r): r.get("attributeValue") for r in results if r.get("attributeStatus") == "Accepted"}
        unknown = [_name(r) for r in results if r.get("attributeStatus") != "Accepted"]
    shown = ", ".join(f"{k}={v}" for k, v in values.items()) or "no values"
    message = f"{target.charge_box_id}: {shown}" + (f"; unknown: {', '.join(unknown)}" if unknown else "")
    return CommandResult("Accepted", answer, message)


def change_configuration(charger_id: int, key: str, value: str) -> CommandResult:
    """Change one configuration key (1.6 ChangeConfiguration; 2.0.1 SetVariables)."""
    target = _online(charger_id)
    if target.version == "1.6":
        answer = _call(target, "ChangeConfiguration", {"key": key, "value": value})
        return _result(target, answer, f"change of {key}")
    component, variable = _variable(key)
    data = [{"attributeValue": value, "component": {"name": component}, "variable": {"name": variable}}]
    answer = _call(target, "SetVariables", {"setVariableData": data})
    results = answer.get("setVariableResult") or [{}]
    return _result(target, answer, f"change of {key}", str(results[0].get("attributeStatus", "Rejected")))


def _variable(key: str) -> tuple[str, str]:
    """Return the 2.0.1 (component, variable) named by a key: Component.Variable or a known 1.6 key."""
    if key in VARIABLES_201:
        return VARIABLES_201[key]
    component, dot, variable = key.partition(".")
    if not (dot and component and variable):
        raise ServiceError(
            f"Name an OCPP 2.0.1 variable as Component.Variable (e.g. OCPPCommCtrlr.HeartbeatInterval), not {key!r}."
        )
    return component, variable


def _name(result: dict) -> str:
    """Return Component.Variable of a GetVariables result."""
    return f"{(result.get('component') or {}).get('name')}.{(result.get('variable') or {}).get('name')}"


def clear_cache_everywhere() -> int:
    """Send ClearCache to every online charger without waiting (other processes' through the outbox); return how many."""
    conns = registry.connections()
    timeout = current_app.config["AUTOCHARGE_COMMAND_TIMEOUT"] if has_app_context() else DEFAULT_TIMEOUT
    for conn in conns:
        gevent.spawn(_clear_quietly, conn, timeout)
    elsewhere: list[int] = []
    if has_app_context():
        online = db.session.execute(sa.select(Charger.id, Charger.connection_id).where(Charger.online)).all()
        elsewhere = [row.id for row in online if row.connection_id and not registry.is_local(row.connection_id)]
        outbox.post_many(elsewhere, "ClearCache", {}, timeout)
    return len(conns) + len(elsewhere)


def _clear_quietly(conn: Connection, timeout: float) -> None:
    """Clear one charger's cache, logging instead of raising (nobody waits for the answer)."""
    try:
        conn.call("ClearCache", {}, timeout)
    except (CallTimeout, CallFailed, ConnectionClosed, OSError) as exc:
        log.warning("%s: ClearCache failed: %s", conn.charge_box_id, exc)
