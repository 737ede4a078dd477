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
