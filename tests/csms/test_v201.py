"""OCPP 2.0.1 messages from a charging station, as raw frames through the dispatcher (SPEC §4, §6)."""

from datetime import datetime, timedelta

import pytest

from autocharge.db import utcnow, writing
from autocharge.models import Connector, MeterSample, RemoteStart, Transaction, UnknownIdentifier
from autocharge.services import chargers, commands

from .support import TAG, VID, eventually

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


def test_status_notification_stores_the_evse_and_its_connector_apart(booted, fetch, charger):
    for evse, number, status in [(1, 1, "Available"), (2, 1, "Occupied"), (1, 2, "Unavailable"), (1, 1, "Faulted")]:
        payload = {
            "timestamp": "2024-05-01T10:00:00Z",
            "connectorStatus": status,
            "evseId": evse,
            "connectorId": number,
        }
        assert booted.result("StatusNotification", payload) == {}
    rows = [(c.evse_id, c.connector_id, c.status) for c in fetch(Connector, Connector.charger_id == charger)]
    assert rows == [(1, 1, "Faulted"), (2, 1, "Occupied"), (1, 2, "Unavailable")]


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


def reading(minute: int, energy: float, context: str) -> dict:
    """Return a meterValue of the energy register at 10:<minute>, read in `context`."""
    value = {"value": energy, "context": context, "measurand": "Energy.Active.Import.Register"}
    return {"timestamp": f"2024-05-01T10:{minute:02d}:00Z", "sampledValue": [value]}


def test_start_register_reported_only_in_the_ended_event_is_the_start(booted, fetch):
    # Issue 11: the register went 0 -> 604.55 Wh; counting from the first periodic reading showed 0.456 kWh.
    booted.result("TransactionEvent", event("Started", 0, 0, "CablePluggedIn"))
    booted.result("TransactionEvent", event("Updated", 1, 5, "MeterValuePeriodic", 148.55))
    ended = event("Ended", 2, 10, "EVDeparted")
    ended["meterValue"] = [reading(0, 0, "Transaction.Begin"), reading(10, 604.55, "Transaction.End")]
    booted.result("TransactionEvent", ended)
    [tx] = fetch(Transaction)
    assert (tx.meter_start, tx.meter_stop, tx.energy_wh, tx.counted_from) == (0, 605, 605, None)


def test_start_register_never_reported_counts_from_the_first_reading_and_says_so(booted, fetch):
    booted.result("TransactionEvent", event("Started", 0, 0, "CablePluggedIn"))
    [tx] = fetch(Transaction)
    assert (tx.meter_start, tx.energy_wh, tx.counted_from) == (0, 0, None)  # nothing made up yet
    booted.result("TransactionEvent", event("Updated", 1, 5, "MeterValuePeriodic", 148.55))
    booted.result("TransactionEvent", event("Updated", 2, 7, "MeterValuePeriodic", 400))
    booted.result("TransactionEvent", event("Ended", 3, 10, "EVDeparted", 604.55))
    [tx] = fetch(Transaction)
    assert (tx.meter_start, tx.meter_stop, tx.energy_wh) == (149, 605, 456)  # only what the charger proved
    assert tx.counted_from == datetime(2024, 5, 1, 10, 5)


def test_start_register_in_a_later_update_replaces_the_first_reading(booted, fetch):
    booted.result("TransactionEvent", event("Started", 0, 0, "CablePluggedIn"))
    booted.result("TransactionEvent", event("Updated", 1, 5, "MeterValuePeriodic", 1500))
    late = event("Updated", 2, 6, "MeterValuePeriodic")
    late["meterValue"] = [reading(0, 1000, "Transaction.Begin"), reading(6, 1800, "Sample.Periodic")]
    booted.result("TransactionEvent", late)
    [tx] = fetch(Transaction)
    assert (tx.meter_start, tx.energy_wh, tx.counted_from) == (1000, 800, None)
    booted.result("TransactionEvent", event("Updated", 3, 8, "MeterValuePeriodic", 2000))
    assert fetch(Transaction)[0].energy_wh == 1000


@pytest.fixture
def remote_start(in_db, charger, driver):
    """Return a function adding the RemoteStart row commands.remote_start makes (its id is the remoteStartId sent)."""

    def make(charger_id: int = charger, age: timedelta = timedelta(0)) -> tuple[int, str]:
        def add():
            with writing() as session:
                row = RemoteStart(
                    charger_id=charger_id,
                    connector_id=1,
                    user_id=driver,
                    id_token="APP0123456789AB",
                    created_at=utcnow() - age,
                    expires_at=utcnow() - age + timedelta(minutes=5),
                )
                session.add(row)
            return row.id, row.id_token

        return in_db(add)

    return make


def started_by_remote(remote_id: int, **extra) -> dict:
    """Return a Started event naming the back office's remote start."""
    payload = event("Started", 0, 0, "RemoteStart", 0, **extra)
    payload["transactionInfo"]["remoteStartId"] = remote_id
    return payload


def test_remote_start_id_without_an_id_token_gives_the_user_and_origin_app(booted, remote_start, driver, fetch):
    remote_id, _ = remote_start()
    assert booted.result("TransactionEvent", started_by_remote(remote_id)) == {}
    [tx] = fetch(Transaction)
    assert (tx.user_id, tx.origin, tx.auth_status, tx.id_token) == (driver, "app", "Accepted", None)
    assert fetch(RemoteStart)[0].transaction_id == tx.id
    # Later events change nothing about whom it belongs to, not even a card that stops it.
    booted.result("TransactionEvent", event("Updated", 1, 5, "MeterValuePeriodic", 1000))
    stop = event("Ended", 2, 10, "StopAuthorized", 2000, idToken=token(TAG))
    assert booted.result("TransactionEvent", stop) == {"idTokenInfo": {"status": "Accepted"}}
    [tx] = fetch(Transaction)
    assert (tx.user_id, tx.origin, tx.status, tx.energy_wh) == (driver, "app", "completed", 2000)


def test_remote_start_id_with_its_token_long_after_the_request_is_app(booted, remote_start, driver, fetch):
    remote_id, central = remote_start(age=timedelta(minutes=20))  # the one-time token has expired
    answer = booted.result("TransactionEvent", started_by_remote(remote_id, idToken=token(central, "Central")))
    assert answer == {"idTokenInfo": {"status": "Accepted"}}
    [tx] = fetch(Transaction)
    assert (tx.user_id, tx.origin, tx.id_token) == (driver, "app", central)


def test_remote_start_id_of_another_charger_or_unknown_gives_nobody(booted, remote_start, in_db, fetch):
    other, _ = remote_start(charger_id=in_db(lambda: chargers.add_charger("CP-2").id))
    booted.result("TransactionEvent", started_by_remote(other))
    unknown = started_by_remote(2**40)
    unknown["transactionInfo"]["transactionId"] = "T2"
    booted.result("TransactionEvent", unknown)
    assert [(t.user_id, t.origin) for t in fetch(Transaction)] == [(None, None), (None, None)]


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


def availability(evse_id: int, value: str) -> dict:
    """Return a NotifyEvent's event reporting a connector's AvailabilityState."""
    return {
        "eventId": evse_id,
        "timestamp": "2024-05-01T10:00:00Z",
        "trigger": "Delta",
        "actualValue": value,
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": "Connector", "evse": {"id": evse_id, "connectorId": 1}},
        "variable": {"name": "AvailabilityState"},
    }


def test_a_vendor_availability_state_is_answered_and_stored_as_unknown(booted, fetch, charger):
    # AvailabilityState is free text in 2.0.1; connector.status's CHECK allows only the OCPP statuses.
    data = [availability(1, "VendorService"), availability(2, "x" * 2500), availability(3, "Faulted")]
    assert booted.result("NotifyEvent", {"generatedAt": "2024-05-01T10:00:00Z", "seqNo": 0, "eventData": data}) == {}
    statuses = [(c.evse_id, c.connector_id, c.status) for c in fetch(Connector)]
    assert statuses == [(1, 1, "Unknown"), (2, 1, "Unknown"), (3, 1, "Faulted")]
    assert booted.result("Heartbeat", {})["currentTime"]  # the socket is still fine


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


def test_a_transaction_keeps_its_evse_and_connector_and_meter_values_find_it_by_evse(booted, driver, fetch):
    started = event("Started", 0, 0, "Authorized", 100, idToken=token(TAG), evse={"id": 2, "connectorId": 2})
    booted.result("TransactionEvent", started)
    reading = [{"timestamp": "2024-05-01T10:05:00Z", "sampledValue": [{"value": 900}]}]
    for evse_id in (1, 2):  # EVSE 1 runs nothing: its reading is answered and dropped
        assert booted.result("MeterValues", {"evseId": evse_id, "meterValue": reading}) == {}
    [tx] = fetch(Transaction)
    assert (tx.evse_id, tx.connector_id, tx.energy_wh) == (2, 2, 800)
    assert len(fetch(MeterSample)) == 2


def test_commands_name_the_evse_and_connector_of_a_station_with_two_connectors_per_evse(
    simulator, charger, driver, in_db, fetch
):
    sim = simulator(version="2.0.1", connectors=2, connectors_per_evse=2)  # EVSE 1 with connectors 1 and 2
    sim.boot()
    for number in (1, 2):
        sim.status(number, "Available")
    sim.plug_in(2)
    sim.start_transaction(2, id_tag=TAG)
    places = lambda: [(c.evse_id, c.connector_id, c.status) for c in fetch(Connector)]  # noqa: E731
    assert places() == [(1, 1, "Available"), (1, 2, "Occupied")]
    [tx] = fetch(Transaction)
    assert (tx.evse_id, tx.connector_id, tx.user_id) == (1, 2, driver)

    unlock = in_db(lambda: commands.unlock_connector(charger, 2, evse_id=1))
    assert sim.wait_for("UnlockConnector") == {"evseId": 1, "connectorId": 2}
    assert unlock.status == "OngoingAuthorizedTransaction"  # the simulator found the session on that connector
    in_db(lambda: commands.trigger_message(charger, "StatusNotification", 1, evse_id=1))
    assert sim.wait_for("TriggerMessage") == {
        "requestedMessage": "StatusNotification",
        "evse": {"id": 1, "connectorId": 1},
    }

    sim.stop_transaction(2000)
    assert in_db(lambda: commands.remote_start(charger, driver, evse_id=1)).accepted
    assert sim.wait_for("RequestStartTransaction")["evseId"] == 1
    [_, remote] = eventually(lambda: [t for t in fetch(Transaction) if t.origin == "app"] and fetch(Transaction))
    assert (remote.evse_id, remote.connector_id, remote.user_id) == (1, 2, driver)  # the plugged connector of EVSE 1
