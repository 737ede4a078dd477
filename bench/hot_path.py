"""The OCPP hot path in process: the services a charger's frames call, timed without sockets, JSON or validation.

    .venv/bin/python bench/hot_path.py                       # SQLite in a temp dir, 5 rounds of 2,000 sessions
    .venv/bin/python bench/hot_path.py --rounds 7 --sessions 3000
    .venv/bin/python bench/hot_path.py --frames-per-turn 20          # group commit: 20 frames per commit (SQLite)
    .venv/bin/python bench/hot_path.py --no-group-commit             # every frame commits alone
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/hot_bench .venv/bin/python bench/hot_path.py

Each session is what a 1.6 and a 2.0.1 charger ask the services for: StatusNotification (connector status),
Authorize by tag, StartTransaction, 6 MeterValues, StopTransaction, last seen, then a 2.0.1 transaction of a
Started event, 6 periodic Updated events and an Ended event. Each service call ends like a frame does
(csms.connection._end_frame). It prints microseconds per call (wall clock and this process's CPU), the median and best of the rounds: compare two
versions of the code on the same machine, interleaved, not with figures of another day.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import gevent  # noqa: E402

from autocharge import create_app  # noqa: E402
from autocharge.csms.connection import _end_frame  # noqa: E402
from autocharge.extensions import db  # noqa: E402
from autocharge.hotpath import group  # noqa: E402
from autocharge.services import charger_state, chargers, transactions, users  # noqa: E402
from autocharge.services.transactions import Sample, TxEvent  # noqa: E402

_turn = [0, 1]  # frames so far, frames per turn of the loop (--frames-per-turn)
CALLS_PER_SESSION = 1 + 1 + 1 + 6 + 1 + 1 + 8  # see the docstring
T0 = datetime(2024, 5, 1, 10, 0)
_TMP = "/dev/shm" if os.path.isdir("/dev/shm") else None  # the disk's noise is not the hot path's


def session(charger_id: int, n: int) -> None:
    """Run one 1.6 and one 2.0.1 charging session's service calls (CALLS_PER_SESSION of them)."""
    t = T0 + timedelta(days=n)

    def frame(call, *args, **kwargs):
        state = group.start_frame()
        try:
            return call(*args, **kwargs)
        finally:
            _end_frame()
            group.end_frame(state)
            _turn[0] += 1
            if _turn[0] % _turn[1] == 0:
                gevent.sleep(0)  # the loop's next turn: the frames' group is committed (SQLite)

    frame(charger_state.connector_status, charger_id, 1, "Preparing")
    frame(transactions.authorization.authorize, charger_id, "TAG1")
    key = transactions.dedupe_key_v16(1, "TAG1", t.isoformat())
    tx = frame(transactions.start, charger_id, 1, key, "TAG1", None, 1000, t)
    for i in range(6):
        sample = Sample(t + timedelta(minutes=i + 1), energy_wh=1000 + 100 * (i + 1), power_w=7200.0)
        frame(transactions.add_samples, charger_id, tx.transaction_id, [sample])
    frame(transactions.stop, charger_id, tx.transaction_id, 1700, t + timedelta(minutes=10), "Local")
    frame(charger_state.seen_many, {charger_id: t + timedelta(minutes=10)})
    tx_id = f"tx-{n}"
    begin = Sample(t, energy_wh=5000, context="Transaction.Begin")
    frame(transactions.transaction_event, charger_id, TxEvent("Started", tx_id, t, 2, samples=(begin,)))
    for i in range(6):
        sample = Sample(t + timedelta(minutes=i + 1), energy_wh=5000 + 100 * (i + 1), power_w=7200.0)
        frame(
            transactions.transaction_event,
            charger_id,
            TxEvent("Updated", tx_id, sample.timestamp, 2, samples=(sample,)),
        )
    end = Sample(t + timedelta(minutes=10), energy_wh=5800)
    frame(transactions.transaction_event, charger_id, TxEvent("Ended", tx_id, end.timestamp, 2, samples=(end,)))


def main() -> None:
    """Migrate a database, add a charger and a user, time the sessions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=2000, help="sessions per round")
    parser.add_argument(
        "--frames-per-turn", type=int, default=1, help="frames between two turns of the loop: a group commit's size"
    )
    parser.add_argument("--no-group-commit", action="store_true", help="commit every frame alone (SQLite)")
    args = parser.parse_args()
    _turn[1] = args.frames_per_turn
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(dir=_TMP)}/hot.sqlite"
    settings = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "AUTOCHARGE_SERIALIZE_WRITES": True}
    app = create_app({**settings, "AUTOCHARGE_GROUP_COMMIT": not args.no_group_commit})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        charger_id = chargers.add_charger(f"HOT-{os.getpid()}").id
        user = users.add_user("Hot Bench", f"hot{os.getpid()}@example.com")
        users.add_tag(user.id, "TAG1")
        db.session.remove()
        session(charger_id, -1)  # warm: statements compiled, connections open
        wall, cpu = [], []
        calls = args.sessions * CALLS_PER_SESSION
        for r in range(args.rounds):
            started, started_cpu = time.perf_counter(), time.process_time()
            for n in range(args.sessions):
                session(charger_id, r * args.sessions + n)
            wall.append((time.perf_counter() - started) / calls * 1e6)
            cpu.append((time.process_time() - started_cpu) / calls * 1e6)
            print(f"round {r + 1}: {wall[-1]:.1f} us per call, {cpu[-1]:.1f} us CPU", flush=True)
        print(
            f"{db.engine.dialect.name} ({args.frames_per_turn} frames per loop turn, group commit "
            f"{'on' if app.config['AUTOCHARGE_GROUP_COMMIT'] else 'off'}): per call median {statistics.median(wall):.1f} us (best {min(wall):.1f}), "
            f"CPU median {statistics.median(cpu):.1f} us (best {min(cpu):.1f})"
        )


if __name__ == "__main__":
    main()
