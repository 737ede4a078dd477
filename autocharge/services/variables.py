"""OCPP 2.0.1 variables as people name them on the charger page, checked before GetVariables / SetVariables.

A variable is named `Component.Variable`; an instance follows its name after a colon
(`EVSE.Power`, `OCPPCommCtrlr.MessageTimeout:Default`, `Connector:2.Enabled`), and the EVSE is chosen apart.
"""

from dataclasses import dataclass

from . import ServiceError

ATTRIBUTE_TYPES = ("Actual", "Target", "MinSet", "MaxSet")
MAX_NAME = 50  # component and variable names and instances are CiString50
MAX_VALUE = 1000  # SetVariables' attributeValue
MAX_READ = 20  # variables read at once: stations cap GetVariables (DeviceDataCtrlr ItemsPerMessage)


@dataclass(frozen=True)
class VariableRef:
    """One variable of one component, maybe of an EVSE, and which of its attributes."""

    component: str
    variable: str
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    attribute_type: str = "Actual"

    @property
    def label(self) -> str:
        """Return the variable as people write it (with its EVSE and attribute when not the usual ones)."""
        name = _joined(self.component, self.component_instance) + "." + _joined(self.variable, self.variable_instance)
        if self.evse_id:
            name += f" (EVSE {self.evse_id})"
        return name if self.attribute_type == "Actual" else f"{name} {self.attribute_type}"


def parse(text: str, field: str, evse_id: int | None = None, attribute_type: str = "Actual") -> VariableRef:
    """Return the variable `text` names; raise ServiceError (about `field`) for a name no station could know."""
    text = (text or "").strip()
    component, dot, variable = text.partition(".")
    if not (dot and component and variable):
        raise ServiceError(
            f"Name a variable as Component.Variable (e.g. OCPPCommCtrlr.HeartbeatInterval), not {text[:60]!r}.",
            field=field,
        )
    if attribute_type not in ATTRIBUTE_TYPES:
        raise ServiceError(f"The attribute is one of {', '.join(ATTRIBUTE_TYPES)}.", field="attribute_type")
    c_name, c_instance = _split(component, field)
    v_name, v_instance = _split(variable, field)
    return VariableRef(c_name, v_name, c_instance, v_instance, evse_id, attribute_type)


def parse_many(text: str, evse_id: int | None = None, attribute_type: str = "Actual") -> list[VariableRef]:
    """Return the variables listed in `text` (commas or spaces between them); raise ServiceError about `names`."""
    names = list(dict.fromkeys((text or "").replace(",", " ").split()))
    if not names:
        raise ServiceError("Name at least one variable as Component.Variable.", field="names")
    if len(names) > MAX_READ:
        raise ServiceError(f"Read at most {MAX_READ} variables at once.", field="names")
    return [parse(name, "names", evse_id, attribute_type) for name in names]


def check_value(value: str) -> str:
    """Return a value to set; raise ServiceError for one too long or holding control characters."""
    value = value or ""
    if len(value) > MAX_VALUE:
        raise ServiceError(f"A value is at most {MAX_VALUE} characters.", field="value")
    if not value.isprintable():
        raise ServiceError("A value cannot contain control characters (line breaks, tabs, NUL).", field="value")
    return value


def _split(part: str, field: str) -> tuple[str, str | None]:
    """Return a name and its instance (after a colon); raise ServiceError for one too long or with odd characters."""
    name, colon, instance = part.partition(":")
    for piece in (name, instance) if colon else (name,):
        if not piece or not (piece.isascii() and piece.isprintable()) or " " in piece:
            raise ServiceError(
                f"Names are letters, digits and punctuation without spaces, not {part[:60]!r}.", field=field
            )
        if len(piece) > MAX_NAME:
            raise ServiceError(f"Each name and instance is at most {MAX_NAME} characters.", field=field)
    return name, instance if colon else None


def _joined(name: str, instance: str | None) -> str:
    return f"{name}:{instance}" if instance else name
