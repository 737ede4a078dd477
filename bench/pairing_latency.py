"""Pairing latency: from the identifier frame leaving the charger to the identifier in the pairing status partial.

    .venv/bin/python bench/pairing_latency.py                    # 100 pairings, OCPP 1.6, fresh SQLite, poll 1 s
    .venv/bin/python bench/pairing_latency.py --ocpp 2.0.1 --pairings 200
    .venv/bin/python bench/pairing_latency.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

It migrates a fresh database (a SQLite file in a temp dir unless --database-url), creates an admin, a driver and
CP-1, starts the real server (`python app.py`) on a free port, connects a simulated CP-1 and then, per pairing:
the admin adds a vehicle and starts pairing over HTTP (the same forms the browser posts); the charger plugs in and
sends Authorize with a new identifier. Two readers fetch the status partial meanwhile:

- "present": polls every 10 ms; the time from the frame leaving the charger to the first partial showing the
  identifier is how long the server takes to store it and serve it (what the target is about);
- "seen by htmx": waits --poll seconds between requests, as `hx-trigger="load delay:1s"` does, starting at a
  random phase; that is what an admin watching the panel experiences (present + up to one poll interval).

Target: "present" well below one poll interval (1 s) at p99.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

EMAIL, PASSWORD = "bench@example.com", "bench-password-1"


def prepare(url: str) -> tuple[int, int]:
    """Migrate the database and create the admin, the driver and CP-1; return (user id, charger id)."""
    from flask_migrate import upgrade

    from autocharge import create_app
    from autocharge.extensions import db
    from autocharge.services import admins, chargers, users

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        admins.create_admin(EMAIL, PASSWORD)
        user = users.add_user("Bench Driver", "driver@example.com")
        charger = chargers.add_charger("CP-1", autocharge="supported")
        ids = (user.id, charger.id)
        db.engine.dispose()
    return ids


def start_server(url: str, port: int, poll: float, log_path: Path) -> subprocess.Popen:
    """Start `python app.py` on the database and wait until it accepts connections."""
    import socket

    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "AUTOCHARGE_PAIRING_POLL_SECONDS": str(poll)}
    log = open(log_path, "ab")  # noqa: SIM115 - the server keeps writing to it
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the server did not start; see {log_path}")


def watch(office, session_id: int, needle: str, every: float, stop: threading.Event, seen: list, phase: float = 0):
    """Fetch the status partial every `every` seconds until it shows `needle`; record when (monotonic)."""
    time.sleep(phase)
    while not stop.is_set():
        if needle in office.status(session_id):
            seen.append(time.monotonic())
            return
        time.sleep(every)


def one_pairing(i: int, offices: tuple, sim, user_id: int, charger_id: int, poll: float) -> tuple[float, float, float]:
    """Pair vehicle i; return seconds until the identifier was present, seen by htmx polling, and Authorize's RTT."""
    office, tight, htmx_like = offices
    vehicle = office.add_vehicle(user_id, f"BENCH-{i:04d}")
    page = office.pair(user_id, vehicle, charger_id)
    assert page.status == 302, page.text
    session_id = page.id_at_end()
    mac = f"00AC{i:08X}"
    shown = ":".join(mac[k : k + 2] for k in range(0, 12, 2))
    stop, present, polled = threading.Event(), [], []
    htmx_reader = threading.Thread(
        target=watch, args=(htmx_like, session_id, shown, poll, stop, polled, random.uniform(0, poll))
    )
    htmx_reader.start()
    time.sleep(random.uniform(0.05, poll))  # the EV arrives at any moment of the poll cycle
    # The tight reader starts with the frame, so its 10 ms polling does not load the server beforehand.
    tight_reader = threading.Thread(target=watch, args=(tight, session_id, shown, 0.01, stop, present))
    readers = [htmx_reader, tight_reader]
    sent = time.monotonic()
    tight_reader.start()
    answer = sim.authorize(vid=mac)
    rtt = time.monotonic() - sent
    status = (answer.get("idTagInfo") or answer.get("idTokenInfo"))["status"]
    assert status == "Accepted", answer
    for reader in readers:
        reader.join(10 + 2 * poll)
    stop.set()
    assert present and polled, f"pairing {i}: the identifier never appeared"
    return present[0] - sent, polled[0] - sent, rtt


def summary(name: str, values: list[float]) -> str:
    """Format p50/p95/p99/max/mean in milliseconds."""
    ordered = sorted(values)

    def pick(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return (
        f"{name:<34} p50 {pick(0.5):7.1f}  p95 {pick(0.95):7.1f}  p99 {pick(0.99):7.1f}  "
        f"max {ordered[-1] * 1000:7.1f}  mean {statistics.fmean(ordered) * 1000:7.1f} ms"
    )


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairings", type=int, default=100)
    parser.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="1.6")
    parser.add_argument("--poll", type=float, default=1.0, help="htmx poll interval in seconds (default 1)")
    parser.add_argument("--database-url", help="an empty database to use instead of a fresh SQLite file")
    args = parser.parse_args()

    from conftest import free_port
    from pairing_support import BackOffice

    from autocharge.simulator import Simulator

    workdir = Path(tempfile.mkdtemp(prefix="pairing-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite'}"
    user_id, charger_id = prepare(url)
    port = free_port()
    server = start_server(url, port, args.poll, workdir / "server.log")
    try:
        base = f"http://127.0.0.1:{port}"
        offices = tuple(BackOffice(base).login(EMAIL, PASSWORD) for _ in range(3))
        sim = Simulator(f"ws://127.0.0.1:{port}/ocpp", "CP-1", version=args.ocpp)
        sim.connect()
        sim.boot()
        results = [one_pairing(i, offices, sim, user_id, charger_id, args.poll) for i in range(args.pairings)]
        sim.close()
    finally:
        server.terminate()
        server.wait(10)
    present, polled, rtt = zip(*results, strict=True)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{args.pairings} pairings, OCPP {args.ocpp}, {backend}, poll interval {args.poll:g} s")
    print(summary("Authorize round trip", list(rtt)))
    print(summary("identifier present in the partial", list(present)))
    print(summary("seen by htmx load polling", list(polled)))
    worst = max(present)
    verdict = "meets" if worst < args.poll else "MISSES"
    print(f"target: present below one poll interval ({args.poll:g} s): {verdict} (worst {worst * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
