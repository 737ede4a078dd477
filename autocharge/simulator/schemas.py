"""The OCPP JSON schemas shipped with the `ocpp` package, compiled once with fastjsonschema."""

import json
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp

from .link import SimulatorError

SCHEMA_DIRS = {"1.6": "v16", "2.0.1": "v201"}


class SchemaViolation(SimulatorError):
    """A payload that its OCPP JSON schema does not allow."""


@cache
def _validator(version: str, name: str) -> Any:
    """Return the compiled validator of one schema file (None if the package has no such schema)."""
    if not name.isalnum():  # an action name from the wire must not become a path
        return None
    path = Path(ocpp.__file__).parent / SCHEMA_DIRS[version] / "schemas" / f"{name}.json"
    if not path.exists():
        return None
    # 2.0.1 schemas start with a byte order mark.
    return fastjsonschema.compile(json.loads(path.read_text(encoding="utf-8-sig")))


def schema_name(version: str, action: str, response: bool) -> str:
    """Return the schema file name of an action's request or response for an OCPP version."""
    if response:
        return f"{action}Response"
    return action if version == "1.6" else f"{action}Request"


def validate(version: str, action: str, payload: dict, response: bool = False) -> None:
    """Raise SchemaViolation unless `payload` is a valid request (or response) of `action`."""
    validator = _validator(version, schema_name(version, action, response))
    if validator is None:
        raise SchemaViolation(f"OCPP {version} has no action {action}.")
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaException as exc:
        kind = "response" if response else "request"
        raise SchemaViolation(f"Invalid {action} {kind}: {exc.message}") from exc


def is_action(version: str, action: str) -> bool:
    """Tell whether `action` exists in an OCPP version."""
    return _validator(version, schema_name(version, action, False)) is not None
