"""The simulated 2.0.1 station's device model as a report (GetBaseReport -> NotifyReport parts), and the events
and security events it can send (NotifyEvent, SecurityEventNotification)."""

from typing import TYPE_CHECKING

from .state import Answer, now_iso

if TYPE_CHECKING:
    from .core import Simulator

INVENTORIES = ("FullInventory", "ConfigurationInventory")


def data_type(value: str) -> str:
    """Return the dataType a value looks like."""
    if value.lower() in ("true", "false"):
        return "boolean"
    return "integer" if value.lstrip("-").isdigit() else "string"


def report_data(configuration: dict, base: str) -> list[dict]:
    """Return one ReportDataType per variable ("Component/Variable[#Attribute]" keys); Configuration: writable ones."""
    variables: dict[tuple[str, str], dict] = {}
    for key, (value, read_only) in configuration.items():
        name, _, attribute = key.partition("#")
        component, variable = name.split("/", 1)
        if base == "ConfigurationInventory" and read_only:
            continue
        item = variables.setdefault(
            (component, variable),
            {
                "component": {"name": component},
                "variable": {"name": variable},
                "variableAttribute": [],
                "variableCharacteristics": {"dataType": data_type(value), "supportsMonitoring": False},
            },
        )
        item["variableAttribute"].append(
            {"type": attribute or "Actual", "value": value, "mutability": "ReadOnly" if read_only else "ReadWrite"}
        )
    return list(variables.values())


def base_report(sim: "Simulator", payload: dict) -> Answer:
    """Accept a Full or Configuration inventory and send it in parts of sim.report_part_size; NotSupported else."""
    base, request_id = payload["reportBase"], payload["requestId"]
    if base not in INVENTORIES:
        return Answer({"status": "NotSupported"})
    items = report_data(sim.configuration, base)
    size = max(1, sim.report_part_size)
    parts = [items[i : i + size] for i in range(0, len(items), size)] or [[]]

    def send_parts() -> None:
        generated = now_iso()
        for seq_no, part in enumerate(parts):
            message = {"requestId": request_id, "generatedAt": generated, "seqNo": seq_no}
            if seq_no < len(parts) - 1:
                message["tbc"] = True
            if part:
                message["reportData"] = part
            sim.call("NotifyReport", message)
        sim.say(f"NotifyReport {request_id}: {len(items)} variables in {len(parts)} parts")

    return Answer({"status": "Accepted"}, send_parts, summary=f"Accepted, {len(parts)} parts follow")


def notify_event(
    sim: "Simulator",
    component: str,
    variable: str,
    value: str,
    *,
    trigger: str = "Alerting",
    evse_id: int | None = None,
    cleared: bool | None = None,
    tech_code: str | None = None,
    tech_info: str | None = None,
    event_id: int = 1,
) -> dict:
    """Send a NotifyEvent of one event (a 2.0.1 station reports problems and changes this way)."""
    where: dict = {"name": component}
    if evse_id:
        where["evse"] = {"id": evse_id}
    event: dict = {
        "eventId": event_id,
        "timestamp": now_iso(),
        "trigger": trigger,
        "actualValue": value,
        "eventNotificationType": "HardWiredNotification",
        "component": where,
        "variable": {"name": variable},
    }
    extra = {"cleared": cleared, "techCode": tech_code, "techInfo": tech_info}
    event.update({key: given for key, given in extra.items() if given is not None})
    answer = sim.call("NotifyEvent", {"generatedAt": now_iso(), "seqNo": 0, "eventData": [event]})
    sim.say(f"NotifyEvent {trigger}: {component}.{variable} = {value}")
    return answer


def security_event(sim: "Simulator", kind: str, tech_info: str | None = None) -> dict:
    """Send SecurityEventNotification (2.0.1, and the 1.6 security extension)."""
    payload: dict = {"type": kind, "timestamp": now_iso()}
    if tech_info:
        payload["techInfo"] = tech_info
    answer = sim.call("SecurityEventNotification", payload)
    sim.say(f"SecurityEventNotification {kind}")
    return answer
