"""The forms of the commands an admin sends a charger from its page.

Each form's `arguments(charger)` returns the command's arguments, or raises ServiceError naming the field at fault;
what is refused is said in the page's result area, where the charger's answer would be.
"""

from ...models import Charger
from ...services import ServiceError, commands, device_model, variables
from ..helpers import record_id
from . import PostForm, RecordIdField, text


def connector(charger: Charger, raw: str, required: bool) -> int | None:
    """Return the connector chosen, one the charger has (None, if not `required`: the whole charger)."""
    if not raw and not required:
        return None
    number = _number(raw)
    known = sorted(c.connector_id for c in charger.connectors if c.connector_id > 0)
    if number < 1 or (known and number not in known):
        reports = f" ({charger.charge_box_id} reports {', '.join(map(str, known))})" if known else ""
        raise ServiceError(f"Choose one of the charger's connectors{reports}.", field="connector_id")
    return number


def place(charger: Charger, raw: str, required: bool, evse_only: bool = False) -> dict:
    """Return where a command acts as its arguments: a 1.6 connector, or a 2.0.1 EVSE ("1") or connector ("1.2").

    Empty: {} (the whole charger) unless `required`. On 2.0.1 a connector is required only where OCPP asks for one
    (unlock: "1" is the EVSE's connector 1); a start names the EVSE alone. Raises ServiceError naming connector_id.
    """
    if charger.ocpp_version != "2.0.1":
        number = connector(charger, raw, required)
        return {} if number is None else {"connector_id": number}
    if not raw and not required:
        return {}
    evse, _, number = (raw or "").partition(".")
    evse_id, connector_id = _number(evse), _number(number) if number else None
    known = [c for c in charger.connectors if c.evse_id is not None]
    evses, connectors = sorted({str(c.evse_id) for c in known}), [c.choice for c in known]
    if evse_only:
        connector_id = None
    elif required and connector_id is None:
        connector_id = 1
    chosen, choices = (f"{evse_id}.{connector_id}", connectors) if connector_id is not None else (str(evse_id), evses)
    if evse_id < 1 or connector_id == 0 or (known and chosen not in choices):
        what = "EVSEs" if evse_only else "connectors"
        listed = evses if evse_only else connectors
        reports = f" ({charger.charge_box_id} reports {', '.join(listed)})" if known else ""
        raise ServiceError(f"Choose one of the charger's {what}{reports}.", field="connector_id")
    return {"evse_id": evse_id, **({"connector_id": connector_id} if connector_id else {})}


def _number(raw: str) -> int:
    """Return a record number typed in a form (0 when it is none)."""
    try:
        return record_id(raw)
    except ValueError:
        return 0


class CommandForm(PostForm):
    """A command without arguments (clear the cache)."""

    def arguments(self, charger: Charger) -> dict:
        """Return the command's arguments; raise ServiceError naming the field at fault."""
        return {}


class StartForm(CommandForm):
    """Start charging for a user, on a connector or (none) the one the charger picks."""

    user_id = RecordIdField()
    connector_id = text()

    def arguments(self, charger: Charger) -> dict:
        """Return the user and connector."""
        if self.user_id.data is None:
            raise ServiceError("Choose the user to charge for.", field="user_id")
        return {"user_id": self.user_id.data, **place(charger, self.connector_id.data, False, evse_only=True)}


class StopForm(CommandForm):
    """Stop a transaction running on the charger."""

    transaction_id = RecordIdField()

    def arguments(self, charger: Charger) -> dict:
        """Return the transaction to stop."""
        if self.transaction_id.data is None:
            raise ServiceError("Choose the transaction to stop.", field="transaction_id")
        return {"transaction_id": self.transaction_id.data}


class ResetForm(CommandForm):
    """Reset the charger: Soft, or Hard (once confirmed: web.helpers.confirmed reads the form's `confirmed`)."""

    kind = text(default="Soft")

    def arguments(self, charger: Charger) -> dict:
        """Return the kind of reset."""
        if self.kind.data not in commands.RESET_KINDS:
            raise ServiceError("A reset is Soft or Hard.", field="kind")
        return {"kind": self.kind.data}


class UnlockForm(CommandForm):
    """Release the cable of one connector."""

    connector_id = text()

    def arguments(self, charger: Charger) -> dict:
        """Return the connector, which is required (and its EVSE, on 2.0.1)."""
        return place(charger, self.connector_id.data, True)


class TriggerForm(CommandForm):
    """Ask the charger to send a message now, maybe about one connector."""

    message = text()
    connector_id = text()

    def arguments(self, charger: Charger) -> dict:
        """Return the message (one the charger's OCPP version knows) and the connector, if any."""
        message = commands.check_trigger(self.message.data, charger.ocpp_version)
        return {"message": message, **place(charger, self.connector_id.data, False)}


class ReadConfigurationForm(CommandForm):
    """Read some configuration keys (commas or spaces between them), or all."""

    keys = text()

    def arguments(self, charger: Charger) -> dict:
        """Return the keys to read (None: all)."""
        return {"keys": commands.check_keys(self.keys.data, charger.ocpp_version) or None}


class ChangeConfigurationForm(CommandForm):
    """Change one configuration key."""

    key = text()
    value = text()

    def arguments(self, charger: Charger) -> dict:
        """Return the key and its new value."""
        version = charger.ocpp_version
        return {
            "key": commands.check_key(self.key.data, version),
            "value": commands.check_value(self.value.data, version),
        }


def evse(charger: Charger, raw: str) -> int | None:
    """Return the EVSE chosen for a variable (None: the station's own), one the charger reported."""
    if not raw:
        return None
    try:
        return connector(charger, raw, True)
    except ServiceError as exc:
        raise ServiceError(str(exc).replace("connectors", "EVSEs"), field="evse_id") from None


class GetVariablesForm(CommandForm):
    """Read 2.0.1 variables: Component.Variable names (commas or spaces between them), an attribute, an EVSE."""

    names = text()
    attribute_type = text(default="Actual")
    evse_id = text()

    def arguments(self, charger: Charger) -> dict:
        """Return the names, attribute and EVSE; raise ServiceError for a name no station could know."""
        args = {"attribute_type": self.attribute_type.data, "evse_id": evse(charger, self.evse_id.data)}
        variables.parse_many(self.names.data, **args)
        return {"names": self.names.data, **args}


class SetVariableForm(CommandForm):
    """Set one 2.0.1 variable's attribute."""

    name = text()
    value = text()
    attribute_type = text(default="Actual")
    evse_id = text()

    def arguments(self, charger: Charger) -> dict:
        """Return the variable, its new value, the attribute and the EVSE; raise ServiceError for a bad one."""
        args = {"attribute_type": self.attribute_type.data, "evse_id": evse(charger, self.evse_id.data)}
        variables.parse(self.name.data, "name", **args)
        return {"name": self.name.data, "value": variables.check_value(self.value.data), **args}


class BaseReportForm(CommandForm):
    """Ask for the station's device model: FullInventory or ConfigurationInventory."""

    base = text(default="FullInventory")

    def arguments(self, charger: Charger) -> dict:
        """Return the report base; raise ServiceError for one stations do not know."""
        return {"base": device_model.check_base(self.base.data)}
