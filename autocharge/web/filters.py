"""How the screens show times, durations and energy."""

from datetime import datetime, timedelta

from ..db import utcnow
from ..services.unknown import mask, mask_tag


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """Return how long ago `when` (naive UTC) was, in words a person reads at a glance."""
    if when is None:
        return "never"
    seconds = int(((now or utcnow()) - when).total_seconds())
    if seconds < 5:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def duration(delta: timedelta | None) -> str:
    """Return a duration as "1 h 05 min", "12 min 30 s" or "45 s"."""
    if delta is None:
        return ""
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def kwh(energy_wh: float | None) -> str:
    """Return watt-hours as kWh with three decimals (what a meter shows)."""
    if energy_wh is None:
        return ""
    return f"{energy_wh / 1000:.3f}"


def timestamp(when: datetime | None) -> str:
    """Return a naive UTC datetime as "2025-01-31 14:05:09"."""
    return when.strftime("%Y-%m-%d %H:%M:%S") if when else ""


FILTERS = {
    "ago": ago,
    "duration": duration,
    "kwh": kwh,
    "timestamp": timestamp,
    "masked_identifier": mask,  # what a viewer sees of personal identifiers
    "masked_tag": mask_tag,
}
