"""Commands typed to a staying simulator (`simulate CP-1 --stay`), so one charger does a whole walk-through.

A second simulator of the same charge box id would take the connection over (the CSMS keeps the newest socket)
and the two would push each other out; typing to the one that stays online avoids that.
"""

import threading
from collections.abc import Callable, Iterable

from . import drive
from .core import Simulator
from .link import SimulatorError

HELP = (
    "Commands: plug [VID] (plug a vehicle in; with its Auto Charge identifier it authorizes itself),"
    " rfid TAG, charge SECONDS (then stop), stop, unplug, quit (unplugs first)."
)


def run(sim: Simulator, lines: Iterable[str], stop: threading.Event) -> None:
    """Carry out the commands in `lines` one by one, until `quit` (which sets `stop`) or the end of the input."""
    for line in lines:
        words = line.split("#", 1)[0].split()  # a line pasted from the README keeps its comment
        if stop.is_set():
            return
        if not words:
            continue
        name, args = words[0].lower(), words[1:]
        if name in ("quit", "exit"):
            _quit(sim, stop)
            return
        command = COMMANDS.get(name)
        if command is None or len(args) not in command[1]:
            sim.say(f"Not understood: {' '.join(words)}. {HELP}")
            continue
        try:
            command[0](sim, stop, *args)
        except (SimulatorError, ValueError) as exc:
            sim.say(f"{name} failed: {exc}")


def _plug(sim: Simulator, stop: threading.Event, vid: str | None = None) -> None:
    """Plug a vehicle in (unless one is); a vehicle identifier is then authorized and charging starts."""
    if not sim.connectors[1].plugged:
        sim.plug_in()
    if vid is not None:
        _present(sim, vid=vid)


def _rfid(sim: Simulator, stop: threading.Event, tag: str) -> None:
    """Present an RFID tag (plugging a vehicle in first, if none is); charging starts when it is accepted."""
    if not sim.connectors[1].plugged:
        sim.plug_in()
    _present(sim, rfid=tag)


def _present(sim: Simulator, rfid: str | None = None, vid: str | None = None) -> None:
    """Authorize and start, unless a session already charges; say when the CSMS refused."""
    if sim.transaction is not None and sim.transaction.authorized:
        raise SimulatorError("a session is already charging: stop or unplug first.")
    if drive.present(sim, rfid=rfid, vid=vid):
        sim.say("Charging; meter values follow. stop or unplug ends the session.")
    else:
        sim.say("Not authorized: the charger does not start charging.")


def _charge(sim: Simulator, stop: threading.Event, seconds: str) -> None:
    """Let the running session charge for a while (the staying loop sends its meter values), then stop it."""
    if sim.transaction is None or not sim.transaction.authorized:
        raise SimulatorError("nothing is charging: plug VID or rfid TAG first.")
    if not stop.wait(float(seconds)):
        _stop(sim, stop)


def _stop(sim: Simulator, stop: threading.Event) -> None:
    """Stop the running session; the vehicle stays plugged in."""
    if sim.transaction is None:
        raise SimulatorError("no session is running.")
    sim.stop_transaction(sim.meter_wh, "Local")


def _unplug(sim: Simulator, stop: threading.Event) -> None:
    """Unplug the vehicle, which ends a running session."""
    sim.unplug()


def _quit(sim: Simulator, stop: threading.Event) -> None:
    """Unplug a vehicle that is still charging (so no session is left open), then end the staying loop."""
    try:
        if sim.transaction is not None:
            sim.unplug()
    except SimulatorError as exc:
        sim.say(f"unplug failed: {exc}")
    stop.set()


def _help(sim: Simulator, stop: threading.Event) -> None:
    """Show the commands."""
    sim.say(HELP)


# name: (function, the numbers of arguments it takes)
COMMANDS: dict[str, tuple[Callable[..., None], tuple[int, ...]]] = {
    "plug": (_plug, (0, 1)),
    "rfid": (_rfid, (1,)),
    "charge": (_charge, (1,)),
    "stop": (_stop, (0,)),
    "unplug": (_unplug, (0,)),
    "help": (_help, (0,)),
}
