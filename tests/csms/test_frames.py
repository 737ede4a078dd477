"""Bad frames get the right CallError and the connection lives on (SPEC §6; table in csms/dispatcher.py)."""

import json

import pytest

from .support import PROTOCOLS

LONG = "X" * 40
DEEP = "[" * 5000 + "]" * 5000  # deeper than Python's json module recurses
# case: (1.6 frame, 1.6 code, 2.0.1 frame, 2.0.1 code). The answer carries messageId "m1", or "-1" for the
# cases in UNREADABLE_ID where the frame gives no messageId that can be read.
CASES = {
    "not JSON": ('[2, "m1"', "FormationViolation", '[2, "m1"', "FormatViolation"),
    "not an array": ('{"id": "m1"}', "FormationViolation", '{"id": "m1"}', "RpcFrameworkError"),
    "empty array": ("[]", "FormationViolation", "[]", "RpcFrameworkError"),
    "messageId not a string": (
        '[2, 5, "Heartbeat", {}]',
        "FormationViolation",
        '[2, 5, "Heartbeat", {}]',
        "RpcFrameworkError",
    ),
    "unknown MessageTypeId": (
        '[7, "m1", "Heartbeat", {}]',
        "FormationViolation",
        '[7, "m1", "Heartbeat", {}]',
        "MessageTypeNotSupported",
    ),
    "MessageTypeId as text": (
        '["2", "m1", "Heartbeat", {}]',
        "FormationViolation",
        '["2", "m1", "Heartbeat", {}]',
        "MessageTypeNotSupported",
    ),
    "messageId longer than 36 characters": (
        f'[2, "{"i" * 5000}", "Heartbeat", {{}}]',
        "FormationViolation",
        f'[2, "{"i" * 5000}", "Heartbeat", {{}}]',
        "RpcFrameworkError",
    ),
    "nested too deeply": (
        f'[2, "m1", "DataTransfer", {{"vendorId": "acme", "data": {DEEP}}}]',
        "FormationViolation",
        f'[2, "m1", "DataTransfer", {{"vendorId": "acme", "data": {DEEP}}}]',
        "FormatViolation",
    ),
    "payload missing": ('[2, "m1", "Heartbeat"]', "FormationViolation", '[2, "m1", "Heartbeat"]', "FormatViolation"),
    "payload not an object": (
        '[2, "m1", "Heartbeat", []]',
        "FormationViolation",
        '[2, "m1", "Heartbeat", []]',
        "FormatViolation",
    ),
    "action not a string": ('[2, "m1", 7, {}]', "FormationViolation", '[2, "m1", 7, {}]', "FormatViolation"),
    "unknown action": (
        '[2, "m1", "MakeCoffee", {}]',
        "NotImplemented",
        '[2, "m1", "MakeCoffee", {}]',
        "NotImplemented",
    ),
    "known action we do not handle": (
        '[2, "m1", "RemoteStartTransaction", {"idTag": "A"}]',
        "NotSupported",
        '[2, "m1", "RequestStartTransaction", {"idToken": {"idToken": "A", "type": "Central"}, "remoteStartId": 1}]',
        "NotSupported",
    ),
    "required field missing": (
        '[2, "m1", "Authorize", {}]',
        "ProtocolError",
        '[2, "m1", "Authorize", {}]',
        "OccurrenceConstraintViolation",
    ),
    "wrong type": (
        '[2, "m1", "Authorize", {"idTag": 5}]',
        "TypeConstraintViolation",
        '[2, "m1", "Authorize", {"idToken": {"idToken": 5, "type": "ISO14443"}}]',
        "TypeConstraintViolation",
    ),
    "too long": (
        f'[2, "m1", "Authorize", {{"idTag": "{LONG}"}}]',
        "TypeConstraintViolation",
        f'[2, "m1", "Authorize", {{"idToken": {{"idToken": "{LONG}", "type": "ISO14443"}}}}]',
        "TypeConstraintViolation",
    ),
    "not in the enum": (
        '[2, "m1", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Bogus"}]',
        "PropertyConstraintViolation",
        '[2, "m1", "StatusNotification", {"timestamp": "2024-01-01T00:00:00Z", "connectorStatus": "Bogus",'
        ' "evseId": 1, "connectorId": 1}]',
        "PropertyConstraintViolation",
    ),
    "not a date-time": (
        '[2, "m1", "StartTransaction", {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "today"}]',
        "PropertyConstraintViolation",
        '[2, "m1", "StatusNotification", {"timestamp": "today", "connectorStatus": "Available",'
        ' "evseId": 1, "connectorId": 1}]',
        "PropertyConstraintViolation",
    ),
    "additional property": (
        '[2, "m1", "Heartbeat", {"extra": 1}]',
        "FormationViolation",
        '[2, "m1", "Heartbeat", {"extra": 1}]',
        "FormatViolation",
    ),
    "too few array items": (
        '[2, "m1", "MeterValues", {"connectorId": 1, "meterValue": []}]',
        "OccurenceConstraintViolation",
        '[2, "m1", "MeterValues", {"evseId": 1, "meterValue": []}]',
        "OccurrenceConstraintViolation",
    ),
    "handler fails (value beyond any integer column)": (
        '[2, "m1", "StatusNotification", {"connectorId": 1180591620717411303424, "errorCode": "NoError",'
        ' "status": "Available"}]',
        "InternalError",
        '[2, "m1", "StatusNotification", {"timestamp": "2024-01-01T00:00:00Z", "connectorStatus": "Available",'
        ' "evseId": 1180591620717411303424, "connectorId": 1}]',
        "InternalError",
    ),
}
UNREADABLE_ID = {
    "not JSON",
    "not an array",
    "empty array",
    "messageId not a string",
    "messageId longer than 36 characters",
}


def test_each_bad_frame_gets_its_callerror_and_the_socket_stays_open(booted_socket, version):
    wrong = []
    for case, (frame16, code16, frame201, code201) in CASES.items():
        frame, code = (frame16, code16) if version == "1.6" else (frame201, code201)
        booted_socket.send(frame)
        reply = booted_socket.recv()
        expected_id = "-1" if case in UNREADABLE_ID else "m1"
        if reply[:3] != [4, expected_id, code] or not isinstance(reply[3], str) or reply[4] != {}:
            wrong.append(f"{case}: got {reply}, expected [4, {expected_id!r}, {code!r}, ...]")
        assert booted_socket.result("Heartbeat", {})["currentTime"], f"socket unusable after {case}"
    assert not wrong, "\n".join(wrong)


def test_answers_to_calls_nobody_made_are_ignored(booted_socket):
    booted_socket.send([3, "never-sent", {"status": "Accepted"}])
    booted_socket.send([4, "never-sent-2", "GenericError", "", {}])
    assert booted_socket.result("Heartbeat", {})["currentTime"]  # the next frame is the Heartbeat's answer


@pytest.mark.parametrize("version", ["1.6"])
def test_binary_frames_are_read_as_text(booted_socket, version):
    booted_socket.ws.send_binary(json.dumps([2, "b1", "Heartbeat", {}]).encode())
    assert booted_socket.recv()[:2] == [3, "b1"]


def test_protocol_name_matches_version(booted_socket, version):
    assert booted_socket.subprotocol == PROTOCOLS[version]
