"""Commands from the back office to a charger: the rules around them, and their answers in words for people.

What a command is in each OCPP version, and how it reaches the charger's socket in whichever process holds it,
is the OCPP side's business (csms/link.py, csms/commands_v16.py, csms/commands_v201.py), asked through
services/link.py. Never call these inside writing(): they wait for the charger.
"""

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from ..db import utcnow, writing
from ..models import RemoteStart
from ..models.statuses import ChargerEventKind
from . import ServiceError, audit, charger_events, chargers, device_model, link, transactions, users, variables
from .link import ChargerOffline, CommandFailed, CommandTimeout, Reply, Target

__all__ = ["ChargerOffline", "CommandFailed", "CommandResult", "CommandTimeout", "ServiceError"]

REMOTE_START_TTL = timedelta(minutes=5)
RESET_KINDS = ("Soft", "Hard")
# The messages a charger may be asked to send now, per OCPP version (TriggerMessage's requestedMessage).
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
MAX_KEY = 50  # 1.6 keys, and each half of a 2.0.1 Component.Variable, are CiString50
MAX_VALUE = {"1.6": 500, "2.0.1": 1000}  # ChangeConfiguration's CiString500; SetVariables' attributeValue
MAX_KEYS = 20  # keys read at once: chargers cap GetConfiguration (GetConfigurationMaxKeys)


@dataclass
class CommandResult:
    """A charger's answer to a command: its status word, its payload, and a sentence for people."""

    status: str
    payload: dict = field(default_factory=dict)
    message: str = ""
    values: dict = field(default_factory=dict)  # configuration read: key -> value
    unknown: list = field(default_factory=list)  # configuration keys the charger does not know
    results: list = field(default_factory=list)  # 2.0.1 Get/SetVariables: a link.VariableResult per variable

    @property
    def accepted(self) -> bool:
        """Tell whether the charger accepted the command."""
        return self.status == "Accepted"


def send(charge_box_id: str, action: str, payload: dict, timeout: float | None = None) -> dict:
    """Send a raw call to a charger and return its answer; raise ChargerOffline, CommandTimeout, CommandFailed."""
    charger = chargers.by_box_id(charge_box_id)
    if charger is None:
        raise ChargerOffline(f"{charge_box_id} is offline.")
    ocpp = link.current()
    return ocpp.send(ocpp.reach(charger.id), action, payload, timeout)


def _result(target: Target, reply: Reply, what: str) -> CommandResult:
    """Wrap a charger's answer, with a sentence saying how it answered."""
    verb = {"Accepted": "accepted", "Rejected": "rejected"}.get(reply.status)
    message = (
        f"{target.charge_box_id} {verb} the {what}." if verb else f"{target.charge_box_id}: {what} {reply.status}."
    )
    return CommandResult(reply.status, reply.payload, message)


ANSWERS = {"Accepted": "command.accepted", "Rejected": "command.rejected"}
FAILURES = (
    (ChargerOffline, "command.offline"),
    (CommandTimeout, "command.timed_out"),
    (ServiceError, "command.failed"),
)


def _record(charger_id: int, action: str, detail: str, admin_id: int | None, result: str | None = None) -> None:
    """Add one event to the charger's audit trail in a write of its own (never while waiting for the charger).

    A command's `result` also goes among the charger's events (a CallError is there already, from the OCPP side).
    """
    with writing():
        audit.record(action, "charger", charger_id, admin_id=admin_id, detail=detail[:300])
        if result is not None:
            box = chargers.get(charger_id).charge_box_id
            warning = action != "command.accepted"
            charger_events.record(charger_id, box, ChargerEventKind.COMMAND, f"Command {result}", warning=warning)


@contextmanager
def _audited(charger_id: int, command: str, what: str, admin_id: int | None) -> Iterator[Callable[[str], None]]:
    """Record that a command was asked for, then how it ended.

    The block passes the charger's answer to the function this yields; an error leaving it says why none came
    (offline, timed out, refused).
    """
    _record(charger_id, f"command.{command}", what, admin_id)
    try:
        yield lambda status: _record(
            charger_id, ANSWERS.get(status, "command.answered"), f"{what}: {status}", admin_id, f"{what}: {status}."
        )
    except ServiceError as exc:
        action = next(action for kind, action in FAILURES if isinstance(exc, kind))
        result = None if isinstance(exc, CommandFailed) else f"{what}: {exc}"
        _record(charger_id, action, f"{what}: {exc}", admin_id, result)
        raise


def _command(charger_id: int, command: str, what: str, admin_id: int | None, **args) -> CommandResult:
    """Send one command to a charger, word its answer and record both."""
    with _audited(charger_id, command, what, admin_id) as answered:
        ocpp = link.current()
        target = ocpp.reach(charger_id)
        reply = ocpp.call(target, command, **args)
        answered(reply.status)
    return _result(target, reply, what)


def remote_start(
    charger_id: int,
    user_id: int,
    connector_id: int | None = None,
    admin_id: int | None = None,
    evse_id: int | None = None,
) -> CommandResult:
    """Ask a charger to start charging for a user (on a 1.6 connector, a 2.0.1 EVSE, or where it picks); the
    transaction gets origin App and that user."""
    user = users.get(user_id)
    if not user.active:
        raise ServiceError(f"{user.name} is blocked and cannot charge.", field="user_id")
    what = f"remote start for user {user_id}" + (
        f" on {_where(evse_id, connector_id)}" if evse_id or connector_id else ""
    )
    with _audited(charger_id, "remote_start", what, admin_id) as answered:
        ocpp = link.current()
        target = ocpp.reach(charger_id)  # before the token: no start handed out for a charger that is not there
        with writing() as session:
            start = RemoteStart(
                charger_id=charger_id,
                connector_id=evse_id or connector_id,  # 2.0.1 starts on an EVSE
                user_id=user_id,
                admin_id=admin_id,
                id_token="APP" + secrets.token_hex(6).upper(),
                expires_at=utcnow() + REMOTE_START_TTL,
            )
            session.add(start)
            session.flush()
            remote_start_id, token = start.id, start.id_token
        args = {"token": token, "remote_start_id": remote_start_id, "connector_id": connector_id, "evse_id": evse_id}
        reply = ocpp.call(target, "remote_start", **args)
        answered(reply.status)
    return _result(target, reply, "remote start")


def remote_stop(charger_id: int, transaction_id: int, admin_id: int | None = None) -> CommandResult:
    """Ask a charger to stop one of its active transactions."""
    with _audited(charger_id, "remote_stop", f"remote stop of transaction {transaction_id}", admin_id) as answered:
        ocpp = link.current()
        target = ocpp.reach(charger_id)
        tx = transactions.get(transaction_id)
        if tx.charger_id != charger_id:
            raise ServiceError(
                f"Transaction {transaction_id} is not on {target.charge_box_id}.", field="transaction_id"
            )
        if tx.status != "active":
            raise ServiceError(f"Transaction {transaction_id} has already ended.", field="transaction_id")
        reply = ocpp.call(target, "remote_stop", transaction_id=tx.id, ocpp_tx_id=tx.ocpp_tx_id or tx.dedupe_key)
        answered(reply.status)
    return _result(target, reply, "remote stop")


def clear_cache(charger_id: int, admin_id: int | None = None) -> CommandResult:
    """Ask a charger to forget the authorizations it cached."""
    return _command(charger_id, "clear_cache", "cache clearing", admin_id)


def reset(charger_id: int, kind: str = "Soft", admin_id: int | None = None) -> CommandResult:
    """Ask a charger to restart: Soft (when idle) or Hard (at once)."""
    if kind not in RESET_KINDS:
        raise ServiceError("A reset is Soft or Hard.", field="kind")
    return _command(charger_id, "reset", f"{kind.lower()} reset", admin_id, kind=kind)


def unlock_connector(
    charger_id: int, connector_id: int, admin_id: int | None = None, evse_id: int | None = None
) -> CommandResult:
    """Ask a charger to release the cable of a connector (1 or more; of an EVSE on 2.0.1)."""
    if connector_id < 1:
        raise ServiceError("Choose the connector to unlock (1 or more).", field="connector_id")
    what = f"unlock of {_where(evse_id, connector_id)}"
    return _command(charger_id, "unlock_connector", what, admin_id, connector_id=connector_id, evse_id=evse_id)


def trigger_message(
    charger_id: int,
    message: str,
    connector_id: int | None = None,
    admin_id: int | None = None,
    evse_id: int | None = None,
) -> CommandResult:
    """Ask a charger to send a message now (StatusNotification, MeterValues, Heartbeat, ...), maybe about one
    connector (1.6) or EVSE (2.0.1)."""
    args = {"message": message, "connector_id": connector_id, "evse_id": evse_id}
    return _command(charger_id, "trigger_message", f"{message[:60]} trigger", admin_id, **args)


def _where(evse_id: int | None, connector_id: int | None) -> str:
    """Return a connector or EVSE in the audit trail's words."""
    if evse_id is None:
        return f"connector {connector_id}"
    return f"EVSE {evse_id}" + (f" connector {connector_id}" if connector_id else "")


def get_configuration(charger_id: int, keys: list[str] | None = None, admin_id: int | None = None) -> CommandResult:
    """Read configuration keys (1.6 keys, or 2.0.1 Component.Variable names); raise ServiceError for a bad key."""
    keys = [check_key(key, None) for key in keys or []] or None
    # The values read are not recorded: a configuration may hold secrets.
    with _audited(charger_id, "get_configuration", "configuration read", admin_id) as answered:
        ocpp = link.current()
        target = ocpp.reach(charger_id)
        reply = ocpp.call(target, "get_configuration", keys=keys)
        answered("Accepted")
    shown = ", ".join(f"{k}={v}" for k, v in reply.values.items()) or "no values"
    unknown = f"; unknown: {', '.join(reply.unknown)}" if reply.unknown else ""
    message = f"{target.charge_box_id}: {shown}{unknown}"
    return CommandResult("Accepted", reply.payload, message, reply.values, reply.unknown)


def change_configuration(charger_id: int, key: str, value: str, admin_id: int | None = None) -> CommandResult:
    """Change one configuration key (1.6 key, or 2.0.1 Component.Variable); raise ServiceError for a bad one."""
    key, value = check_key(key, None), check_value(value, None)
    # The key only: the value may be a secret (a password, an authorization key).
    return _command(charger_id, "change_configuration", f"change of {key[:60]}", admin_id, key=key, value=value)


def get_variables(
    charger_id: int, names: str, evse_id: int | None = None, attribute_type: str = "Actual", admin_id: int | None = None
) -> CommandResult:
    """Read 2.0.1 variables (Component.Variable, commas between them); values are shown, never recorded."""
    refs = variables.parse_many(names, evse_id, attribute_type)
    return _variables(charger_id, "get_variables", "variables read", admin_id, variables=refs)


def set_variable(
    charger_id: int,
    name: str,
    value: str,
    evse_id: int | None = None,
    attribute_type: str = "Actual",
    admin_id: int | None = None,
) -> CommandResult:
    """Set one 2.0.1 variable (recorded with its name, never its value: it may be a secret)."""
    ref = variables.parse(name, "name", evse_id, attribute_type)
    value = variables.check_value(value)
    what = f"change of {ref.label[:60]}"
    return _variables(charger_id, "set_variables", what, admin_id, variables=[ref], value=value)


def _variables(charger_id: int, command: str, what: str, admin_id: int | None, **args) -> CommandResult:
    """Send GetVariables or SetVariables and say how each variable fared."""
    with _audited(charger_id, command, what, admin_id) as answered:
        ocpp = link.current()
        target = _v201(ocpp.reach(charger_id), what)
        reply = ocpp.call(target, command, **args)
        answered(reply.status)
    accepted = sum(r.status == "Accepted" for r in reply.results)
    count = len(reply.results)
    message = f"{target.charge_box_id} answered {count} variable{'s' if count != 1 else ''}: {accepted} accepted."
    return CommandResult(reply.status, reply.payload, message, results=reply.results)


def get_base_report(charger_id: int, base: str, admin_id: int | None = None) -> CommandResult:
    """Ask a 2.0.1 charger for its device model (FullInventory, ConfigurationInventory...); it comes in parts."""
    device_model.check_base(base)
    with _audited(charger_id, "get_base_report", f"{base} report", admin_id) as answered:
        ocpp = link.current()
        target = _v201(ocpp.reach(charger_id), "device model report")
        request_id = device_model.next_request_id(charger_id, base)
        reply = ocpp.call(target, "get_base_report", request_id=request_id, base=base)
        answered(reply.status)
    return _result(target, reply, f"{base} report request")


def _v201(target: Target, what: str) -> Target:
    """Return the target if it speaks OCPP 2.0.1; raise ServiceError naming what 1.6 offers instead."""
    if target.version != "2.0.1":
        raise ServiceError(
            f"{target.charge_box_id} speaks OCPP {target.version}, which has no {what}: use Read configuration."
        )
    return target


def triggers(version: str | None) -> tuple[str, ...]:
    """Return the messages a charger of this OCPP version can be asked to send (both versions' when unknown)."""
    if version in TRIGGERS:
        return TRIGGERS[version]
    return tuple(dict.fromkeys(TRIGGERS["1.6"] + TRIGGERS["2.0.1"]))


def check_trigger(message: str, version: str | None) -> str:
    """Return a message name the charger's version can trigger; raise ServiceError naming the choices."""
    allowed = triggers(version)
    if message not in allowed:
        raise ServiceError(f"Choose a message to trigger: one of {', '.join(allowed)}.", field="message")
    return message


def check_key(key: str, version: str | None, field: str = "key") -> str:
    """Return a configuration key stripped; raise ServiceError (about `field`) for one no charger could know."""
    key = (key or "").strip()
    if not key:
        raise ServiceError("Enter a configuration key.", field=field)
    if not (key.isascii() and key.isprintable()) or " " in key:
        raise ServiceError(
            f"A configuration key is letters, digits and punctuation without spaces, not {key[:60]!r}.", field=field
        )
    parts = [key] if version == "1.6" else key.split(".", 1)
    if any(len(part) > MAX_KEY for part in parts):
        name = "A configuration key" if version == "1.6" else "A key (or each half of Component.Variable)"
        raise ServiceError(f"{name} is at most {MAX_KEY} characters.", field=field)
    return key


def check_keys(text: str, version: str | None) -> list[str]:
    """Return the keys listed in `text` (commas or spaces between them; none: all); raise ServiceError."""
    keys = list(dict.fromkeys(text.replace(",", " ").split()))
    if len(keys) > MAX_KEYS:
        raise ServiceError(f"Read at most {MAX_KEYS} keys at once (or none for all of them).", field="keys")
    return [check_key(key, version, field="keys") for key in keys]


def check_value(value: str, version: str | None) -> str:
    """Return a configuration value; raise ServiceError for one too long or holding control characters."""
    value = value or ""
    limit = MAX_VALUE.get(version or "", max(MAX_VALUE.values()))
    if len(value) > limit:
        raise ServiceError(f"A configuration value is at most {limit} characters.", field="value")
    if not value.isprintable():
        raise ServiceError(
            "A configuration value cannot contain control characters (line breaks, tabs, NUL).", field="value"
        )
    return value
