"""Round trips to PostgreSQL per OCPP message of bench/ocpp_load.py's mix, counted from libpq's protocol trace.

    .venv/bin/python bench/pg_round_trips.py postgresql+psycopg://postgres@127.0.0.1:5432/bench_pg
    .venv/bin/python bench/pg_round_trips.py URL --show     # and the protocol messages of each
    .venv/bin/python bench/pg_round_trips.py URL --timed 300  # then CPU per message over 300 untraced sessions

It registers two bench chargers (one authorizing by RFID tag, one by a vehicle), runs their 1.6 and 2.0.1 sessions
(ocpp_load.sessions16 / sessions201) through the frame handler the server runs (csms.connection._handle, which ends
each frame as a socket does), warm first (psycopg prepares a statement on its 5th execution), and counts per message
type the round trips: each time the client, having sent, waits for the server (libpq's trace: a send then a receive).
With --timed it then runs more sessions untraced and prints this process's CPU per message (no sockets, no framing:
the frame's handling as the server does it; compare versions interleaved on one machine).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import ocpp_load  # noqa: E402

from autocharge import create_app, pgwait  # noqa: E402
from autocharge.csms.charger_socket import Connection  # noqa: E402
from autocharge.csms.connection import _handle  # noqa: E402
from autocharge.services import charger_state  # noqa: E402

SESSIONS = {"1.6": (ocpp_load.sessions16, 20), "2.0.1": (ocpp_load.sessions201, 18)}  # messages per session


class Tracer:
    """libpq's protocol trace of every connection the engine opens, cut into one piece per frame."""

    def __init__(self, engine: sa.Engine):
        self.path = Path(tempfile.mkdtemp()) / "trace.txt"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self.connections: list = []
        sa.event.listen(engine, "connect", self._opened)

    def _opened(self, dbapi_connection, _record) -> None:
        if self.fd is not None:
            self.connections.append(dbapi_connection)
            self._trace(dbapi_connection)

    def stop(self) -> None:
        """Trace no more."""
        for conn in self.connections:
            if not conn.closed:
                conn.pgconn.untrace()
        self.connections, self.fd = [], None

    def _trace(self, dbapi_connection) -> None:
        dbapi_connection.pgconn.trace(self.fd)
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)

    def cut(self) -> list[str]:
        """Return the protocol lines since the last cut."""
        for conn in self.connections:
            if not conn.closed:
                conn.pgconn.untrace()  # flushes libpq's buffered stream
                self._trace(conn)
        with open(self.path) as f:
            lines = f.read().splitlines()
        os.truncate(self.path, 0)
        return lines


def round_trips(lines: list[str]) -> int:
    """Count the client's waits: a run of sent messages followed by a received one."""
    count, sending = 0, False
    for line in lines:
        if line.startswith("F\t"):
            sending = True
        elif line.startswith("B\t") and sending:
            count, sending = count + 1, False
    return count


def summary(lines: list[str]) -> list[str]:
    """Return the statements a frame sent, shortened (Query, Parse, and Bind of a prepared statement)."""
    said = []
    for line in lines:
        parts = line.split("\t")
        if parts[0] == "F" and parts[2] in ("Query", "Parse", "Bind", "Sync"):
            said.append(f"{parts[2]} {parts[3][:90] if len(parts) > 3 else ''}".rstrip())
        elif parts[0] == "B" and parts[2] == "ReadyForQuery":
            said.append("  <- ReadyForQuery")
    return said


def drive(app, tracer: Tracer, version: str, charger: int, warm: int, measured: int, stats: dict, show: bool) -> None:
    """Run `warm` then `measured` sessions of one charger; add each measured frame's round trips to `stats`."""
    make, per_session = SESSIONS[version]
    box = ocpp_load.box_id(charger)
    with app.app_context():
        charger_id = app.extensions["sqlalchemy"].session.scalar(
            sa.text("SELECT id FROM charger WHERE charge_box_id = :b"), {"b": box}
        )
        conn_id = f"rt-{version}-{charger}"
        charger_state.connected(charger_id, conn_id, version)
        conn = Connection(None, charger_id, box, version, "accepted", conn_id)
        messages, answer = make(charger), None
        tracer.cut()
        for n in range((warm + measured) * per_session):
            action, payload = messages.send(answer) if n else next(messages)
            frame = json.dumps([2, f"m{n}", action, payload])
            reply = json.loads(_handle(app, conn, frame))
            if reply[0] != 3:
                raise SystemExit(f"{action} answered {reply}")
            answer = reply[2]
            lines = tracer.cut()
            if n >= warm * per_session:
                label = f"{action} {payload.get('eventType', '')}".strip()
                stats[(version, label)].append(round_trips(lines))
                if show and len(stats[(version, label)]) == 1:
                    print(f"--- {version} {label} ({'tag' if charger % 2 == 0 else 'vehicle'})")
                    print("\n".join(summary(lines)))


def timed(app, version: str, charger: int, sessions: int) -> float:
    """Run `sessions` sessions of one charger untraced; return this process's CPU seconds per message."""
    make, per_session = SESSIONS[version]
    box = ocpp_load.box_id(charger)
    with app.app_context():
        charger_id = app.extensions["sqlalchemy"].session.scalar(
            sa.text("SELECT id FROM charger WHERE charge_box_id = :b"), {"b": box}
        )
        conn = Connection(None, charger_id, box, version, "accepted", f"rt-{version}-{charger}")
        messages, answer, count = make(charger), None, sessions * per_session
        started = time.process_time()
        for n in range(count):
            action, payload = messages.send(answer) if n else next(messages)
            answer = json.loads(_handle(app, conn, json.dumps([2, f"t{n}", action, payload])))[2]
        return (time.process_time() - started) / count


def main() -> None:
    """Register the chargers, drive their sessions, print round trips per message type."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--show", action="store_true", help="print each message type's protocol messages once")
    parser.add_argument("--timed", type=int, default=0, help="then time this many untraced sessions per charger")
    args = parser.parse_args()
    ocpp_load.prepare_database(args.database_url, 2)
    pgwait.install()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench"})
    app.config["AUTOCHARGE_LAST_SEEN_EVERY"] = 3600  # written in batches every few seconds: not a frame's cost
    with app.app_context():
        tracer = Tracer(app.extensions["sqlalchemy"].engine)
    stats: dict = defaultdict(list)
    for version in SESSIONS:
        for charger in (1, 2):
            drive(app, tracer, version, charger, 2, 2, stats, args.show)
    print(f"{'version':7} {'message':28} {'round trips (mean)':>18}")
    for (version, label), counts in stats.items():
        print(f"{version:7} {label:28} {sum(counts) / len(counts):18.2f}")
    for version in SESSIONS:
        counts = [c for (v, _), cs in stats.items() if v == version for c in cs]
        print(f"{version}: {sum(counts) / len(counts):.2f} round trips per message of the mix")

    if args.timed:
        tracer.stop()
        for version in SESSIONS:
            cpu = [timed(app, version, charger, args.timed) for charger in (1, 2)]
            print(f"{version}: {1000 * sum(cpu) / len(cpu):.3f} ms CPU per message ({args.timed} sessions per charger)")


if __name__ == "__main__":
    main()
