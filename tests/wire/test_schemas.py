"""The shared schema loader: requests and responses of both versions, and the CallError code of each violation."""

import pytest

from autocharge.wire import schemas


@pytest.mark.parametrize(
    ("version", "action", "payload", "response", "code"),
    [
        ("1.6", "Heartbeat", {}, False, None),
        ("1.6", "Heartbeat", {"currentTime": "2026-12-03T08:00:00Z"}, True, None),
        ("1.6", "Heartbeat", {}, True, "ProtocolError"),
        ("1.6", "Authorize", {"idTag": "x" * 21}, False, "TypeConstraintViolation"),
        ("1.6", "Authorize", {"idTag": "A", "extra": 1}, False, "FormationViolation"),
        ("2.0.1", "Heartbeat", {}, False, None),
        ("2.0.1", "Authorize", {}, False, "OccurrenceConstraintViolation"),
        ("2.0.1", "Authorize", {"idToken": {"idToken": "A", "type": "Bogus"}}, False, "PropertyConstraintViolation"),
        ("2.0.1", "ClearCache", {"status": "Accepted"}, True, None),
        ("1.6", "TransactionEvent", {}, False, "NotImplemented"),
        ("2.0.1", "../v16/schemas/Heartbeat", {}, False, "NotImplemented"),
    ],
)
def test_validate(version, action, payload, response, code):
    if code is None:
        schemas.validate(version, action, payload, response)
        return
    with pytest.raises(schemas.Violation) as violation:
        schemas.validate(version, action, payload, response)
    assert violation.value.code == code


def test_known_actions_are_both_directions_of_a_version():
    assert {"BootNotification", "RemoteStartTransaction"} <= schemas.known_actions("1.6")
    assert {"TransactionEvent", "RequestStartTransaction"} <= schemas.known_actions("2.0.1")
    assert "TransactionEvent" not in schemas.known_actions("1.6")


METER = {"connectorId": 1, "meterValue": [{"timestamp": "2026-12-03T08:00:00Z", "sampledValue": [{"value": "1"}]}]}


def _with_sample(timestamp: str = "2026-12-03T08:00:00Z", **sampled) -> dict:
    """Return a 1.6 MeterValues payload with one meterValue of one sampled value."""
    return {"connectorId": 1, "meterValue": [{"timestamp": timestamp, "sampledValue": [{"value": "1", **sampled}]}]}


@pytest.mark.parametrize(
    ("version", "action", "payload", "code", "description"),
    [
        (
            "1.6",
            "MeterValues",
            _with_sample(unit="Bogus"),
            "PropertyConstraintViolation",
            "meterValue[0].sampledValue[0].unit must be one of Wh, kWh",
        ),
        (
            "1.6",
            "MeterValues",
            _with_sample("2026-13-01T00:00:00Z"),
            "PropertyConstraintViolation",
            "meterValue[0].timestamp must be a date-time",
        ),
        ("1.6", "MeterValues", _with_sample("2026-12-01T00:00:00"), "PropertyConstraintViolation", "date-time"),
        ("1.6", "MeterValues", {**METER, "connectorId": 1.0}, "TypeConstraintViolation", "connectorId must be integer"),
        (
            "1.6",
            "MeterValues",
            {**METER, "connectorId": True},
            "TypeConstraintViolation",
            "connectorId must be integer",
        ),
        (
            "1.6",
            "MeterValues",
            {**METER, "meterValue": []},
            "OccurenceConstraintViolation",
            "meterValue must have at least 1 items",
        ),
        ("1.6", "Authorize", {}, "ProtocolError", "payload must contain idTag"),
        ("1.6", "Authorize", {"idTag": "A", "extra": 1}, "FormationViolation", "payload must not contain extra"),
        ("1.6", "Authorize", {"idTag": object()}, "TypeConstraintViolation", "Unsupported type"),
        (
            "2.0.1",
            "Authorize",
            {"idToken": {"idToken": "A", "type": "Bogus"}},
            "PropertyConstraintViolation",
            "idToken.type must be one of Central",
        ),
    ],
)
def test_a_violation_names_the_field_and_the_rule(version, action, payload, code, description):
    with pytest.raises(schemas.Violation) as violation:
        schemas.validate(version, action, payload)
    assert violation.value.code == code
    assert description in violation.value.description
    assert len(violation.value.description) <= 255
    assert "Bogus" not in violation.value.description  # never the value: it may be an identifier, and it is logged


def test_a_description_never_holds_the_offending_value():
    with pytest.raises(schemas.Violation) as violation:
        schemas.validate("1.6", "Authorize", {"idTag": "04A1B2C3D4E5F6A7B8C9D0"})
    assert violation.value.description == "idTag must be at most 20 characters long"


@pytest.mark.parametrize(
    "payload",
    [
        METER,
        {**METER, "connectorId": 2**70},  # an integer past 64 bits is still an integer
        _with_sample("2026-12-03T08:00:00.123+01:00"),
        _with_sample(measurand="Power.Active.Import", unit="W", context="Sample.Periodic"),
    ],
)
def test_valid_meter_values(payload):
    schemas.validate("1.6", "MeterValues", payload)


def test_a_2_0_1_integer_may_be_written_with_a_zero_fraction():
    # Draft 6 (2.0.1's schemas) counts 1.0 as an integer, draft 4 (1.6's) does not: codec.loads keeps a 20-digit
    # integer away from orjson, which would read it as such a float.
    event = {
        "eventType": "Updated",
        "timestamp": "2026-12-03T08:00:00Z",
        "triggerReason": "MeterValuePeriodic",
        "transactionInfo": {"transactionId": "T-1"},
    }
    schemas.validate("2.0.1", "TransactionEvent", {**event, "seqNo": 1.0})
    with pytest.raises(schemas.Violation) as violation:
        schemas.validate("2.0.1", "TransactionEvent", {**event, "seqNo": 1.5})
    assert violation.value.code == "TypeConstraintViolation"
