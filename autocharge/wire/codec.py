"""OCPP-J frames and payloads: camelCase JSON <-> snake_case keyword arguments, dataclasses -> JSON, timestamps.

The one codec of the back office and the simulator, kept because it is the faster of the two we had: the `ocpp`
package's way (serialize_as_dict, snake_to_camel_case and remove_nones, then Call.to_json; unpack and
camel_to_snake_case back) copies each payload twice and runs a dozen string replaces and two regular expressions per
key, where this one walks the payload once with cached key conversions. bench/ocpp_codec.py times both: 14 against
84 us of CPU to encode a message, 6 against 39 us to decode it.
"""

import dataclasses
import json
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson

CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# The schemas' keys that the plain rule spells wrong, as the `ocpp` package's dataclasses name them
# (tests/wire/test_codec.py tries every key of every schema).
_TO_CAMEL_SPECIAL = {"soc": "SoC", "bulk_soc": "bulkSoC", "full_soc": "fullSoC", "responder_url": "responderURL"}
_TO_SNAKE_SPECIAL = {value: key for key, value in _TO_CAMEL_SPECIAL.items()}


def call_frame(unique_id: str, action: str, payload: Any) -> str:
    """Return a Call frame as compact JSON."""
    return dumps([CALL, unique_id, action, payload])


def result_frame(unique_id: str, payload: Any) -> str:
    """Return a CallResult frame as compact JSON."""
    return dumps([CALL_RESULT, unique_id, payload])


def error_frame(unique_id: str, code: str, description: str, details: dict | None = None) -> str:
    """Return a CallError frame as compact JSON (the description cut to 255 characters)."""
    return dumps([CALL_ERROR, unique_id, code, description[:255], details or {}])


def dumps(value: Any) -> str:
    """Return a value as compact JSON text: orjson (~20x faster), else the json module (integers past 64 bits).

    Frames are read by loads() below: orjson only where it reads them as the json module does.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"))


class _SnakeKeys(dict):
    """camelCase key -> snake_case key, filled on first use; a charger's invented keys (2.0.1 customData) are
    converted but not kept once it holds MAX_KEYS."""

    MAX_KEYS = 10_000

    def __missing__(self, key: str) -> str:
        value = _TO_SNAKE_SPECIAL[key] if key in _TO_SNAKE_SPECIAL else _CAMEL.sub("_", key).lower()
        if len(self) < self.MAX_KEYS:
            self[key] = value
        return value


_SNAKE = _SnakeKeys()


def snake(key: str) -> str:
    """Return a camelCase OCPP key in snake_case (idTag -> id_tag, SoC -> soc)."""
    return _SNAKE[key]


# A run of 20 digits: the only numbers orjson reads otherwise than the json module (past 64 bits, a float).
_DIGITS = bytes(0x39 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_NUMBER = b"9" * 20


def loads(text: str | bytes) -> Any:
    """Return a frame's JSON decoded exactly as the json module decodes it, by orjson when that gives the same.

    orjson is ~3x faster. It reads an integer past 64 bits as a float, which a 2.0.1 schema would then accept as an
    integer, so a text holding 20 digits in a row goes to the json module; so does one orjson refuses (the json
    module's error, or what only it reads: NaN, lone surrogates, nesting past 1,024 levels).
    """
    try:
        raw = text.encode() if isinstance(text, str) else bytes(text)
    except UnicodeEncodeError:
        return json.loads(text)
    if _LONG_NUMBER not in raw.translate(_DIGITS):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


@cache
def camel(key: str) -> str:
    """Return a snake_case key in OCPP's camelCase (id_tag_info -> idTagInfo)."""
    if key in _TO_CAMEL_SPECIAL:
        return _TO_CAMEL_SPECIAL[key]
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_kwargs(data: Any) -> Any:
    """Return a decoded OCPP payload with every dict key in snake_case."""
    kind = type(data)
    if kind is dict:
        return _snake_dict(data)
    if kind is list:
        return _snake_list(data)
    return data


# Only objects and arrays are walked into, in loops rather than a call per value: most values are strings and
# numbers (the calls were half the cost of a MeterValues payload).


def _snake_dict(data: dict) -> dict:
    """Return a decoded JSON object with its keys, and those of the objects inside, in snake_case."""
    keys, converted = _SNAKE, {}
    for key, value in data.items():
        kind = type(value)
        if kind is dict:
            value = _snake_dict(value)
        elif kind is list:
            value = _snake_list(value)
        converted[keys[key]] = value
    return converted


def _snake_list(data: list) -> list:
    """Return a decoded JSON array with the keys of the objects in it in snake_case."""
    converted = []
    for value in data:
        kind = type(value)
        if kind is dict:
            value = _snake_dict(value)
        elif kind is list:
            value = _snake_list(value)
        converted.append(value)
    return converted


@cache
def _keys(cls: type) -> tuple[tuple[str, str], ...]:
    """Return a dataclass's fields as (attribute, OCPP key) pairs."""
    return tuple((field.name, camel(field.name)) for field in dataclasses.fields(cls))


def to_payload(value: Any) -> Any:
    """Return an ocpp dataclass (or dict) as a JSON-ready camelCase payload, leaving out None fields."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool:
        return value
    if hasattr(kind, "__dataclass_fields__") and not isinstance(value, type):
        items = ((key, getattr(value, name)) for name, key in _keys(kind))
        return {key: to_payload(v) for key, v in items if v is not None}
    if isinstance(value, dict):
        return {camel(k): to_payload(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_payload(v) for v in value]
    return value


def now_iso() -> str:
    """Return the current UTC time as OCPP writes it (2024-05-01T12:00:00.000Z)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    """Return an OCPP timestamp as a naive UTC datetime (None if absent or unreadable)."""
    if not text:
        return None
    try:
        # Chargers write UTC with a Z: read without it, the value is naive already (converting costs ~1 us).
        value = datetime.fromisoformat(text[:-1] if text[-1] == "Z" else text)
    except (ValueError, TypeError):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
