"""OCPP 2.0.1 calls to a charger: what each back-office command is in 2.0.1, and how its answer reads."""

from ..services import ServiceError, commands
from ..services.link import Reply, VariableResult

RESETS = {"Soft": "OnIdle", "Hard": "Immediate"}
TRIGGERS = commands.TRIGGERS["2.0.1"]  # the services offer the same list on the charger page
# 1.6 configuration keys and the 2.0.1 component/variable that means the same, so one key works for both.
VARIABLES = {
    "HeartbeatInterval": ("OCPPCommCtrlr", "HeartbeatInterval"),
    "MeterValueSampleInterval": ("SampledDataCtrlr", "TxUpdatedInterval"),
    "MeterValuesSampledData": ("SampledDataCtrlr", "TxUpdatedMeasurands"),
    "AuthorizeRemoteTxRequests": ("AuthCtrlr", "AuthorizeRemoteStart"),
    "LocalPreAuthorize": ("AuthCtrlr", "LocalPreAuthorize"),
    "AuthorizationCacheEnabled": ("AuthCacheCtrlr", "Enabled"),
    "LocalAuthListEnabled": ("LocalAuthListCtrlr", "Enabled"),
}
LOCAL_LIST = "LocalAuthListCtrlr"
TOKEN_TYPES = {"vehicle": "MacAddress", "rfid": "ISO14443"}
# LocalAuthListCtrlr variables read for the local list (variable, attributeType, the services' name): the most
# entries a station holds is the MaxSet of Entries (whose Actual is how many it holds now).
LIMIT_VARIABLES = (
    ("Enabled", None, "enabled"),
    ("Entries", "MaxSet", "max_entries"),
    ("ItemsPerMessage", None, "per_message"),
    ("BytesPerMessage", None, "bytes_per_message"),
)


def remote_start(
    *, token: str, remote_start_id: int, evse_id: int | None = None, connector_id: int | None = None
) -> tuple[str, dict]:
    """Return RequestStartTransaction for a one-time Central idToken, on an EVSE or any (2.0.1 names no connector)."""
    if connector_id and not evse_id:
        raise ServiceError("OCPP 2.0.1 starts on an EVSE, not a connector: choose the EVSE.")
    payload: dict = {"idToken": {"idToken": token, "type": "Central"}, "remoteStartId": remote_start_id}
    if evse_id:
        payload["evseId"] = evse_id
    return "RequestStartTransaction", payload


def remote_stop(*, transaction_id: int, ocpp_tx_id: str | None = None) -> tuple[str, dict]:
    """Return RequestStopTransaction (2.0.1 chargers name transactions themselves)."""
    return "RequestStopTransaction", {"transactionId": ocpp_tx_id or str(transaction_id)}


def clear_cache() -> tuple[str, dict]:
    """Return ClearCache."""
    return "ClearCache", {}


def reset(*, kind: str) -> tuple[str, dict]:
    """Return Reset: Soft waits until idle (OnIdle), Hard is Immediate."""
    return "Reset", {"type": RESETS[kind]}


def unlock_connector(*, connector_id: int, evse_id: int | None = None) -> tuple[str, dict]:
    """Return UnlockConnector of a connector of an EVSE; raise ServiceError without the EVSE."""
    if not evse_id:
        raise ServiceError("OCPP 2.0.1 unlocks a connector of an EVSE: choose the EVSE and its connector.")
    return "UnlockConnector", {"evseId": evse_id, "connectorId": connector_id}


def trigger_message(*, message: str, evse_id: int | None = None, connector_id: int | None = None) -> tuple[str, dict]:
    """Return TriggerMessage about the station, an EVSE or one of its connectors; raise ServiceError for a message
    2.0.1 cannot trigger."""
    if message not in TRIGGERS:
        raise ServiceError(f"OCPP 2.0.1 cannot trigger {message}; choose one of {', '.join(TRIGGERS)}.")
    payload: dict = {"requestedMessage": message}
    if evse_id:
        payload["evse"] = {"id": evse_id, **({"connectorId": connector_id} if connector_id else {})}
    return "TriggerMessage", payload


def get_configuration(*, keys: list[str] | None = None) -> tuple[str, dict]:
    """Return GetVariables of Component.Variable names (or known 1.6 keys; the usual ones when none)."""
    names = keys or list(VARIABLES)
    data = [{"component": {"name": c}, "variable": {"name": v}} for c, v in map(variable, names)]
    return "GetVariables", {"getVariableData": data}


def change_configuration(*, key: str, value: str) -> tuple[str, dict]:
    """Return SetVariables of one variable."""
    component, name = variable(key)
    return "SetVariables", {
        "setVariableData": [{"attributeValue": value, "component": {"name": component}, "variable": {"name": name}}]
    }


def variable(key: str) -> tuple[str, str]:
    """Return the (component, variable) named by a key: Component.Variable or a known 1.6 key."""
    if key in VARIABLES:
        return VARIABLES[key]
    component, dot, name = key.partition(".")
    if not (dot and component and name):
        raise ServiceError(
            f"Name an OCPP 2.0.1 variable as Component.Variable (e.g. OCPPCommCtrlr.HeartbeatInterval), not {key!r}."
        )
    return component, name


def send_local_list(*, version: int, full: bool, entries: list) -> tuple[str, dict]:
    """Return SendLocalList: vehicles as MacAddress idTokens, tags as ISO14443; an entry without status is removed."""
    items = []
    for entry in entries:
        item: dict = {"idToken": {"idToken": entry.value, "type": TOKEN_TYPES[entry.kind]}}
        if entry.status:
            item["idTokenInfo"] = {"status": entry.status}
        items.append(item)
    payload: dict = {"versionNumber": version, "updateType": "Full" if full else "Differential"}
    if items:  # the schema wants at least one item when the list is given: an empty Full list leaves it out
        payload["localAuthorizationList"] = items
    return "SendLocalList", payload


def get_local_list_version() -> tuple[str, dict]:
    """Return GetLocalListVersion."""
    return "GetLocalListVersion", {}


def local_list_limits() -> tuple[str, dict]:
    """Return GetVariables of LocalAuthListCtrlr: Enabled, Entries (its MaxSet: how many fit), ItemsPerMessage."""
    data = [
        {"component": {"name": LOCAL_LIST}, "variable": {"name": variable}, **({"attributeType": kind} if kind else {})}
        for variable, kind, _ in LIMIT_VARIABLES
    ]
    return "GetVariables", {"getVariableData": data}


def enable_local_list() -> tuple[str, dict]:
    """Return SetVariables turning LocalAuthListCtrlr.Enabled on."""
    return change_configuration(key=f"{LOCAL_LIST}.Enabled", value="true")


def get_variables(*, variables: list) -> tuple[str, dict]:
    """Return GetVariables of the variables asked (services.variables.VariableRef)."""
    return "GetVariables", {"getVariableData": [_variable_data(ref) for ref in variables]}


def set_variables(*, variables: list, value: str) -> tuple[str, dict]:
    """Return SetVariables giving each variable asked the same value."""
    data = [{**_variable_data(ref), "attributeValue": value} for ref in variables]
    return "SetVariables", {"setVariableData": data}


def get_base_report(*, request_id: int, base: str) -> tuple[str, dict]:
    """Return GetBaseReport; the station answers, then sends the report in NotifyReport parts."""
    return "GetBaseReport", {"requestId": request_id, "reportBase": base}


def _variable_data(ref) -> dict:
    """Return a GetVariableData/SetVariableData's component, variable and attributeType."""
    component: dict = {"name": ref.component}
    if ref.component_instance:
        component["instance"] = ref.component_instance
    if ref.evse_id:
        component["evse"] = {"id": ref.evse_id}
    variable: dict = {"name": ref.variable}
    if ref.variable_instance:
        variable["instance"] = ref.variable_instance
    data = {"component": component, "variable": variable}
    return data if ref.attribute_type == "Actual" else {**data, "attributeType": ref.attribute_type}


def _variable_results(results: list, asked: list | None) -> list[VariableResult]:
    """Read Get/SetVariableResults, named as asked when the station kept their order (else by their own names)."""
    read = []
    for n, result in enumerate(results):
        label = asked[n].label if asked and len(asked) == len(results) else _name(result)
        info = result.get("attributeStatusInfo") or {}
        said = " ".join(filter(None, (info.get("reasonCode"), info.get("additionalInfo")))) or None
        read.append(VariableResult(label, str(result.get("attributeStatus")), result.get("attributeValue"), said))
    return read


def reply(command: str, answer: dict, asked: list | None = None) -> Reply:
    """Read a 2.0.1 answer in the back office's words."""
    if command in ("get_variables", "set_variables"):
        key = "getVariableResult" if command == "get_variables" else "setVariableResult"
        results = _variable_results(answer.get(key) or [], asked)
        accepted = sum(r.status == "Accepted" for r in results)
        # Some variables read or set and others not is an answer, not a refusal: say so in the audit and events.
        status = "Accepted" if results and accepted == len(results) else "Answered" if accepted else "Rejected"
        return Reply(status, answer, results=results)
    if command == "get_local_list_version":
        return Reply("Accepted", answer, {"version": answer.get("versionNumber")})
    if command == "local_list_limits":  # each variable is asked once, so its name finds its result
        found = {
            (r.get("variable") or {}).get("name"): r.get("attributeValue")
            for r in answer.get("getVariableResult", [])
            if r.get("attributeStatus") == "Accepted"
        }
        return Reply("Accepted", answer, {name: found.get(var) for var, _, name in LIMIT_VARIABLES})
    if command in ("change_configuration", "enable_local_list"):
        results = answer.get("setVariableResult") or [{}]
        return Reply(str(results[0].get("attributeStatus", "Rejected")), answer)
    if command == "get_configuration":
        results = answer.get("getVariableResult", [])
        values = {_name(r): r.get("attributeValue") for r in results if r.get("attributeStatus") == "Accepted"}
        unknown = [_name(r) for r in results if r.get("attributeStatus") != "Accepted"]
        return Reply("Accepted", answer, values, unknown)
    status = str(answer.get("status", "Accepted"))
    if command == "unlock_connector":
        status = "Accepted" if status == "Unlocked" else status
    return Reply(status, answer)


def _name(result: dict) -> str:
    """Return Component.Variable of a GetVariables result."""
    return f"{(result.get('component') or {}).get('name')}.{(result.get('variable') or {}).get('name')}"
