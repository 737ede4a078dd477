"""Reading OCPP meterValue lists (1.6 and 2.0.1 shapes) into the back office's meter samples."""

from ..services.transactions import Sample
from ..wire.codec import parse_time

# Measurand -> (Sample field, unit assumed when none is given). 1.6 defaults the measurand to the
# energy register when a sampledValue omits it.
MEASURANDS = {
    "Energy.Active.Import.Register": ("energy_wh", "Wh"),
    "Power.Active.Import": ("power_w", "W"),
    "SoC": ("soc", "Percent"),
}
KILO = {"kWh", "kW"}


def samples(meter_values: list[dict] | None) -> tuple[Sample, ...]:
    """Return one Sample per timestamp from snake_case meterValue dicts, merging entries that share one."""
    whole: dict = {}
    phased: dict = {}
    contexts: dict = {}  # timestamp -> context of its energy register (Transaction.Begin marks the start reading)
    for meter_value in meter_values or ():
        timestamp = parse_time(meter_value.get("timestamp"))
        if timestamp is None:
            continue
        for sampled in meter_value.get("sampled_value") or ():
            reading = _reading(sampled)
            if reading is None:
                continue
            field, value = reading
            if field == "energy_wh" and sampled.get("context"):
                contexts[timestamp] = sampled["context"]
            if sampled.get("phase"):  # per-phase values add up when no total is reported
                slot = phased.setdefault(timestamp, {})
                slot[field] = slot.get(field, 0.0) + value
            else:
                whole.setdefault(timestamp, {})[field] = value
    result = []
    for timestamp in sorted(whole.keys() | phased.keys()):
        values = {**phased.get(timestamp, {}), **whole.get(timestamp, {})}
        result.append(Sample(timestamp, **values, context=contexts.get(timestamp)))
    return tuple(result)


def _reading(sampled: dict) -> tuple[str, float] | None:
    """Return (Sample field, value in Wh/W/%) of one sampledValue we keep, or None."""
    known = MEASURANDS.get(sampled.get("measurand") or "Energy.Active.Import.Register")
    if known is None:
        return None
    field, default_unit = known
    try:
        value = float(sampled["value"])  # 1.6 sends a string (maybe signed data), 2.0.1 a number
    except (KeyError, TypeError, ValueError):
        return None
    unit_of_measure = sampled.get("unit_of_measure") or {}
    unit = sampled.get("unit") or unit_of_measure.get("unit") or default_unit
    multiplier = unit_of_measure.get("multiplier") or 0
    if multiplier:
        value *= 10.0**multiplier
    if unit in KILO:
        value *= 1000.0
    return field, value
