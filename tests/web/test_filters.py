"""How the screens show times, durations and energy."""

from datetime import datetime, timedelta

import pytest

from autocharge.web.filters import ago, duration, kwh, timestamp

NOW = datetime(2025, 1, 31, 12, 0, 0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "just now"),
        (4, "just now"),
        (5, "5 s ago"),
        (59, "59 s ago"),
        (60, "1 min ago"),
        (3599, "59 min ago"),
        (3600, "1 h ago"),
        (86399, "23 h ago"),
        (86400, "1 d ago"),
        (-30, "just now"),
    ],
)
def test_ago(seconds, text):
    assert ago(NOW - timedelta(seconds=seconds), NOW) == text


def test_ago_never():
    assert ago(None, NOW) == "never"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (60, "1 min 00 s"),
        (750, "12 min 30 s"),
        (3600, "1 h 00 min"),
        (3900, "1 h 05 min"),
        (90000, "25 h 00 min"),
        (-5, "0 s"),
    ],
)
def test_duration(seconds, text):
    assert duration(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize(("wh", "text"), [(0, "0.000"), (5, "0.005"), (22456, "22.456"), (1500.4, "1.500"), (None, "")])
def test_kwh(wh, text):
    assert kwh(wh) == text


def test_timestamp():
    assert timestamp(NOW) == "2025-01-31 12:00:00" and timestamp(None) == ""
