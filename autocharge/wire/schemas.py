"""The OCPP JSON schemas shipped with the `ocpp` package, compiled once with jsonschema-rs, and the CallError code
for each way a payload can break them.

The one schema loader of the back office and the simulator, kept because it is the faster: jsonschema-rs builds a
validator in Rust once per schema, where the `ocpp` package's own check (jsonschema's Draft4Validator) interprets the
schema in Python for every message. bench/ocpp_codec.py times both. fastjsonschema, used before, generated Python
code whose cost grew with every enum and property: 7 us for a MeterValues with two sampled values, against 1.3 us.
"""

import json
import os
from functools import cache

import jsonschema_rs
import ocpp

SCHEMAS = os.path.join(os.path.dirname(ocpp.__file__), "{folder}", "schemas")
FOLDERS = {"1.6": "v16", "2.0.1": "v201"}
# OCPP 1.6 names request schemas <Action>.json, 2.0.1 <Action>Request.json.
SUFFIXES = {"1.6": "", "2.0.1": "Request"}


class Violation(Exception):
    """A payload broke its action's schema: `code` is the CallError code to answer with."""

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


# Which CallError each JSON-schema keyword maps to. Missing required fields: OCPP 1.6 calls an
# incomplete payload ProtocolError; 2.0.1 has OccurrenceConstraintViolation for exactly this
# (ProtocolError there means "not conform the PDU structure"). 1.6 spells "Occurence" with one r.
CODES = {
    "1.6": {
        "required": "ProtocolError",
        "minItems": "OccurenceConstraintViolation",
        "maxItems": "OccurenceConstraintViolation",
        "additionalProperties": "FormationViolation",
        "default": "FormationViolation",
    },
    "2.0.1": {
        "required": "OccurrenceConstraintViolation",
        "minItems": "OccurrenceConstraintViolation",
        "maxItems": "OccurrenceConstraintViolation",
        "additionalProperties": "FormatViolation",
        "default": "FormatViolation",
    },
}
SHARED = {
    "type": "TypeConstraintViolation",
    "maxLength": "TypeConstraintViolation",
    "minLength": "TypeConstraintViolation",
    "enum": "PropertyConstraintViolation",
    "pattern": "PropertyConstraintViolation",
    "format": "PropertyConstraintViolation",
    "minimum": "PropertyConstraintViolation",
    "maximum": "PropertyConstraintViolation",
    "exclusiveMinimum": "PropertyConstraintViolation",
    "exclusiveMaximum": "PropertyConstraintViolation",
    "multipleOf": "PropertyConstraintViolation",
}


@cache
def known_actions(version: str) -> frozenset[str]:
    """Return every action of this OCPP version, either way (one per request schema shipped)."""
    folder = SCHEMAS.format(folder=FOLDERS[version])
    suffix = SUFFIXES[version] + ".json"
    names = (name[: -len(suffix)] for name in os.listdir(folder) if name.endswith(suffix))
    return frozenset(name for name in names if not name.endswith("Response"))


def schema_name(version: str, action: str, response: bool = False) -> str:
    """Return the schema file name (without .json) of an action's request or response."""
    return f"{action}Response" if response else f"{action}{SUFFIXES[version]}"


@cache
def validator(version: str, action: str, response: bool = False) -> jsonschema_rs.Validator | None:
    """Return the validator of an action's request or response (None if the version has no such action)."""
    if not action.isalnum():  # an action name from the wire must not become a path
        return None
    path = os.path.join(SCHEMAS.format(folder=FOLDERS[version]), schema_name(version, action, response) + ".json")
    if not os.path.exists(path):
        return None
    # The 2.0.1 schema files start with a byte order mark.
    with open(path, encoding="utf-8-sig") as f:
        schema = json.load(f)
    schema.pop("$id", None)
    schema.pop("id", None)  # 1.6 "urn:OCPP:..." ids are not resolvable URIs
    # Formats (date-time) are assertions, as OCPP means them: jsonschema-rs's default for drafts 4 and 6, said here
    # because later drafts only annotate.
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def code_for(version: str, rule: str | None) -> str:
    """Return the CallError code for a violated JSON-schema keyword."""
    per_version = CODES[version]
    return per_version.get(rule) or SHARED.get(rule) or per_version["default"]


def validate(version: str, action: str, payload: dict, response: bool = False) -> None:
    """Check a request (or response) payload against its schema; raise Violation with the CallError code."""
    check = validator(version, action, response)
    if check is None:
        raise Violation("NotImplemented", f"OCPP {version} has no action {action[:60]}.")
    try:
        if check.is_valid(payload):  # the usual case: no error object built
            return
        check.validate(payload)
    except jsonschema_rs.ValidationError as exc:
        raise Violation(code_for(version, _keyword(exc)), _describe(exc)) from None
    except ValueError as exc:  # a value jsonschema-rs cannot read (not JSON): no schema accepts it
        raise Violation(code_for(version, "type"), f"payload {str(exc)[:200]}") from None


def _keyword(exc: jsonschema_rs.ValidationError) -> str | None:
    """Return the JSON-schema keyword a payload broke (the last step of the path into the schema)."""
    path = exc.schema_path
    return str(path[-1]) if path else None


# How a broken keyword reads, filled with the details jsonschema-rs gives (ValidationErrorKind.as_dict()).
_RULES = {
    "required": "must contain {property}",
    "additionalProperties": "must not contain {unexpected}",
    "type": "must be {types}",
    "maxLength": "must be at most {limit} characters long",
    "minLength": "must be at least {limit} characters long",
    "maxItems": "must have at most {limit} items",
    "minItems": "must have at least {limit} items",
    "enum": "must be one of {options}",
    "format": "must be a {format}",
}


def _describe(exc: jsonschema_rs.ValidationError) -> str:
    """Return a short description naming the offending field (its JSON path in the payload) and the rule broken.

    Never the offending value: descriptions are logged and kept with the charger's events, and a value may be an
    identifier (personal data). Names of unexpected properties are keys, not values.
    """
    steps = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in exc.instance_path)
    where = steps.lstrip(".") or "payload"
    keyword = _keyword(exc)
    details = {
        name: (" or " if name == "types" else ", ").join(map(str, value)) if isinstance(value, list) else value
        for name, value in exc.kind.as_dict().items()
    }
    try:
        rule = _RULES[keyword].format(**details)
    except (KeyError, IndexError):  # a keyword without a wording here, or details of another shape
        rule = f"breaks the schema's {keyword} rule"
    return f"{where} {rule}"[:255]
