"""The shared codec: OCPP's key spelling both ways for every schema, the same payloads as the `ocpp` package, frames."""

import json
from pathlib import Path

import ocpp
import pytest
from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16 import datatypes as types16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201

from autocharge.wire import codec


def schema_keys(folder: str) -> set[str]:
    """Return every property name in the `ocpp` package's schemas of one version."""
    keys: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            keys.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in (Path(ocpp.__file__).parent / folder / "schemas").glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8-sig")))
    return keys


@pytest.mark.parametrize("folder", ["v16", "v201"])
def test_every_schema_key_round_trips_with_the_dataclass_field_names(folder):
    keys = schema_keys(folder)
    assert len(keys) > 90
    assert {key for key in keys if codec.camel(codec.snake(key)) != key} == set()
    # The handlers' keyword arguments are the `ocpp` dataclasses' field names.
    assert {key for key in keys if codec.snake(key) != next(iter(camel_to_snake_case({key: 0})))} == set()


NOW = "2026-12-03T08:00:00.000Z"
MESSAGES = [
    call16.BootNotification("Acme", "Fast", charge_point_serial_number="S-1"),
    call16.StopTransaction(
        3000,
        NOW,
        7,
        id_tag=None,
        transaction_data=[types16.MeterValue(NOW, [types16.SampledValue("3000", measurand="SoC", unit="Percent")])],
    ),
    result16.GetConfiguration(configuration_key=[types16.KeyValue("HeartbeatInterval", False, "300")]),
    call201.TransactionEvent(
        "Updated",
        NOW,
        "MeterValuePeriodic",
        3,
        types201.TransactionType("5f1c", charging_state="Charging"),
        meter_value=[types201.MeterValueType(NOW, [types201.SampledValueType(1500.0)])],
        id_token=types201.IdTokenType("001A2B3C4D5E", "MacAddress"),
        evse=types201.EVSEType(1, connector_id=1),
    ),
    call201.Authorize(
        types201.IdTokenType("04AABBDD", "ISO14443"),
        iso15118_certificate_hash_data=[
            types201.OCSPRequestDataType("SHA256", "a" * 64, "b" * 64, "c", "https://ocsp.example/")
        ],
    ),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda message: type(message).__name__)
def test_payloads_are_the_ocpp_packages(message):
    assert codec.to_payload(message) == remove_nones(snake_to_camel_case(serialize_as_dict(message)))


def test_frames_are_compact_json_arrays():
    assert codec.call_frame("m1", "Heartbeat", {}) == '[2,"m1","Heartbeat",{}]'
    assert codec.result_frame("m1", {"currentTime": NOW}) == f'[3,"m1",{{"currentTime":"{NOW}"}}]'
    assert codec.error_frame("m1", "NotSupported", "x" * 300) == '[4,"m1","NotSupported","' + "x" * 255 + '",{}]'


def test_invented_keys_are_converted_but_not_kept_past_the_limit(monkeypatch):
    monkeypatch.setattr(codec._SnakeKeys, "MAX_KEYS", len(codec._SNAKE) + 2)
    payload = {"customData": {f"vendorKey{n}": {"innerList": [{"deepKey": n}]} for n in range(5)}}
    converted = codec.to_kwargs(payload)
    assert converted["custom_data"]["vendor_key4"] == {"inner_list": [{"deep_key": 4}]}
    assert len(codec._SNAKE) == codec._SnakeKeys.MAX_KEYS  # the rest were converted, not kept


@pytest.mark.parametrize(
    "text",
    [
        '[2,"1","Heartbeat",{}]',
        '[2,"1","X",{"a":123456789012345678901234567890,"b":-18446744073709551616}]',  # past 64 bits: still int
        '[2,"1","X",{"id":"12345678901234567890123"}]',  # 20 digits in a string: the json module too
        '[2,"1","X",{"v":1.0,"w":1e400,"n":NaN}]',  # what orjson refuses and the json module reads
        '["\\ud800"]',
        '{"a":1,"a":2}',
        b'[3,"1",{"currentTime":"2024-05-01T12:00:00.000Z"}]',
    ],
)
def test_frames_decode_exactly_as_the_json_module_decodes_them(text):
    decoded = codec.loads(text)
    assert repr(decoded) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["not json", "[1]x", "", '[2,"1"'])
def test_a_frame_that_is_not_json_raises_the_json_modules_error(text):
    with pytest.raises(ValueError):
        codec.loads(text)
