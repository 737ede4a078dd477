"""Time the two OCPP codecs and schema checks we had, per message: ours (autocharge.wire) and the `ocpp` package's.

    .venv/bin/python bench/ocpp_codec.py [--rounds 500] [--repeats 5]

Each stage runs over a mix of what chargers send and what the back office answers (1.6 and 2.0.1: BootNotification,
Heartbeat, StatusNotification, Authorize, transactions with meter values), and prints microseconds per message: this
process's CPU time, the best of the repeats, so that other processes on a busy machine inflate it little:
- encode: an `ocpp` dataclass -> the frame's text (ours: codec.to_payload + call_frame; theirs: serialize_as_dict,
  snake_to_camel_case, remove_nones, Call.to_json);
- decode: the frame's text -> snake_case keyword arguments (ours: codec.loads + to_kwargs; theirs: unpack +
  camel_to_snake_case);
- validate: the payload against its JSON schema (ours: jsonschema-rs, built once; theirs: jsonschema's
  Draft4Validator, cached, as validate_payload runs it).
Before timing, both codecs must produce the same payloads and both checks must accept every message.
"""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

from ocpp import messages
from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16 import datatypes as types16
from ocpp.v16 import enums as enums16
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201 import datatypes as types201
from ocpp.v201 import enums as enums201

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from autocharge.wire import codec, schemas  # noqa: E402

NOW = "2026-12-03T08:00:00.000Z"


def _meter16(energy: int) -> types16.MeterValue:
    """Return a 1.6 meter value with energy and power, as the simulator sends it."""
    return types16.MeterValue(
        timestamp=NOW,
        sampled_value=[
            types16.SampledValue(
                value=str(energy),
                context=enums16.ReadingContext.sample_periodic,
                location=enums16.Location.outlet,
                measurand=enums16.Measurand.energy_active_import_register,
                unit=enums16.UnitOfMeasure.wh,
            ),
            types16.SampledValue(value="11000", measurand=enums16.Measurand.power_active_import, unit="W"),
        ],
    )


def _meter201(energy: int) -> types201.MeterValueType:
    """Return a 2.0.1 meter value with energy and power."""
    return types201.MeterValueType(
        timestamp=NOW,
        sampled_value=[
            types201.SampledValueType(
                value=float(energy), measurand=enums201.MeasurandEnumType.energy_active_import_register
            ),
            types201.SampledValueType(value=11000.0, measurand=enums201.MeasurandEnumType.power_active_import),
        ],
    )


TAG = types16.IdTagInfo(status=enums16.AuthorizationStatus.accepted)
TOKEN = types201.IdTokenType(id_token="001A2B3C4D5E", type=enums201.IdTokenEnumType.mac_address)
STATION = types201.ChargingStationType(vendor_name="Acme", model="Fast", serial_number="S-1", firmware_version="1.0")
INFO = types201.TransactionType(transaction_id="5f1c", charging_state=enums201.ChargingStateEnumType.charging)
# (version, action, the message, a response?)
MIX = [
    ("1.6", "BootNotification", call16.BootNotification("Acme", "Fast", charge_point_serial_number="S-1"), False),
    ("1.6", "Heartbeat", call16.Heartbeat(), False),
    ("1.6", "StatusNotification", call16.StatusNotification(1, "NoError", "Charging", timestamp=NOW), False),
    ("1.6", "Authorize", call16.Authorize("VID:001A2B3C4D5E"), False),
    ("1.6", "StartTransaction", call16.StartTransaction(1, "VID:001A2B3C4D5E", 0, NOW), False),
    ("1.6", "MeterValues", call16.MeterValues(1, [_meter16(1500)], transaction_id=7), False),
    ("1.6", "StopTransaction", call16.StopTransaction(3000, NOW, 7, transaction_data=[_meter16(3000)]), False),
    ("1.6", "BootNotification", result16.BootNotification(NOW, 300, "Accepted"), True),
    ("1.6", "StartTransaction", result16.StartTransaction(7, TAG), True),
    ("2.0.1", "BootNotification", call201.BootNotification(STATION, "PowerUp"), False),
    ("2.0.1", "Heartbeat", call201.Heartbeat(), False),
    ("2.0.1", "StatusNotification", call201.StatusNotification(NOW, "Occupied", 1, 1), False),
    ("2.0.1", "Authorize", call201.Authorize(TOKEN), False),
    (
        "2.0.1",
        "TransactionEvent",
        call201.TransactionEvent(
            "Updated", NOW, "MeterValuePeriodic", 3, INFO, meter_value=[_meter201(1500)], id_token=TOKEN
        ),
        False,
    ),
    ("2.0.1", "MeterValues", call201.MeterValues(1, [_meter201(1500)]), False),
    (
        "2.0.1",
        "TransactionEvent",
        result201.TransactionEvent(id_token_info=types201.IdTokenInfoType(status="Accepted")),
        True,
    ),
]


def ours_encode(action: str, message: object) -> str:
    """Return the frame of a message through our codec."""
    return codec.call_frame("m-1", action, codec.to_payload(message))


def theirs_encode(action: str, message: object) -> str:
    """Return the frame of a message the way the `ocpp` package builds it."""
    payload = remove_nones(snake_to_camel_case(serialize_as_dict(message)))
    return messages.Call("m-1", action, payload).to_json()


def ours_decode(text: str) -> dict:
    """Return a frame's payload as keyword arguments through our codec."""
    return codec.to_kwargs(codec.loads(text)[3])


def theirs_decode(text: str) -> dict:
    """Return a frame's payload as keyword arguments the way the `ocpp` package reads it."""
    return camel_to_snake_case(messages.unpack(text).payload)


def ours_validate(version: str, action: str, payload: dict, response: bool) -> None:
    """Check a payload with our compiled schemas."""
    schemas.validate(version, action, payload, response)


def theirs_validate(version: str, action: str, payload: dict, response: bool) -> None:
    """Check a payload as the `ocpp` package's validate_payload does (its synchronous body)."""
    message = messages.CallResult("m-1", payload, action) if response else messages.Call("m-1", action, payload)
    messages._validate_payload(message, version)


def per_message(work: Callable[[], None], count: int, rounds: int, repeats: int) -> float:
    """Return the best of `repeats` timings of `rounds` runs of `work`, in CPU microseconds per message."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(rounds):
            work()
        best = min(best, time.process_time() - started)
    return best / (rounds * count) * 1e6


def main() -> None:
    """Check that both ways agree, then time each stage and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=500, help="passes over the mix per timing")
    parser.add_argument("--repeats", type=int, default=5, help="timings per stage; the best is printed")
    args = parser.parse_args()

    frames = []
    for version, action, message, response in MIX:
        ours, theirs = ours_encode(action, message), theirs_encode(action, message)
        assert json.loads(ours) == json.loads(theirs), (action, ours, theirs)
        assert ours_decode(ours) == theirs_decode(theirs), action
        payload = json.loads(ours)[3]
        ours_validate(version, action, payload, response)
        theirs_validate(version, action, payload, response)
        frames.append((version, action, message, response, ours, payload))

    def stages(encode, decode, validate) -> dict[str, Callable[[], None]]:
        return {
            "encode": lambda: [encode(a, m) for _, a, m, _, _, _ in frames],
            "decode": lambda: [decode(t) for _, _, _, _, t, _ in frames],
            "validate": lambda: [validate(v, a, p, r) for v, a, _, r, _, p in frames],
        }

    ours = stages(ours_encode, ours_decode, ours_validate)
    theirs = stages(theirs_encode, theirs_decode, theirs_validate)
    print(f"{len(frames)} messages (1.6 and 2.0.1, requests and responses), best of {args.repeats}:")
    print(f"{'stage':<10}{'ours (wire)':>14}{'ocpp package':>16}{'theirs / ours':>16}")
    totals = [0.0, 0.0]
    for stage in ours:
        mine = per_message(ours[stage], len(frames), args.rounds, args.repeats)
        other = per_message(theirs[stage], len(frames), args.rounds, args.repeats)
        totals = [totals[0] + mine, totals[1] + other]
        print(f"{stage:<10}{mine:>11.1f} us{other:>13.1f} us{other / mine:>15.1f}x")
    print(f"{'all three':<10}{totals[0]:>11.1f} us{totals[1]:>13.1f} us{totals[1] / totals[0]:>15.1f}x")


if __name__ == "__main__":
    main()
