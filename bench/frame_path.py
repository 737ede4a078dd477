"""The whole OCPP frame path in process: JSON, validation, handlers, group commit and answers, without sockets.

    .venv/bin/python bench/frame_path.py                         # SQLite in /dev/shm, 100 chargers, 5 rounds
    .venv/bin/python bench/frame_path.py --rounds 7 --messages 40000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/frame_bench .venv/bin/python bench/frame_path.py

Each of --chargers greenlets plays one 1.6 charger of bench/ocpp_load.py (its realistic sessions, the same mix)
against csms.connection's frame handling, as the receive loop does it: a frame's answer waits for the commit of what
it wrote, and the commit comes at the loop's next turn. It prints this thread's CPU microseconds per message (the
main thread only: SQLite's checkpoint thread and PostgreSQL's server are not counted; the chargers' own JSON is).
Steadier than ocpp_load.py's server CPU, which adds the sockets, the hub and the kernel: compare two versions of the
code here, interleaved on one machine, then confirm with ocpp_load.py.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import orjson  # noqa: E402
import sqlalchemy as sa  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ocpp_load  # noqa: E402

from autocharge import checkpoint, create_app  # noqa: E402
from autocharge.csms import connection, registry  # noqa: E402
from autocharge.csms.charger_socket import Connection  # noqa: E402
from autocharge.extensions import db  # noqa: E402
from autocharge.services import charger_state  # noqa: E402

_T0 = datetime(2030, 1, 1)


class NoSocket:
    """The socket a Connection sends back-office calls on: none are made here."""

    def send(self, text: str) -> None:
        """Drop the frame."""


def timestamps(count: int):
    """Make ocpp_load's chargers stamp their messages from a ready list (unique, as start dedupe keys need)."""
    stamps = [(_T0 + timedelta(seconds=i)).isoformat(timespec="milliseconds") + "Z" for i in range(count)]
    following = itertools.count()
    ocpp_load.now = lambda: stamps[next(following) % count]


def connections(app, count: int) -> list[Connection]:
    """Mark the bench chargers connected and return their Connection objects."""
    with app.app_context():
        ids = dict(db.session.execute(sa.text("SELECT charge_box_id, id FROM charger")).all())
        found = []
        for i in range(1, count + 1):
            box = ocpp_load.box_id(i)
            registration = charger_state.connected(ids[box], registry.new_connection_id(), "1.6")
            found.append(Connection(NoSocket(), ids[box], box, "1.6", registration, f"bench-{i}"))
        db.session.remove()
    return found


def handle(app, conn: Connection, text: str) -> str:
    """Answer one frame as the receive loop does (connection._receive_loop), the socket aside."""
    reply, yielded = connection.answer(app, conn, text)
    if not yielded:
        gevent.sleep(0)
    return reply


def charger(app, i: int, conn: Connection, answered: list, stop: list) -> None:
    """Play charger i's sessions until told to stop."""
    messages = ocpp_load.sessions16(i)
    action, payload = next(messages)
    with app.app_context():
        for n in itertools.count():
            if stop:
                return
            answer = orjson.loads(handle(app, conn, orjson.dumps([2, f"{i}-{n}", action, payload]).decode()))
            if answer[0] != 3:
                raise SystemExit(f"{action} answered {answer}")
            answered[0] += 1
            action, payload = messages.send(answer[2])


def round_of(app, conns: list[Connection], messages: int) -> tuple[float, float]:
    """Run the chargers until `messages` are answered; return (CPU us per message, messages per second)."""
    answered, stop = [0], []
    players = [gevent.spawn(charger, app, i + 1, conn, answered, stop) for i, conn in enumerate(conns)]
    cpu, wall = time.thread_time(), time.perf_counter()
    while answered[0] < messages:
        gevent.sleep(0.01)
    cpu, wall, done = time.thread_time() - cpu, time.perf_counter() - wall, answered[0]
    stop.append(True)
    gevent.joinall(players, raise_error=True)
    return cpu / done * 1e6, done / wall


def main() -> None:
    """Parse the arguments, prepare the database and print the figures of each round."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20000, help="answered messages per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/frames.db"
    with contextlib.redirect_stderr(io.StringIO()):  # alembic's migration lines
        ocpp_load.prepare_database(url, args.chargers)
    timestamps(args.rounds * args.messages + args.messages + 10 * args.chargers)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    if url.startswith("sqlite"):
        checkpoint.start(f"{folder}/frames.db")  # as the server does
    conns = connections(app, args.chargers)
    round_of(app, conns, min(3000, args.messages))  # warm up: statements compiled and prepared, caches filled
    figures = []
    for number in range(1, args.rounds + 1):
        cpu, rate = round_of(app, conns, args.messages)
        figures.append(cpu)
        print(f"round {number}: {cpu:.1f} us CPU per message, {rate:,.0f} msg/s")
    name = sa.make_url(url).get_backend_name()
    print(f"{name}, {args.chargers} chargers, the 1.6 mix: median {statistics.median(figures):.1f} us CPU per message")
    print(f"(best {min(figures):.1f})")


if __name__ == "__main__":
    main()
