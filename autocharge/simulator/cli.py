"""`flask --app app simulate CP-1 ...`: a simulated charger for trying the back office without hardware."""

import errno
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator

import click

from . import console, drive
from .core import Simulator
from .link import CallErrorReceived, ConnectRefused, NothingListening, SimulatorError

NOT_AUTHORIZED = 3  # exit status when the CSMS did not authorize the vehicle or tag
ELSEWHERE = "A server elsewhere: pass --url, or set HOST and PORT as for `make run HOST=... PORT=...`."

HINTS = {
    400: "The server did not accept the OCPP subprotocol or the handshake.",
    401: "The charger has a password in the back office: pass it with --password.",
    404: "Register the charger first (Chargers screen, or `.venv/bin/flask --app app add-charger {id}`), or let"
    " unknown chargers in with AUTOCHARGE_ACCEPT_UNKNOWN_CHARGERS=1.",
    None: "Is the server running (make run)? " + ELSEWHERE,
}


def default_url() -> str:
    """Return our own OCPP endpoint where `make run` and app.py listen: HOST and PORT from the environment."""
    host = os.environ.get("HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # listening everywhere: this machine answers on its loopback
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"ws://{host}:{os.environ.get('PORT') or '5000'}/ocpp"


def refused_message(exc: ConnectRefused, charge_box_id: str) -> str:
    """Return what to tell a person whose charger the CSMS refused, or who reached no CSMS at all."""
    if isinstance(exc, NothingListening):
        return f"{exc}\n{ELSEWHERE}"
    hint = HINTS.get(exc.status, "").format(id=charge_box_id)
    if exc.status is None:  # no HTTP answer: nobody refused anything
        return f"{exc}\n{hint}"
    return f"The CSMS refused {charge_box_id}: {exc}\n{hint}".rstrip()


@click.command("simulate")
@click.argument("charge_box_id")
@click.option(
    "--url",
    default=default_url,
    show_default="ws://$HOST:$PORT/ocpp, or ws://127.0.0.1:5000/ocpp",
    help="The OCPP endpoint; the charge box id is appended.",
)
@click.option(
    "--ocpp",
    "version",
    type=click.Choice(["1.6", "2.0.1"]),
    default="1.6",
    show_default=True,
    help="OCPP version the charger speaks.",
)
@click.option("--password", help="The charger's OCPP basic-auth password, if it has one.")
@click.option("--plug-in", "plug_in", is_flag=True, help="Plug a vehicle in (implied by --vid, --rfid, --charge).")
@click.option("--vid", help="The vehicle's Auto Charge identifier (12 hex digits) it reports when plugged in.")
@click.option("--rfid", help="An RFID tag presented after plugging in.")
@click.option("--charge", type=float, default=0, help="Charge for this many seconds, then stop.")
@click.option("--power", type=float, default=11000, show_default=True, help="Charging power in W.")
@click.option("--interval", type=float, default=5, show_default=True, help="Seconds between meter values.")
@click.option("--unplug", is_flag=True, help="Unplug the vehicle at the end (stops a running transaction).")
@click.option(
    "--stay",
    is_flag=True,
    help="Stay connected, answering the back office's commands and taking typed ones (plug VID, rfid TAG,"
    " charge SECONDS, stop, unplug, quit), until quit or Ctrl-C.",
)
@click.option("--verbose", "-v", is_flag=True, help="Also print every OCPP frame sent and received.")
def simulate_command(
    charge_box_id: str,
    url: str,
    version: str,
    password: str | None,
    plug_in: bool,
    vid: str | None,
    rfid: str | None,
    charge: float,
    power: float,
    interval: float,
    unplug: bool,
    stay: bool,
    verbose: bool,
) -> None:
    """Simulate a charger: connect, boot, and optionally plug in a vehicle, authorize it and charge.

    \b
    Examples:
      .venv/bin/flask --app app simulate CP-1                        # connect and boot
      .venv/bin/flask --app app simulate CP-1 --vid 001A2B3C4D5E --charge 30 --unplug
      .venv/bin/flask --app app simulate CP-1 --ocpp 2.0.1 --rfid 04A1B2C3 --charge 20
      .venv/bin/flask --app app simulate CP-1 --stay                 # stay online; type plug 001A2B3C4D5E...
    """
    if vid and rfid:
        raise click.UsageError("Give --vid or --rfid, not both.")
    sim = Simulator(
        url,
        charge_box_id,
        version,
        password,
        log=click.echo,
        trace=(lambda line: click.echo(click.style(line, dim=True))) if verbose else None,
    )
    try:
        status = _run(sim, plug_in or bool(vid or rfid or charge), vid, rfid, charge, power, interval, unplug)
        if stay:
            _stay(sim, power, interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")
        status = 0
    except ConnectRefused as exc:
        raise click.ClickException(refused_message(exc, charge_box_id)) from exc
    except CallErrorReceived as exc:
        raise click.ClickException(f"The CSMS answered with an error: {exc}") from exc
    except SimulatorError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        sim.close()
    sys.exit(status)


def _stay(sim: Simulator, power: float, interval: float) -> None:
    """Stay connected and carry out the commands typed meanwhile, until quit (or Ctrl-C)."""
    stop = threading.Event()
    click.echo(f"Staying connected; Ctrl-C to stop. {console.HELP}")
    try:
        lines = _typed_lines(sys.stdin.fileno())
    except (AttributeError, ValueError, OSError):  # no terminal or pipe to read from: just stay
        lines = iter(())
    if hasattr(signal, "SIGTTIN"):
        # Reading the terminal from the background would stop the whole charger; this way the read fails instead.
        signal.signal(signal.SIGTTIN, signal.SIG_IGN)
    threading.Thread(target=console.run, args=(sim, lines, stop), name="sim-console", daemon=True).start()
    drive.stay(sim, power, interval, stop=stop)


def _typed_lines(fd: int) -> Iterator[str]:
    """Yield the lines read from `fd`, waiting in select (cooperative under gevent, so the charger keeps running)."""
    # The raw descriptor, not sys.stdin: its buffer could hold lines that select cannot see.
    pending = b""
    while True:
        try:
            select.select([fd], [], [])
            chunk = os.read(fd, 4096)
        except OSError as exc:
            if exc.errno == errno.EIO:  # run in the background (`&`) of a terminal: commands wait for `fg`
                time.sleep(1)
                continue
            chunk = b""
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        yield from (line.decode("utf-8", "replace") for line in lines)
    if pending.strip():
        yield pending.decode("utf-8", "replace")


def _run(
    sim: Simulator,
    plug_in: bool,
    vid: str | None,
    rfid: str | None,
    charge: float,
    power: float,
    interval: float,
    unplug: bool,
) -> int:
    """Do the requested steps in order; return the exit status."""
    sim.connect()
    if not drive.boot_until_accepted(sim):
        raise SimulatorError(
            f"The CSMS did not accept {sim.charge_box_id} (registration {sim.registration}):"
            " an admin must accept it on the Chargers screen."
        )
    sim.status(1, "Available")
    sim.heartbeat()
    if not plug_in:
        return 0
    sim.plug_in()
    status = 0
    if (vid or rfid) and not drive.present(sim, rfid=rfid, vid=vid):
        click.echo("Not authorized: the charger does not start charging.")
        status = NOT_AUTHORIZED
    if charge and sim.transaction is not None and sim.transaction.authorized:
        click.echo(f"Charging at {power:g} W for {charge:g} s...")
        meter = drive.charge(sim, charge, power, interval)
        sim.stop_transaction(meter, "Local")
    elif charge:
        click.echo("Nothing to charge: no authorized transaction.")
    if unplug:
        sim.unplug()
    return status
