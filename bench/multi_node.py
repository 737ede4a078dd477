"""Several processes on one PostgreSQL: cross-process command and pairing latency; msg/s and CPU, 1 vs 2 processes.

    .venv/bin/python bench/multi_node.py                      # a fresh database on postgres@127.0.0.1:5432
    .venv/bin/python bench/multi_node.py --server postgresql+psycopg://postgres@127.0.0.1:5432/postgres --commands 200

It creates a database of its own (dropped at the end), starts two servers (`python app.py`, A and B) and:
- commands: CP-1 (simulated) on A; an admin posts Clear cache on CP-1's page on A (same process) and on B (through
  the outbox and LISTEN/NOTIFY); prints the HTTP round trip of each, p50/p99;
- pairing: the admin pairs on B, the charger sends the identifier to A; prints bench/pairing_latency.py's figures;
- load: bench/ocpp_load.py --max against A alone, then two generators at once against A and B (half the chargers
  each); prints msg/s and server CPU per answered message.
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import pairing_latency  # noqa: E402


def percentiles(values: list[float]) -> str:
    """Format p50/p99/max of seconds in milliseconds."""
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f}  p99 {p99 * 1000:6.1f}  max {ordered[-1] * 1000:6.1f} ms"


def command_round_trips(office, charger_id: int, count: int) -> list[float]:
    """Post Clear cache `count` times on one process; return each HTTP round trip in seconds."""
    took = []
    for _ in range(count):
        started = time.monotonic()
        page = office.post(f"/chargers/{charger_id}/clear-cache")
        took.append(time.monotonic() - started)
        assert page.status == 302, page.text
    assert "accepted the cache clearing" in office.get(page.location).text
    return took


def load(url: str, servers: list[tuple[subprocess.Popen, int]], chargers: int, seconds: float) -> tuple[float, float]:
    """Run one ocpp_load.py --max per server at once (chargers split); return total msg/s and mean CPU ms/message."""
    share = chargers // len(servers)
    runs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "ocpp_load.py"), "--max", "--seconds", str(seconds)]
            + ["--url", f"ws://127.0.0.1:{port}/ocpp", "--server-pid", str(proc.pid), "--database-url", url]
            + ["--chargers", str(share), "--first", str(1 + n * share)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n, (proc, port) in enumerate(servers)
    ]
    rates, cpus = [], []
    for run in runs:
        out = run.communicate(timeout=seconds + 300)[0]
        rate = re.search(r"= (\d+) msg/s", out)
        cpu = re.search(r"server CPU per answered message ([\d.]+) ms", out)
        if not (rate and cpu):
            raise SystemExit(f"ocpp_load.py failed:\n{out}")
        rates.append(float(rate.group(1)))
        cpus.append(float(cpu.group(1)))
    return sum(rates), statistics.fmean(cpus)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--commands", type=int, default=100)
    parser.add_argument("--pairings", type=int, default=30)
    parser.add_argument("--chargers", type=int, default=400, help="load phase: chargers over all processes")
    parser.add_argument("--seconds", type=float, default=15, help="load phase: measured seconds per run")
    args = parser.parse_args()

    from conftest import free_port
    from pairing_support import BackOffice

    from autocharge.simulator import Simulator

    base = sa.make_url(args.server)
    name = f"autocharge_multi_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    workdir = Path(tempfile.mkdtemp(prefix="multi-node-bench-"))
    servers: list[tuple[subprocess.Popen, int]] = []
    try:
        user_id, charger_id = pairing_latency.prepare(url)
        for label in "AB":
            port = free_port()
            servers.append((pairing_latency.start_server(url, port, 1.0, workdir / f"{label}.log"), port))
        (_, port_a), (_, port_b) = servers
        office_a, office_b = (
            BackOffice(f"http://127.0.0.1:{port}").login(pairing_latency.EMAIL, pairing_latency.PASSWORD)
            for port in (port_a, port_b)
        )
        sim = Simulator(f"ws://127.0.0.1:{port_a}/ocpp", "CP-1")
        sim.connect()
        sim.boot()
        print(f"two processes on PostgreSQL ({name}); CP-1 on A; Clear cache x{args.commands} from each")
        print(
            f"  command from A (same process)      {percentiles(command_round_trips(office_a, charger_id, args.commands))}"
        )
        print(
            f"  command from B (through PostgreSQL) {percentiles(command_round_trips(office_b, charger_id, args.commands))}"
        )
        offices = tuple(
            BackOffice(f"http://127.0.0.1:{port_b}").login(pairing_latency.EMAIL, pairing_latency.PASSWORD)
            for _ in range(3)
        )
        results = [pairing_latency.one_pairing(i, offices, sim, user_id, charger_id, 1.0) for i in range(args.pairings)]
        sim.close()
        present, polled, _ = zip(*results, strict=True)
        print(f"pairing started on B, identifier sent to A, x{args.pairings}")
        print(f"  identifier present in B's partial   {percentiles(list(present))}")
        print(f"  seen by 1 s htmx polling            {percentiles(list(polled))}")
        print(f"load: ocpp_load.py --max, {args.chargers} chargers, {args.seconds:g} s (OCPP 1.6)")
        rate, cpu = load(url, servers[:1], args.chargers, args.seconds)
        print(f"  1 process : {rate:6.0f} msg/s, server CPU {cpu:.2f} ms per message")
        rate, cpu = load(url, servers, args.chargers, args.seconds)
        print(f"  2 processes: {rate:6.0f} msg/s, server CPU {cpu:.2f} ms per message (mean of the two)")
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(10)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
