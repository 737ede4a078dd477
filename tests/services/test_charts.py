"""The session chart: a self-contained SVG of power and energy over time."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from autocharge.models import MeterSample
from autocharge.services import charts

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 3, 14, 9, 55)


def parse(svg: str) -> ET.Element:
    """Parse the chart (failing the test if it is not well-formed XML)."""
    return ET.fromstring(str(svg))


def polyline(root: ET.Element, name: str) -> list[tuple[float, float]]:
    """Return the points of the series' polyline."""
    (line,) = [e for e in root.iter(f"{SVG}polyline") if e.get("class") == name]
    return [tuple(float(v) for v in pair.split(",")) for pair in line.get("points").split()]


def session(count: int = 13, step_minutes: int = 10, with_power: bool = True) -> list[tuple]:
    """Return readings of a session charging at ~22 kW then tapering."""
    rows, energy = [], 1_250_000.0
    for k in range(count):
        power = 22000.0 if k < count - 3 else 22000.0 * (count - k) / 4
        rows.append((T0 + timedelta(minutes=step_minutes * k), energy, power if with_power else None))
        energy += power * step_minutes / 60
    return rows


def assert_inside_and_increasing(points: list[tuple[float, float]]) -> None:
    """Check every point is inside the 720x260 box and x never goes back."""
    assert points
    for x, y in points:
        assert 0 <= x <= charts.WIDTH and 0 <= y <= charts.HEIGHT
    xs = [x for x, _ in points]
    assert xs == sorted(xs)


def test_two_series_inside_the_box_and_monotonic_in_time():
    root = parse(charts.session_chart(session()))
    assert root.get("viewBox") == "0 0 720 260"
    for name in ("power", "energy"):
        points = polyline(root, name)
        assert len(points) == 13
        assert_inside_and_increasing(points)
    energy_y = [y for _, y in polyline(root, "energy")]
    assert energy_y == sorted(energy_y, reverse=True)  # energy only grows, and SVG's y grows downwards
    assert energy_y[0] == pytest.approx(charts.HEIGHT - charts.BOTTOM)  # starts at 0 kWh: from meter start


def test_unsorted_input_gives_the_same_chart():
    rows = session()
    shuffled = rows[5:] + rows[:5][::-1]
    assert charts.session_chart(shuffled) == charts.session_chart(rows)


def test_accepts_meter_sample_rows():
    samples = [MeterSample(timestamp=t, energy_wh=e, power_w=p) for t, e, p in session()]
    assert charts.session_chart(samples) == charts.session_chart(session())


def test_missing_power_is_derived_from_energy():
    root = parse(charts.session_chart(session(with_power=False)))
    points = polyline(root, "power")
    assert len(points) == 13
    assert_inside_and_increasing(points)
    readings = charts.to_points(session(with_power=False))
    assert readings[1].power_kw == pytest.approx(22.0)  # 22 kW for 10 min = 3.667 kWh
    assert readings[0].power_kw == pytest.approx(22.0)  # the first reading borrows the next interval's rate
    assert readings[-1].energy_kwh == pytest.approx(sum(p for *_, p in session()[:-1]) / 6 / 1000)


def test_readings_seconds_apart_give_no_power_spike():
    t0 = datetime(2026, 5, 1, 12, 0)
    rows = [(t0, 0, None), (t0 + timedelta(seconds=1), 1, None), (t0 + timedelta(minutes=10), 3667, None)]
    readings = charts.to_points(rows)
    assert readings[1].power_kw is None  # 1 Wh in 1 s would chart as a 3.6 kW spike
    assert readings[2].power_kw == pytest.approx(22.0, rel=1e-3)


def test_some_power_missing_fills_only_those():
    rows = session()
    rows[4] = (rows[4][0], rows[4][1], None)
    readings = charts.to_points(rows)
    assert [r.power_kw for r in readings][:6] == pytest.approx([22.0] * 6)


def test_meter_start_is_the_energy_origin():
    readings = charts.to_points(session(), meter_start=1_240_000)
    assert readings[0].energy_kwh == pytest.approx(10.0)


@pytest.mark.parametrize("samples", [[], [(T0, None, None)], [(None, 1000.0, 5.0)]])
def test_no_usable_readings_says_so(samples):
    svg = charts.session_chart(samples)
    root = parse(svg)
    assert not list(root.iter(f"{SVG}polyline"))
    assert "No meter values" in root.find(f"{SVG}desc").text


def test_a_single_reading_is_a_dot_inside_the_box():
    root = parse(charts.session_chart([(T0, 1000.0, 7400.0)]))
    assert not list(root.iter(f"{SVG}polyline"))
    dots = list(root.iter(f"{SVG}circle"))
    assert {d.get("class") for d in dots} == {"power", "energy"}
    assert_inside_and_increasing([(float(d.get("cx")), float(d.get("cy"))) for d in dots])


def test_repeated_timestamp_keeps_one_reading():
    rows = session(3) + [(T0 + timedelta(minutes=20), 1_260_000.0, 11000.0)]
    readings = charts.to_points(rows)
    assert len(readings) == 3 and readings[-1].power_kw == pytest.approx(11.0)


def test_accessible_title_and_description():
    root = parse(charts.session_chart(session(), chart_id="tx-42"))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}" == "tx-42-title tx-42-desc"
    assert "22 kW" in desc.text and "kWh delivered" in desc.text and "13 readings" in desc.text


def test_text_is_escaped():
    svg = charts.session_chart(session(), chart_id='x"><script>alert(1)</script>')
    root = parse(svg)  # still well-formed
    assert "<script" not in svg and not list(root.iter(f"{SVG}script"))


def test_axes_have_round_ticks_and_time_labels():
    root = parse(charts.session_chart(session()))
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "Power (kW)" in labels and "Energy (kWh)" in labels and "Time (UTC)" in labels
    assert {"0", "5", "10", "15", "20", "25"} <= set(labels)  # power axis up to 25 kW in steps of 5
    assert "10:00" in labels and "11:00" in labels  # round times inside a 2-hour session


@pytest.mark.parametrize(
    ("minutes", "label"),
    [(3, "09:56"), (90, "10:30"), (26 * 60, "15 Mar 00:00"), (9 * 24 * 60, "16 Mar")],
)
def test_time_labels_fit_the_span(minutes, label):
    rows = [(T0, 0.0, 1000.0), (T0 + timedelta(minutes=minutes), 5000.0, 1000.0)]
    root = parse(charts.session_chart(rows))
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert label in labels
    ticks = [t for t in root.iter(f"{SVG}text") if t.get("y") == f"{charts.HEIGHT - charts.BOTTOM + 16:.1f}"]
    assert 1 <= len(ticks) <= charts.MAX_TIME_TICKS
    assert_inside_and_increasing([(float(t.get("x")), float(t.get("y"))) for t in ticks])


def test_negative_values_stay_inside_the_box():
    rows = [(T0, 5000.0, -300.0), (T0 + timedelta(minutes=5), 4000.0, 2000.0), (T0 + timedelta(minutes=10), 6000.0, 0)]
    root = parse(charts.session_chart(rows))
    for name in ("power", "energy"):
        assert_inside_and_increasing(polyline(root, name))


def test_stop_reading_ends_the_chart_and_its_caption_where_the_energy_does():
    # Issue 11: two readings up to 0.3 kWh and meterStop at 0.34 kWh read "0.3 kWh delivered, 2 readings".
    rows = [(T0, 1000.0, None), (T0 + timedelta(minutes=30), 1300.0, None)]
    stop = (T0 + timedelta(minutes=40), 1340)
    points = charts.to_points(rows, meter_start=1000, stop=stop)
    assert [(p.at, p.energy_kwh) for p in points][-1] == (stop[0], pytest.approx(0.34))
    desc = parse(charts.session_chart(rows, 1000, stop=stop)).find(f"{SVG}desc").text
    assert "0.340 kWh delivered" in desc and "(3 readings)" in desc


def test_stop_reading_at_a_samples_time_keeps_its_power_and_takes_the_register():
    rows = [(T0, 1000.0, 7000.0), (T0 + timedelta(minutes=30), 4000.0, 7000.0)]
    points = charts.to_points(rows, meter_start=1000, stop=(T0 + timedelta(minutes=30), 4500))
    assert [(p.power_kw, p.energy_kwh) for p in points] == [(7.0, 0.0), (7.0, 3.5)]


def test_no_stop_reading_while_running():
    rows = [(T0, 1000.0, None), (T0 + timedelta(minutes=30), 1300.0, None)]
    assert charts.to_points(rows, stop=(None, None)) == charts.to_points(rows)
