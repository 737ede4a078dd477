"""Driving a simulator over time: charging with meter values, and staying connected like a real charger."""

import threading
import time

from .core import Simulator
from .link import ConnectRefused, SimulatorError

RECONNECT_SECONDS = 5.0


def charge(sim: Simulator, seconds: float, power_w: float, interval: float, connector_id: int = 1) -> int:
    """Charge for `seconds` at `power_w`, sending meter values every `interval` seconds; return the meter (Wh)."""
    energy = float(sim.meter_wh)
    last = time.monotonic()
    end = last + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(interval, left))
        now = time.monotonic()
        energy += power_w * (now - last) / 3600
        last = now
        sim.meter_values(round(energy), power_w, connector_id)
    return sim.meter_wh


def present(sim: Simulator, rfid: str | None = None, vid: str | None = None, connector_id: int = 1) -> bool:
    """Authorize a tag or vehicle identifier and, when accepted, start charging; tell whether it charges."""
    answer = sim.authorize(id_tag=rfid, vid=vid)
    info = answer.get("idTagInfo") or answer.get("idTokenInfo") or {}
    if info.get("status") == "Accepted":
        sim.start_transaction(connector_id, id_tag=rfid, vid=vid, meter_start=sim.meter_wh)
    return sim.transaction is not None and sim.transaction.authorized


def boot_until_accepted(sim: Simulator, until: float | None = None) -> bool:
    """Send BootNotification until the CSMS accepts the charger (Pending: retry after its interval)."""
    while True:
        answer = sim.boot()
        if answer["status"] == "Accepted":
            return True
        if answer["status"] == "Rejected":
            return False
        wait = answer.get("interval") or sim.heartbeat_interval
        if until is not None and time.monotonic() + wait > until:
            return False
        sim.say(f"Waiting {wait} s before booting again (an admin can accept {sim.charge_box_id} meanwhile).")
        time.sleep(wait)


def reconnect(sim: Simulator) -> bool:
    """Connect again after a lost connection, boot and report the connectors; tell whether it worked."""
    try:
        sim.connect()
        sim.boot_reason = "PowerUp"
        if sim.boot()["status"] != "Accepted":
            return True
        for connector_id, connector in sim.connectors.items():
            sim.status(connector_id, connector.status)
    except (ConnectRefused, SimulatorError) as exc:
        sim.say(f"Reconnecting failed: {exc}")
        sim.close()
        return False
    return True


def stay(
    sim: Simulator,
    power_w: float,
    interval: float,
    seconds: float | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Stay connected (for `seconds`, until `stop` is set, or Ctrl-C): heartbeat, meter values, reconnect."""
    until = None if seconds is None else time.monotonic() + seconds
    stop = stop or threading.Event()
    next_beat = time.monotonic() + sim.heartbeat_interval
    next_meter, last, energy = time.monotonic() + interval, time.monotonic(), float(sim.meter_wh)
    while not stop.is_set() and (until is None or time.monotonic() < until):
        if not sim.connected:
            sim.say(f"Connection lost; reconnecting in {RECONNECT_SECONDS:g} s.")
            if stop.wait(RECONNECT_SECONDS):
                break
            if reconnect(sim):
                next_beat = time.monotonic() + sim.heartbeat_interval
            continue
        if stop.wait(0.2 if until is None else max(0.0, min(0.2, until - time.monotonic()))):
            break
        now = time.monotonic()
        tx = sim.transaction
        if tx is None or not tx.authorized:
            last, energy = now, float(sim.meter_wh)  # no energy flows without an authorized transaction
        try:
            if now >= next_beat:
                sim.heartbeat()
                next_beat = now + sim.heartbeat_interval
            if tx is not None and tx.authorized and now >= next_meter:
                energy += power_w * (now - last) / 3600
                last, next_meter = now, now + interval
                # The console may have unplugged since `tx` was read: no reading (and no energy) after its stop.
                if not sim.meter_values_of(tx, round(energy), power_w):
                    energy = float(sim.meter_wh)
        except SimulatorError as exc:
            sim.say(f"{type(exc).__name__}: {exc}")
