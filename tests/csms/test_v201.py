"""OCPP 2.0.1 messages from a charging station, as raw frames against the real server (SPEC §4, §6)."""

import pytest

from autocharge.models import Connector, MeterSample, Transaction, UnknownIdentifier

from .support import TAG, VID

TX = "6f1b5c9e-7a51-4b7e-9a57-0d6a5d1c2b3a"


@pytest.fixture
def version() -> str:
    """Run these tests on OCPP 2.0.1 only."""
    return "2.0.1"


def event(kind: str, seq: int, minute: int, trigger: str, energy: float | None = None, **extra) -> dict:
    """Return a TransactionEvent payload of transaction TX on EVSE 1 at 10:<minute>."""
    payload = {
        "eventType": kind,
        "timestamp": f"2024-05-01T10:{minute:02d}:00Z",
        "triggerReason": trigger,
        "seqNo": seq,
        "transactionInfo": {"transactionId": TX},
        "evse": {"id": 1, "connectorId": 1},
    }
    if energy is not None:
        payload["meterValue"] = [
            {
                "timestamp": payload["timestamp"],
                "sampledValue": [
                    {"value": energy, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}
                ],
            }
        ]
    payload.update(extra)
    return payload


def token(value: str, kind: str = "ISO14443") -> dict:
    """Return an idToken."""
    return {"idToken": value, "type": kind}


def test_heartbeat_answers_the_time(booted):
    assert booted.result("Heartbeat", {})["currentTime"].endswith("Z")


def test_status_notification_stores_the_evse_as_connector(booted, fetch, charger):
    for evse, status in [(1, "Available"), (2, "Occupied"), (1, "Faulted")]:
        payload = {"timestamp": "2024-05-01T10:00:00Z", "connectorStatus": status, "evseId": evse, "connectorId": 1}
        assert booted.result("StatusNotification", payload) == {}
    rows = [(c.connector_id, c.status) for c in fetch(Connector, Connector.charger_id == charger)]
    assert rows == [(1, "Faulted"), (2, "Occupied")]


@pytest.mark.parametrize(
    ("id_token", "status"),
    [
        (token(TAG), "Accepted"),
        (token(TAG.lower(), "ISO15693"), "Accepted"),
        (token("NOBODY"), "Invalid"),
        (token(VID, "MacAddress"), "Accepted"),
        (token(f"VID:{VID}", "MacAddress"), "Accepted"),
        (token("001122334455", "MacAddress"), "Invalid"),
        (token("", "NoAuthorization"), "Accepted"),
    ],
)
def test_authorize(booted, driver, paired, fetch, id_token, status):
    assert booted.result("Authorize", {"idToken": id_token}) == {"idTokenInfo": {"status": status}}
    assert len(fetch(UnknownIdentifier)) == (status == "Invalid")


def test_transaction_started_by_cable_then_authorized_then_ended(booted, driver, paired, fetch):
    assert booted.result("TransactionEvent", event("Started", 0, 0, "CablePluggedIn", 1000)) == {}
    [tx] = fetch(Transaction)
    assert (tx.ocpp_tx_id, tx.user_id, tx.status, tx.meter_start) == (TX, None, "active", 1000)

    answer = booted.result("TransactionEvent", event("Updated", 1, 1, "Authorized", idToken=token(VID, "MacAddress")))
    assert answer == {"idTokenInfo": {"status": "Accepted"}}
    [tx] = fetch(Transaction)
    assert (tx.user_id, tx.vehicle_id, tx.origin, tx.id_token_type) == (driver, paired, "autocharge", "MacAddress")

    booted.result("TransactionEvent", event("Updated", 2, 30, "MeterValuePeriodic", 2500))
    assert fetch(Transaction)[0].energy_wh == 1500
    ended = event(
        "Ended",
        3,
        59,
        "EVCommunicationLost",
        4000,
        transactionInfo={"transactionId": TX, "stoppedReason": "EVDisconnected"},
    )
    assert booted.result("TransactionEvent", ended) == {}
    assert booted.result("TransactionEvent", ended) == {}  # a retry changes nothing
    [tx] = fetch(Transaction)
    assert (tx.status, tx.meter_stop, tx.energy_wh, tx.stop_reason) == ("completed", 4000, 3000, "EVDisconnected")
    assert [s.energy_wh for s in fetch(MeterSample)] == [1000.0, 2500.0, 4000.0]


def test_retried_started_event_makes_one_transaction(booted, driver, fetch):
    started = event("Started", 0, 0, "Authorized", 0, idToken=token(TAG))
    assert booted.result("TransactionEvent", started) == {"idTokenInfo": {"status": "Accepted"}}
    assert booted.result("TransactionEvent", started) == {"idTokenInfo": {"status": "Accepted"}}
    [tx] = fetch(Transaction)
    assert (tx.origin, tx.user_id, tx.auth_status) == ("rfid", driver, "Accepted")


def test_unknown_token_in_an_event_is_invalid(booted, fetch):
    answer = booted.result("TransactionEvent", event("Started", 0, 0, "Authorized", idToken=token("STRANGER")))
    assert answer == {"idTokenInfo": {"status": "Invalid"}}
    assert [u.value for u in fetch(UnknownIdentifier)] == ["STRANGER"]


def test_first_reading_after_a_start_without_one_is_the_start_register(booted, driver, fetch):
    booted.result("TransactionEvent", event("Started", 0, 0, "CablePluggedIn"))
    booted.result("TransactionEvent", event("Updated", 1, 5, "MeterValuePeriodic", 20000))
    booted.result("TransactionEvent", event("Ended", 2, 10, "StopAuthorized", 21000))
    [tx] = fetch(Transaction)
    assert (tx.meter_start, tx.meter_stop, tx.energy_wh, tx.stop_reason) == (20000, 21000, 1000, "Local")


def test_ended_event_of_an_unknown_transaction_is_kept(booted, fetch):
    assert booted.result("TransactionEvent", event("Ended", 7, 0, "EVCommunicationLost", 500)) == {}
    [tx] = fetch(Transaction)
    assert (tx.status, tx.ocpp_tx_id) == ("completed", TX)


def test_meter_values_message_goes_to_the_evses_transaction(booted, driver, fetch):
    booted.result("TransactionEvent", event("Started", 0, 0, "Authorized", 100, idToken=token(TAG)))
    readings = [
        {
            "timestamp": "2024-05-01T10:05:00Z",
            "sampledValue": [
                {"value": 1.1, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "kWh"}},
                {"value": 7.2, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W", "multiplier": 3}},
                {"value": 64, "measurand": "SoC", "unitOfMeasure": {"unit": "Percent"}},
            ],
        }
    ]
    assert booted.result("MeterValues", {"evseId": 1, "meterValue": readings}) == {}
    latest = fetch(MeterSample)[-1]
    assert (latest.energy_wh, latest.power_w, latest.soc) == (1100.0, 7200.0, 64.0)
    assert fetch(Transaction)[0].energy_wh == 1000


def test_notify_event_updates_connector_availability(booted, fetch, charger):
    data = [
        {
            "eventId": 1,
            "timestamp": "2024-05-01T10:00:00Z",
            "trigger": "Delta",
            "actualValue": "Occupied",
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
            "variable": {"name": "AvailabilityState"},
        },
        {
            "eventId": 2,
            "timestamp": "2024-05-01T10:00:00Z",
            "trigger": "Alerting",
            "actualValue": "true",
            "eventNotificationType": "HardWiredMonitor",
            "component": {"name": "ChargingStation"},
            "variable": {"name": "Problem"},
        },
    ]
    assert booted.result("NotifyEvent", {"generatedAt": "2024-05-01T10:00:00Z", "seqNo": 0, "eventData": data}) == {}
    assert [(c.connector_id, c.status) for c in fetch(Connector)] == [(1, "Occupied")]


def test_session_with_the_simulator(simulator, charger, driver, fetch):
    sim = simulator(version="2.0.1")
    sim.boot()
    sim.plug_in()
    assert sim.authorize(id_tag=TAG)["idTokenInfo"]["status"] == "Accepted"
    sim.start_transaction(id_tag=TAG)
    sim.meter_values(1500, 7000)
    sim.stop_transaction(2500)
    sim.unplug()
    [tx] = fetch(Transaction)
    assert (tx.origin, tx.user_id, tx.status, tx.energy_wh) == ("rfid", driver, "completed", 2500)


@pytest.mark.parametrize(
    ("action", "payload", "answer"),
    [
        ("FirmwareStatusNotification", {"status": "Installed"}, {}),
        ("LogStatusNotification", {"status": "Uploaded"}, {}),
        ("SecurityEventNotification", {"type": "StartupOfTheDevice", "timestamp": "2024-05-01T10:00:00Z"}, {}),
        ("DataTransfer", {"vendorId": "com.example", "messageId": "x"}, {"status": "UnknownVendorId"}),
    ],
)
def test_notifications_and_data_transfer_are_answered(booted, action, payload, answer):
    assert booted.result(action, payload) == answer
