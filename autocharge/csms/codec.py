"""Converting OCPP payloads: camelCase JSON <-> snake_case keyword arguments, dataclasses -> JSON, timestamps."""

import dataclasses
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Keys whose OCPP spelling the plain rule gets wrong, both ways.
_TO_CAMEL_SPECIAL = {"soc": "SoC", "ocpp_csms_url": "ocppCsmsUrl"}


@cache
def snake(key: str) -> str:
    """Return a camelCase OCPP key in snake_case (idTag -> id_tag, SoC -> soc)."""
    if key == "SoC":
        return "soc"
    return _CAMEL.sub("_", key).lower()


@cache
def camel(key: str) -> str:
    """Return a snake_case key in OCPP's camelCase (id_tag_info -> idTagInfo)."""
    if key in _TO_CAMEL_SPECIAL:
        return _TO_CAMEL_SPECIAL[key]
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_kwargs(data: Any) -> Any:
    """Return a decoded OCPP payload with every dict key in snake_case."""
    if isinstance(data, dict):
        return {snake(k): to_kwargs(v) for k, v in data.items()}
    if isinstance(data, list):
        return [to_kwargs(v) for v in data]
    return data


def to_payload(value: Any) -> Any:
    """Return an ocpp dataclass (or dict) as a JSON-ready camelCase payload, leaving out None fields."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
        return {camel(k): to_payload(v) for k, v in items if v is not None}
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
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
