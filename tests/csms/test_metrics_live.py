"""Metrics of the real server: frames by action, CallErrors by code, answer times and connected chargers."""

import re
import urllib.request

import pytest

from .support import BOOT, PROTOCOLS

TOKEN = "scrape-secret"


@pytest.fixture
def live_server(live_server_factory, database_url):
    """Return the real server with /metrics on behind TOKEN."""
    return live_server_factory(database_url, AUTOCHARGE_METRICS_TOKEN=TOKEN)


def scrape(server) -> dict[str, float]:
    """Return the server's samples as {'name{labels}': value}."""
    request = urllib.request.Request(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
    return {name: float(value) for name, value in re.findall(r"^([^#\s]\S*) (\S+)$", text, re.M)}


def test_frames_and_answers_are_counted(live_server, connect, charger, version):
    client = connect(protocols=[PROTOCOLS[version]])
    assert client.result("BootNotification", BOOT[version])["status"] == "Accepted"
    client.result("Heartbeat", {})
    client.send("not json")
    assert client.recv()[0] == 4
    samples = scrape(live_server)
    assert samples["autocharge_chargers_connected"] == 1
    assert samples['autocharge_ocpp_frames_total{action="BootNotification"}'] == 1
    assert samples['autocharge_ocpp_frames_total{action="Heartbeat"}'] == 1
    assert samples['autocharge_ocpp_frames_total{action="invalid"}'] == 1
    code = "FormationViolation" if version == "1.6" else "FormatViolation"
    assert samples[f'autocharge_ocpp_call_errors_total{{code="{code}"}}'] == 1
    assert samples["autocharge_ocpp_answer_seconds_count"] == 3
    assert 0 < samples["autocharge_ocpp_answer_seconds_sum"] < 3
    assert samples["autocharge_commands_pending"] == 0
