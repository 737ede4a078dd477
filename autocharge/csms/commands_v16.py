"""OCPP 1.6 calls to a charger: what each back-office command is in 1.6, and how its answer reads."""

from ..services import ServiceError, commands, identifiers
from ..services.link import Reply

TRIGGERS = commands.TRIGGERS["1.6"]  # the services offer the same list on the charger page
# The configuration keys of the local list (LocalAuthListManagement profile), and what the services call them.
LIMIT_KEYS = {
    "LocalAuthListEnabled": "enabled",
    "LocalAuthListMaxLength": "max_entries",
    "SendLocalListMaxLength": "per_message",
}


def remote_start(
    *, token: str, remote_start_id: int, connector_id: int | None = None, evse_id: None = None
) -> tuple[str, dict]:
    """Return RemoteStartTransaction for a one-time idTag (the charger picks the connector when none is given)."""
    _no_evse(evse_id)
    payload: dict = {"idTag": token}
    if connector_id:
        payload["connectorId"] = connector_id
    return "RemoteStartTransaction", payload


def _no_evse(evse_id: int | None) -> None:
    """Raise ServiceError for an EVSE: the commands the services share with 2.0.1 may name one, 1.6 has none."""
    if evse_id is not None:
        raise ServiceError("OCPP 1.6 has no EVSEs: choose a connector.")


def remote_stop(*, transaction_id: int, ocpp_tx_id: str | None = None) -> tuple[str, dict]:
    """Return RemoteStopTransaction (1.6 chargers know our transaction id)."""
    return "RemoteStopTransaction", {"transactionId": transaction_id}


def clear_cache() -> tuple[str, dict]:
    """Return ClearCache."""
    return "ClearCache", {}


def reset(*, kind: str) -> tuple[str, dict]:
    """Return Reset Soft or Hard."""
    return "Reset", {"type": kind}


def unlock_connector(*, connector_id: int, evse_id: None = None) -> tuple[str, dict]:
    """Return UnlockConnector."""
    _no_evse(evse_id)
    return "UnlockConnector", {"connectorId": connector_id}


def trigger_message(*, message: str, connector_id: int | None = None, evse_id: None = None) -> tuple[str, dict]:
    """Return TriggerMessage; raise ServiceError for a message 1.6 cannot trigger."""
    _no_evse(evse_id)
    if message not in TRIGGERS:
        raise ServiceError(f"OCPP 1.6 cannot trigger {message}; choose one of {', '.join(TRIGGERS)}.")
    payload: dict = {"requestedMessage": message}
    if connector_id:
        payload["connectorId"] = connector_id
    return "TriggerMessage", payload


def get_configuration(*, keys: list[str] | None = None) -> tuple[str, dict]:
    """Return GetConfiguration of some keys (all when none)."""
    return "GetConfiguration", {"key": keys} if keys else {}


def change_configuration(*, key: str, value: str) -> tuple[str, dict]:
    """Return ChangeConfiguration of one key."""
    return "ChangeConfiguration", {"key": key, "value": value}


def send_local_list(*, version: int, full: bool, entries: list) -> tuple[str, dict]:
    """Return SendLocalList: vehicles as VID: idTags, tags as they are; an entry without status is removed."""
    items = []
    for entry in entries:
        item: dict = {"idTag": identifiers.PREFIX + entry.value if entry.kind == "vehicle" else entry.value}
        if entry.status:
            item["idTagInfo"] = {"status": entry.status}
        items.append(item)
    payload = {"listVersion": version, "updateType": "Full" if full else "Differential"}
    return "SendLocalList", {**payload, "localAuthorizationList": items}


def get_local_list_version() -> tuple[str, dict]:
    """Return GetLocalListVersion."""
    return "GetLocalListVersion", {}


def local_list_limits() -> tuple[str, dict]:
    """Return GetConfiguration of the local list's switch and size limits."""
    return "GetConfiguration", {"key": list(LIMIT_KEYS)}


def enable_local_list() -> tuple[str, dict]:
    """Return ChangeConfiguration turning the local list on."""
    return "ChangeConfiguration", {"key": "LocalAuthListEnabled", "value": "true"}


def reply(command: str, answer: dict) -> Reply:
    """Read a 1.6 answer in the back office's words."""
    if command == "get_local_list_version":
        return Reply("Accepted", answer, {"version": answer.get("listVersion")})
    if command == "local_list_limits":
        values = {k["key"]: k.get("value") for k in answer.get("configurationKey", [])}
        return Reply("Accepted", answer, {name: values.get(key) for key, name in LIMIT_KEYS.items()})
    if command == "get_configuration":
        values = {k["key"]: k.get("value") for k in answer.get("configurationKey", [])}
        return Reply("Accepted", answer, values, list(answer.get("unknownKey", [])))
    status = str(answer.get("status", "Accepted"))
    if command == "unlock_connector":
        status = "Accepted" if status == "Unlocked" else status
    return Reply(status, answer)
