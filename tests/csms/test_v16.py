"""OCPP 1.6 messages from a charger, as raw frames through the dispatcher (SPEC §4, §6)."""

from datetime import datetime, timedelta

import pytest

from autocharge.db import utcnow, writing
from autocharge.models import Connector, MeterSample, RemoteStart, Transaction, UnknownIdentifier
from autocharge.services import users

from .support import TAG, VID

START = {"connectorId": 1, "idTag": TAG, "meterStart": 1000, "timestamp": "2024-05-01T10:00:00Z"}


@pytest.fixture
def version() -> str:
    """Run these tests on OCPP 1.6 only."""
    return "1.6"


def stop(tx_id: int, **extra) -> dict:
    """Return a StopTransaction payload for `tx_id` (meterStop 5000 Wh)."""
    return {"transactionId": tx_id, "meterStop": 5000, "timestamp": "2024-05-01T11:00:00Z", **extra}


def test_heartbeat_answers_the_time(booted):
    answer = booted.result("Heartbeat", {})
    assert abs(datetime.fromisoformat(answer["currentTime"]).replace(tzinfo=None) - utcnow()) < timedelta(seconds=5)


def test_status_notification_stores_connectors(booted, fetch, charger):
    booted.result("StatusNotification", {"connectorId": 0, "errorCode": "NoError", "status": "Available"})
    booted.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"})
    booted.result("StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"})
    rows = [(c.connector_id, c.status, c.error_code) for c in fetch(Connector, Connector.charger_id == charger)]
    assert rows == [(0, "Available", None), (1, "Faulted", "GroundFailure")]


@pytest.mark.parametrize(
    ("id_tag", "status"),
    [
        (TAG, "Accepted"),
        (TAG.lower(), "Accepted"),
        ("UNKNOWN1", "Invalid"),
        (f"VID:{VID}", "Accepted"),
        ("VID:001122334455", "Invalid"),
    ],
)
def test_authorize(booted, driver, paired, fetch, id_tag, status):
    assert booted.result("Authorize", {"idTag": id_tag}) == {"idTagInfo": {"status": status}}
    unknown = [u.raw for u in fetch(UnknownIdentifier)]
    assert unknown == ([] if status == "Accepted" else [id_tag])


def test_authorize_blocked_user(booted, driver, in_db):
    in_db(lambda: users.set_status(driver, "blocked"))
    assert booted.result("Authorize", {"idTag": TAG}) == {"idTagInfo": {"status": "Blocked"}}


def test_retried_start_transaction_returns_the_same_id_and_one_row(booted, driver, fetch):
    first = booted.result("StartTransaction", START)
    again = booted.result("StartTransaction", {**START, "idTag": TAG.lower()})
    assert first == again == {"transactionId": first["transactionId"], "idTagInfo": {"status": "Accepted"}}
    [tx] = fetch(Transaction)
    assert (tx.id, tx.user_id, tx.origin, tx.meter_start, tx.status) == (
        first["transactionId"],
        driver,
        "rfid",
        1000,
        "active",
    )
    assert tx.start_time == datetime(2024, 5, 1, 10, 0)
    other = booted.result("StartTransaction", {**START, "timestamp": "2024-05-01T12:00:00Z"})
    assert other["transactionId"] != first["transactionId"]


def test_start_with_a_paired_vehicle_is_auto_charge(booted, driver, paired, fetch):
    answer = booted.result("StartTransaction", {**START, "idTag": f"VID:{VID}"})
    assert answer["idTagInfo"] == {"status": "Accepted"}
    [tx] = fetch(Transaction)
    assert (tx.origin, tx.user_id, tx.vehicle_id, tx.id_token) == ("autocharge", driver, paired, f"VID:{VID}")


def test_start_with_an_invalid_tag_still_gets_a_transaction_id(booted, fetch):
    answer = booted.result("StartTransaction", {**START, "idTag": "STRANGER"})
    assert answer["idTagInfo"] == {"status": "Invalid"} and answer["transactionId"] > 0
    [tx] = fetch(Transaction)
    assert (tx.auth_status, tx.user_id, tx.origin) == ("Invalid", None, None)


def test_start_with_a_back_office_token_is_app(booted, driver, charger, in_db, fetch):
    def remote_start():
        with writing() as session:
            row = RemoteStart(
                charger_id=charger,
                user_id=driver,
                id_token="APP0123456789AB",
                expires_at=utcnow() + timedelta(minutes=5),
            )
            session.add(row)
        return row.id

    remote_id = in_db(remote_start)
    answer = booted.result("StartTransaction", {**START, "idTag": "APP0123456789AB"})
    [tx] = fetch(Transaction)
    assert (answer["idTagInfo"]["status"], tx.origin, tx.user_id) == ("Accepted", "app", driver)
    assert fetch(RemoteStart, RemoteStart.id == remote_id)[0].transaction_id == tx.id == answer["transactionId"]


def test_retried_stop_transaction_counts_energy_once(booted, driver, fetch):
    tx_id = booted.result("StartTransaction", START)["transactionId"]
    data = [
        {"timestamp": "2024-05-01T10:30:00Z", "sampledValue": [{"value": "3000"}]},
        {"timestamp": "2024-05-01T11:00:00Z", "sampledValue": [{"value": "5.0", "unit": "kWh"}]},
    ]
    first = booted.result("StopTransaction", stop(tx_id, idTag=TAG, reason="EVDisconnected", transactionData=data))
    again = booted.result("StopTransaction", stop(tx_id, idTag=TAG, reason="EVDisconnected", transactionData=data))
    assert first == again == {"idTagInfo": {"status": "Accepted"}}
    [tx] = fetch(Transaction)
    assert (tx.status, tx.meter_stop, tx.energy_wh, tx.stop_reason) == ("completed", 5000, 4000, "EVDisconnected")
    assert tx.stop_time == datetime(2024, 5, 1, 11, 0)
    samples = [(s.timestamp.minute, s.energy_wh) for s in fetch(MeterSample)]
    assert samples == [(30, 3000.0), (0, 5000.0)]


def test_stop_of_a_later_meter_value_does_not_reopen(booted, driver, fetch):
    tx_id = booted.result("StartTransaction", START)["transactionId"]
    booted.result("StopTransaction", stop(tx_id))
    booted.result(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": tx_id,
            "meterValue": [{"timestamp": "2024-05-01T11:05:00Z", "sampledValue": [{"value": "9000"}]}],
        },
    )
    [tx] = fetch(Transaction)
    assert (tx.status, tx.energy_wh) == ("completed", 4000)


@pytest.mark.parametrize("extra", [{}, {"idTag": TAG}], ids=["no idTag", "with idTag"])
def test_stop_of_an_unknown_transaction_is_answered_normally(booted, fetch, extra):
    assert booted.result("StopTransaction", stop(424242, **extra)) == {}
    assert fetch(Transaction) == []


def test_stop_with_another_tag_answers_that_tags_status(booted, driver, fetch):
    tx_id = booted.result("StartTransaction", START)["transactionId"]
    assert booted.result("StopTransaction", stop(tx_id, idTag="STRANGER")) == {"idTagInfo": {"status": "Invalid"}}
    assert fetch(Transaction)[0].user_id == driver  # the transaction stays the starter's


def test_meter_values_units_and_measurands(booted, driver, fetch):
    tx_id = booted.result("StartTransaction", START)["transactionId"]
    values = [
        ("10:01", [{"value": "1500"}]),  # no measurand: the energy register, in Wh
        ("10:02", [{"value": "2.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register"}]),
        (
            "10:03",
            [
                {"value": "7.4", "unit": "kW", "measurand": "Power.Active.Import"},
                {"value": "55", "measurand": "SoC", "unit": "Percent", "location": "EV"},
            ],
        ),
        (
            "10:04",
            [
                {"value": "3680", "unit": "W", "measurand": "Power.Active.Import"},
                {"value": "230", "measurand": "Voltage", "unit": "V"},
            ],
        ),
        (
            "10:05",
            [
                {"value": "1000", "measurand": "Power.Active.Import", "phase": "L1"},
                {"value": "1100", "measurand": "Power.Active.Import", "phase": "L2"},
            ],
        ),
    ]
    meter_value = [{"timestamp": f"2024-05-01T{hm}:00Z", "sampledValue": sampled} for hm, sampled in values]
    assert booted.result("MeterValues", {"connectorId": 1, "transactionId": tx_id, "meterValue": meter_value}) == {}
    stored = [(s.timestamp.minute, s.energy_wh, s.power_w, s.soc) for s in fetch(MeterSample)]
    assert stored == [
        (1, 1500.0, None, None),
        (2, 2500.0, None, None),
        (3, None, 7400.0, 55.0),
        (4, None, 3680.0, None),
        (5, None, 2100.0, None),
    ]
    assert fetch(Transaction)[0].energy_wh == 1500  # 2500 Wh register - 1000 Wh at start


def test_meter_values_without_transaction_id_go_to_the_connectors_transaction(booted, driver, fetch):
    booted.result("StartTransaction", START)
    sample = [{"timestamp": "2024-05-01T10:10:00Z", "sampledValue": [{"value": "1200"}]}]
    booted.result("MeterValues", {"connectorId": 1, "meterValue": sample})
    booted.result("MeterValues", {"connectorId": 1, "meterValue": sample})  # a retry adds nothing
    booted.result("MeterValues", {"connectorId": 2, "meterValue": sample})  # no transaction there
    assert [(s.energy_wh, s.transaction_id) for s in fetch(MeterSample)] == [(1200.0, fetch(Transaction)[0].id)]


def test_data_transfer_is_refused_politely(booted):
    answer = booted.result("DataTransfer", {"vendorId": "com.example", "messageId": "x", "data": "{}"})
    assert answer == {"status": "UnknownVendorId"}


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("DiagnosticsStatusNotification", {"status": "Uploaded"}),
        ("FirmwareStatusNotification", {"status": "Installed"}),
        ("SecurityEventNotification", {"type": "SettingSystemTime", "timestamp": "2024-05-01T10:00:00Z"}),
    ],
)
def test_status_notifications_of_uploads_and_updates_are_acknowledged(booted, action, payload):
    assert booted.result(action, payload) == {}


def test_stop_of_a_transaction_id_beyond_32_bits_is_answered_normally(booted):
    assert booted.result("StopTransaction", stop(2**40)) == {}


def test_session_with_the_simulator(simulator, charger, driver, paired, fetch):
    sim = simulator(version="1.6")
    sim.boot()
    sim.plug_in()
    assert sim.authorize(vid=VID)["idTagInfo"]["status"] == "Accepted"
    assert sim.start_transaction(vid=VID, meter_start=100)["idTagInfo"]["status"] == "Accepted"
    sim.meter_values(1100, 7000)
    sim.stop_transaction(2100)
    sim.unplug()
    [tx] = fetch(Transaction)
    assert (tx.origin, tx.user_id, tx.vehicle_id, tx.status, tx.energy_wh) == (
        "autocharge",
        driver,
        paired,
        "completed",
        2000,
    )
