"""bench/ocpp_reference.py, the CPU yardstick of issue 7: the `ocpp` package's asyncio central system answers the
load's 1.6 mix (so a run of bench/ocpp_load.py against it measures what it should)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import websocket
from conftest import free_port  # the root conftest (tests/ is on sys.path)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def reference():
    """Start the reference central system on a free port; return its OCPP URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "ocpp_reference.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "reference central system" in process.stdout.readline()
        yield f"ws://127.0.0.1:{port}/ocpp"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_the_reference_answers_the_load_mix(reference):
    ws = websocket.create_connection(f"{reference}/BENCH-00001", subprotocols=["ocpp1.6"], timeout=10)
    try:
        calls = [
            ("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
            ("Heartbeat", {}),
            ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"}),
            ("Authorize", {"idTag": "BT000002"}),
            (
                "StartTransaction",
                {"connectorId": 1, "idTag": "BT000002", "meterStart": 0, "timestamp": "2026-12-06T08:00:00Z"},
            ),
            (
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": 1,
                    "meterValue": [{"timestamp": "2026-12-06T08:01:00Z", "sampledValue": [{"value": "250"}]}],
                },
            ),
            ("StopTransaction", {"transactionId": 1, "meterStop": 500, "timestamp": "2026-12-06T08:02:00Z"}),
            ("MeterValues", {"connectorId": 1}),  # refused by the package's schema check
        ]
        answers = []
        for n, (action, payload) in enumerate(calls):
            ws.send(json.dumps([2, str(n), action, payload]))
            answers.append(json.loads(ws.recv()))
    finally:
        ws.close()
    assert [answer[0] for answer in answers] == [3] * 7 + [4]
    assert answers[0][2]["status"] == "Accepted"
    assert answers[4][2]["transactionId"] >= 1 and answers[4][2]["idTagInfo"] == {"status": "Accepted"}
    assert answers[7][2] in ("FormationViolation", "FormatViolation", "ProtocolError", "OccurenceConstraintViolation")
