"""A session's power and energy over time as a self-contained, server-rendered SVG (no JavaScript).

Give it MeterSample rows (or (timestamp, energy_wh, power_w) tuples) in any order; it returns Markup a
template can place as is. Energy is plotted from the session's start (meter_start, or the first reading) to its
stop reading (meterStop / Transaction.End), so the chart ends where the transaction's Energy does; a reading without
power gets the mean power since the previous reading, from the energy register.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 64, 30, 40  # room for the axes' labels and the legend
POWER_COLOUR, ENERGY_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#1d4ed8", "#b45309", "#e5e7eb", "#374151"
TIME_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
MAX_TIME_TICKS = 7


@dataclass(frozen=True)
class Point:
    """One reading in chart units: when, power in kW, energy in kWh since the session started."""

    at: datetime
    power_kw: float | None
    energy_kwh: float | None


@dataclass(frozen=True)
class Scale:
    """A linear map from data values to pixels."""

    low: float
    high: float
    start: float  # pixel of `low`
    end: float  # pixel of `high`
    ticks: tuple[float, ...] = ()

    def __call__(self, value: float) -> float:
        """Return the pixel of `value`."""
        span = self.high - self.low
        return self.start + (value - self.low) / span * (self.end - self.start) if span else self.start


def session_chart(
    samples: Iterable,
    meter_start: float | None = None,
    chart_id: str = "session-chart",
    stop: tuple[datetime | None, float | None] = (None, None),
) -> Markup:
    """Return the SVG chart (720x260) of a session's power (kW) and energy (kWh) readings and its stop reading."""
    points = to_points(samples, meter_start, stop)
    title = "Power and energy over the session"
    if not points:
        return _svg(
            chart_id,
            title,
            "No meter values were recorded for this session.",
            [_text(WIDTH / 2, HEIGHT / 2, "No meter values recorded", anchor="middle")],
        )
    t0 = points[0].at
    seconds = [(p.at - t0).total_seconds() for p in points]
    x = Scale(0, seconds[-1], LEFT, WIDTH - RIGHT)
    y_power = _value_scale([p.power_kw for p in points])
    y_energy = _value_scale([p.energy_kwh for p in points])
    parts = _grid_and_axes(t0, seconds[-1], x, y_power, y_energy)
    parts += _series(seconds, [p.power_kw for p in points], x, y_power, POWER_COLOUR, "power", None)
    parts += _series(seconds, [p.energy_kwh for p in points], x, y_energy, ENERGY_COLOUR, "energy", "6 3")
    parts += _legend()
    return _svg(chart_id, title, describe(points), parts)


def to_points(
    samples: Iterable, meter_start: float | None = None, stop: tuple[datetime | None, float | None] = (None, None)
) -> list[Point]:
    """Return the readings and the stop reading sorted by time, one per timestamp, energy from the start, power filled."""
    by_time: dict[datetime, tuple[float | None, float | None]] = {}
    for sample in samples:
        at, energy_wh, power_w = _fields(sample)
        if at is not None and (energy_wh is not None or power_w is not None):
            by_time[at] = (energy_wh, power_w)  # a repeated timestamp: the later reading wins
    stop_time, meter_stop = stop
    if stop_time is not None and meter_stop is not None:
        # The register the transaction's energy was taken from; a sample at the same time keeps its power.
        by_time[stop_time] = (meter_stop, by_time.get(stop_time, (None, None))[1])
    times = sorted(by_time)
    energies = [by_time[t][0] for t in times]
    powers = [by_time[t][1] for t in times]
    base = meter_start if meter_start is not None else next((e for e in energies if e is not None), 0.0)
    derived = _derived_power(times, energies)
    points = []
    for t, energy, power, fallback in zip(times, energies, powers, derived, strict=True):
        power = power if power is not None else fallback
        points.append(
            Point(
                t, power / 1000 if power is not None else None, (energy - base) / 1000 if energy is not None else None
            )
        )
    return points


def _fields(sample) -> tuple[datetime | None, float | None, float | None]:
    """Return (timestamp, energy_wh, power_w) of a MeterSample-like object or a tuple."""
    if hasattr(sample, "timestamp"):
        return sample.timestamp, sample.energy_wh, sample.power_w
    at, energy_wh, power_w = sample
    return at, energy_wh, power_w


MIN_RATE_SECONDS = 30


def _derived_power(times: list[datetime], energies: list[float | None]) -> list[float | None]:
    """Return, per reading, the mean power in W since the previous energy reading (the next one for the first)."""
    known = [(t, e) for t, e in zip(times, energies, strict=True) if e is not None]
    rates: dict[datetime, float] = {}
    base = known[0] if known else None
    for t2, e2 in known[1:]:
        seconds = (t2 - base[0]).total_seconds()
        # Meter registers count whole Wh: over a few seconds one Wh step reads as megawatts, so a
        # reading too close to the last one gets no derived power rather than a spike.
        if seconds < MIN_RATE_SECONDS:
            continue
        rates[t2] = max(0.0, (e2 - base[1]) / (seconds / 3600))
        base = (t2, e2)
    if rates:
        rates[known[0][0]] = next(iter(rates.values()))
    return [rates.get(t) for t in times]


def describe(points: list[Point]) -> str:
    """Return a one-sentence summary of the chart for screen readers."""
    powers = [p.power_kw for p in points if p.power_kw is not None]
    energies = [p.energy_kwh for p in points if p.energy_kwh is not None]
    start, end = points[0].at, points[-1].at
    parts = []
    if powers:
        parts.append(f"power peaked at {_number(max(powers))} kW")
    if energies:
        parts.append(f"{energies[-1]:.3f} kWh delivered")  # as the transaction's Energy shows it
    summary = " and ".join(parts) or "no power or energy values"
    summary = summary[0].upper() + summary[1:]
    span = (
        f"from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC" if end > start else f"at {start:%Y-%m-%d %H:%M} UTC"
    )
    count = len(points)
    return f"{summary}, {span} ({count} reading{'s' if count != 1 else ''})."


def _value_scale(values: list[float | None]) -> Scale:
    """Return a vertical scale with round ticks from 0 (or below, for negative values) to at or above the maximum."""
    known = [v for v in values if v is not None] or [0.0]
    low, high = min(min(known), 0.0), max(max(known), 0.0)
    step = _nice_step((high - low) / 5) if high > low else 0.2
    low = math.floor(low / step + 1e-9) * step
    high = max(math.ceil(high / step - 1e-9) * step, low + step)
    count = round((high - low) / step)
    return Scale(low, high, HEIGHT - BOTTOM, TOP, tuple(low + k * step for k in range(count + 1)))


def _nice_step(raw: float) -> float:
    """Return the round number at or above `raw` among 1, 2, 2.5, 5 times a power of ten."""
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw - 1e-12)


def _number(value: float) -> str:
    """Format a value for a label: fewer decimals for bigger values, no trailing zeros."""
    decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _time_ticks(t0: datetime, span: float) -> tuple[list[float], str]:
    """Return tick positions (seconds after t0, on round UTC times) and the label format."""
    step = next((s for s in TIME_STEPS if span / s <= MAX_TIME_TICKS - 1), TIME_STEPS[-1])
    midnight = t0.replace(hour=0, minute=0, second=0, microsecond=0)
    offset = (t0 - midnight).total_seconds()
    first = math.ceil(offset / step) * step - offset
    ticks = [first + k * step for k in range(int((span - first) // step) + 1)] if span > 0 else [0.0]
    if step >= 86400:
        fmt = "%d %b"
    elif span > 86400 or t0.date() != (t0 + timedelta(seconds=span)).date():
        fmt = "%d %b %H:%M"
    else:
        fmt = "%H:%M"
    return ticks, fmt


def _grid_and_axes(t0: datetime, span: float, x: Scale, y_power: Scale, y_energy: Scale) -> list[str]:
    """Return the gridlines, axes, tick labels and axis titles."""
    left, right, bottom = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM
    parts = []
    # Gridlines follow the power axis; the energy axis has its own round ticks on the right.
    for power in y_power.ticks:
        y = y_power(power)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>')
        parts.append(_text(left - 6, y + 4, _number(power), anchor="end", colour=POWER_COLOUR))
    for energy in y_energy.ticks:
        y = y_energy(energy)
        parts.append(f'<line x1="{right}" y1="{y:.1f}" x2="{right + 4}" y2="{y:.1f}" stroke="{TEXT_COLOUR}"/>')
        parts.append(_text(right + 7, y + 4, _number(energy), anchor="start", colour=ENERGY_COLOUR))
    ticks, fmt = _time_ticks(t0, span)
    for tick in ticks:
        px = x(tick) if span else (left + right) / 2
        parts.append(f'<line x1="{px:.1f}" y1="{bottom}" x2="{px:.1f}" y2="{bottom + 4}" stroke="{TEXT_COLOUR}"/>')
        label = (t0 + timedelta(seconds=tick)).strftime(fmt)
        parts.append(_text(px, bottom + 16, label, anchor="middle"))
    parts.append(f'<path d="M{left} {TOP}V{bottom}H{right}V{TOP}" fill="none" stroke="{TEXT_COLOUR}"/>')
    parts.append(_text(12, TOP - 12, "Power (kW)", anchor="start", colour=POWER_COLOUR))
    parts.append(_text(WIDTH - 8, TOP - 12, "Energy (kWh)", anchor="end", colour=ENERGY_COLOUR))
    parts.append(_text((left + right) / 2, HEIGHT - 6, "Time (UTC)", anchor="middle"))
    return parts


def _series(
    seconds: list[float], values: list[float | None], x: Scale, y: Scale, colour: str, name: str, dash: str | None
) -> list[str]:
    """Return one series: a polyline, or a dot when it has a single value."""
    coords = [
        (x(s) if x.high else (LEFT + WIDTH - RIGHT) / 2, y(v))
        for s, v in zip(seconds, values, strict=True)
        if v is not None
    ]
    if not coords:
        return []
    if len(coords) == 1:
        cx, cy = coords[0]
        return [f'<circle class="{name}" cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}"/>']
    points = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
    dashing = f' stroke-dasharray="{dash}"' if dash else ""
    return [
        f'<polyline class="{name}" points="{points}" fill="none" stroke="{colour}" stroke-width="2"'
        f' stroke-linejoin="round"{dashing}/>'
    ]


def _legend() -> list[str]:
    """Return the legend naming both series, drawn the way their lines are."""
    middle = WIDTH / 2
    return [
        f'<line x1="{middle - 120}" y1="{TOP - 16}" x2="{middle - 96}" y2="{TOP - 16}" stroke="{POWER_COLOUR}"'
        ' stroke-width="2"/>',
        _text(middle - 90, TOP - 12, "Power", anchor="start"),
        f'<line x1="{middle + 10}" y1="{TOP - 16}" x2="{middle + 34}" y2="{TOP - 16}" stroke="{ENERGY_COLOUR}"'
        ' stroke-width="2" stroke-dasharray="6 3"/>',
        _text(middle + 40, TOP - 12, "Energy delivered", anchor="start"),
    ]


def _text(x: float, y: float, content: str, anchor: str = "start", colour: str = TEXT_COLOUR) -> str:
    """Return an escaped SVG text element."""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}">{escape(content)}</text>'


def _svg(chart_id: str, title: str, description: str, parts: list[str]) -> Markup:
    """Wrap the parts in an accessible SVG root with a title and a description."""
    ident = escape(chart_id)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="session-chart" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{ident}-title {ident}-desc"'
        ' font-family="system-ui, sans-serif" font-size="11">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>'
    )
    return Markup(head + "".join(parts) + "</svg>")
