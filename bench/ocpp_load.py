"""OCPP load: many simulated chargers against the real server; connections held, server RSS, msg/s, latency.

    .venv/bin/python bench/ocpp_load.py                                  # 1,000 chargers, 1,000 msg/s, 30 s
    .venv/bin/python bench/ocpp_load.py --max                            # as fast as the server answers
    .venv/bin/python bench/ocpp_load.py --connections-only --chargers 10000 --seconds 10
    .venv/bin/python bench/ocpp_load.py --ocpp 2.0.1 --rate 1500
    .venv/bin/python bench/ocpp_load.py --url ws://127.0.0.1:5000/ocpp --server-pid 1234   # a running server

By default it migrates a fresh SQLite file in a temp dir, registers BENCH-00001... (each with its own password,
half authorizing by RFID tag, half by an active vehicle's identifier) and starts `python app.py` on a free port
with a raised fd limit. With --url the chargers must exist already (--database-url registers them first).

Each charger runs realistic sessions: Heartbeat, plug in, Authorize, start, 12 meter values, stop, unplug
(1.6: StatusNotification/Authorize/Start/MeterValues/StopTransaction; 2.0.1: StatusNotification, Authorize,
TransactionEvent). Only CallResults count as achieved messages: the server answers after validating and storing.
Chargers are spread over their session first (each sends a random number of unmeasured messages), so the mix is
steady; --in-step starts them all at the same message (a burst of 1,000 StartTransactions in one second, and so on).
The load generator is one gevent process with a minimal WebSocket client (raw frames). It prints figures.
Targets: 10,000 connected chargers in < 400 MiB; >= 1,500 validated and persisted msg/s; p99 < 50 ms at 1,000 msg/s.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import gevent  # noqa: E402
from gevent.pool import Pool  # noqa: E402
from wsaccel.xormask import XorMaskerSimple  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-0001"
METER_VALUES_PER_SESSION = 12
CALL_TIMEOUT = 30.0
LAUNCH = (  # the server, with its fd limit raised first (the limit is per process)
    "import resource, runpy, sys; n = int(sys.argv.pop(1)); resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)); "
    "sys.argv[0] = 'app.py'; runpy.run_path('app.py', run_name='__main__')"
)


def box_id(i: int) -> str:
    """Return the charge box id of bench charger i."""
    return f"BENCH-{i:05d}"


def token_of(i: int, version: str) -> tuple[str, str]:
    """Return charger i's identifier and 2.0.1 idToken type: even chargers use an RFID tag, odd ones a vehicle."""
    if i % 2 == 0:
        return f"BT{i:06d}", "ISO14443"
    mac = f"00{i:010X}"
    return (f"VID:{mac}" if version == "1.6" else mac), "MacAddress"


# The server process and its database


def prepare_database(url: str, count: int, first: int = 1) -> None:
    """Migrate the database and register `count` chargers from number `first`, their users, tags and vehicles."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from autocharge import create_app
    from autocharge.db import utcnow, writing
    from autocharge.extensions import db
    from autocharge.models import Charger, RfidTag, User, Vehicle
    from autocharge.services.chargers import hash_charger_password, validate_box_id

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        existing = set(
            db.session.scalars(sa.select(Charger.charge_box_id).where(Charger.charge_box_id.like("BENCH-%")))
        )
        todo = [i for i in range(first, first + count) if box_id(i) not in existing]
        if not todo:  # an insert of no rows would insert one row of defaults
            db.engine.dispose()
            return
        with writing() as session:
            session.execute(
                sa.insert(Charger),
                [
                    {
                        "charge_box_id": validate_box_id(box_id(i)),
                        "registration": "accepted",
                        "autocharge": "supported",
                        "password_hash": hash_charger_password(PASSWORD),
                    }
                    for i in todo
                ],
            )
            session.execute(sa.insert(User), [{"name": f"Bench {i}", "email": f"bench{i}@example.com"} for i in todo])
            ids = dict(
                session.execute(sa.select(User.email, User.id).where(User.email.like("bench%@example.com"))).all()
            )
            session.execute(
                sa.insert(RfidTag),
                [{"user_id": ids[f"bench{i}@example.com"], "tag": token_of(i, "1.6")[0]} for i in todo if i % 2 == 0],
            )
            session.execute(
                sa.insert(Vehicle),
                [
                    {
                        "user_id": ids[f"bench{i}@example.com"],
                        "plate": f"B-{i}",
                        "plate_key": f"B{i}",
                        "identifier": f"00{i:010X}",
                        "status": "active",
                        "paired_at": utcnow(),
                    }
                    for i in todo
                    if i % 2
                ],
            )
        db.engine.dispose()


def persisted(url: str) -> tuple[int, int]:
    """Return how many transactions and meter samples the database holds."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        txs = conn.execute(sa.text('SELECT count(*) FROM "transaction"')).scalar_one()
        samples = conn.execute(sa.text("SELECT count(*) FROM meter_sample")).scalar_one()
    engine.dispose()
    return txs, samples


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, nofile: int, log_path: Path) -> subprocess.Popen:
    """Start `python app.py` on the database and wait until it listens."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench"}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, str(nofile), "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log_path.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start: {log_path.read_text()}")


def rss_mib(pid: int | None) -> float | None:
    """Return a process's resident memory in MiB (from /proc/<pid>/status)."""
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def cpu_seconds(pid: int | None) -> float:
    """Return a process's user+system CPU seconds (from /proc/<pid>/stat)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sched_seconds(pid: int | None) -> tuple[float, float]:
    """Return a process's main-thread seconds on a CPU and seconds runnable but waiting for one (/proc schedstat)."""
    if pid is None:
        return 0.0, 0.0
    on_cpu, waiting, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    return int(on_cpu) / 1e9, int(waiting) / 1e9


def steal_seconds() -> float:
    """Return the machine's CPU time stolen by the hypervisor so far, over all CPUs (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


# A minimal OCPP-J client: one socket, raw WebSocket frames, one outstanding call


class Charger:
    """One simulated charger's socket."""

    __slots__ = ("sock", "buf", "box")

    def __init__(self, box: str):
        self.box = box
        self.sock: socket.socket | None = None
        self.buf = bytearray()

    def connect(self, host: str, port: int, path: str, subprotocol: str, password: str | None) -> None:
        """Open the socket and do the WebSocket handshake (Basic auth, subprotocol)."""
        self.sock = socket.create_connection((host, port), timeout=CALL_TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        auth = ""
        if password:
            auth = "Authorization: Basic " + base64.b64encode(f"{self.box}:{password}".encode()).decode() + "\r\n"
        self.sock.sendall(
            (
                f"GET {path}/{self.box} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: {subprotocol}\r\n{auth}\r\n"
            ).encode()
        )
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))

    def call(self, action: str, payload: dict) -> list:
        """Send a Call and return the answering frame (answering any Call the server sends meanwhile)."""
        unique_id = uuid.uuid4().hex
        self.send(json.dumps([2, unique_id, action, payload], separators=(",", ":")))
        while True:
            frame = json.loads(self.recv())
            if frame[0] == 2:
                self.send(json.dumps([4, frame[1], "NotSupported", "bench charger", {}]))
            elif frame[1] == unique_id:
                return frame

    def send(self, text: str) -> None:
        """Send one masked text frame."""
        data = text.encode()
        size = len(data)
        if size < 126:
            head = bytes((0x81, 0x80 | size))
        elif size < 65536:
            head = bytes((0x81, 0x80 | 126)) + size.to_bytes(2, "big")
        else:
            head = bytes((0x81, 0x80 | 127)) + size.to_bytes(8, "big")
        mask = os.urandom(4)
        self.sock.sendall(head + mask + XorMaskerSimple(mask).process(data))

    def recv(self) -> str:
        """Return the next text frame (answering pings; a close frame ends the connection)."""
        while True:
            b0, b1 = self._read(2)
            size = b1 & 0x7F
            if size == 126:
                size = int.from_bytes(self._read(2), "big")
            elif size == 127:
                size = int.from_bytes(self._read(8), "big")
            data = self._read(size)
            opcode = b0 & 0x0F
            if opcode == 1:
                return data.decode()
            if opcode == 8:
                raise ConnectionError("closed by the server")
            if opcode == 9:
                mask = os.urandom(4)
                self.sock.sendall(bytes((0x8A, 0x80 | len(data))) + mask + XorMaskerSimple(mask).process(data))

    def close(self) -> None:
        """Close the socket."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk


# What the chargers say


def now() -> str:
    """Return the time as OCPP writes it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def boot(version: str) -> tuple[str, dict]:
    """Return a BootNotification."""
    if version == "1.6":
        return "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Load"}
    return "BootNotification", {"chargingStation": {"vendorName": "Bench", "model": "Load"}, "reason": "PowerUp"}


def status(version: str, value: str) -> tuple[str, dict]:
    """Return a StatusNotification of connector / EVSE 1."""
    if version == "1.6":
        return "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": value, "timestamp": now()}
    return "StatusNotification", {"timestamp": now(), "connectorStatus": value, "evseId": 1, "connectorId": 1}


def meter16(energy: int, context: str = "Sample.Periodic") -> list:
    """Return 1.6 meterValue: energy register and power."""
    return [
        {
            "timestamp": now(),
            "sampledValue": [
                {"value": str(energy), "context": context, "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": "11000", "context": context, "measurand": "Power.Active.Import", "unit": "W"},
            ],
        }
    ]


def sessions16(i: int):
    """Yield charger i's 1.6 messages forever; receives each answer's payload."""
    tag, meter = token_of(i, "1.6")[0], 0
    while True:
        yield "Heartbeat", {}
        yield status("1.6", "Preparing")
        yield "Authorize", {"idTag": tag}
        answer = yield "StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": meter, "timestamp": now()}
        tx = answer.get("transactionId", 0)
        yield status("1.6", "Charging")
        for _ in range(METER_VALUES_PER_SESSION):
            meter += 250
            yield "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": meter16(meter)}
        meter += 250
        yield (
            "StopTransaction",
            {
                "transactionId": tx,
                "meterStop": meter,
                "timestamp": now(),
                "idTag": tag,
                "reason": "Local",
                "transactionData": meter16(meter, "Transaction.End"),
            },
        )
        yield status("1.6", "Finishing")
        yield status("1.6", "Available")


def sessions201(i: int):
    """Yield charger i's 2.0.1 messages forever (the transaction starts at plug-in)."""
    value, kind = token_of(i, "2.0.1")
    token, meter = {"idToken": value, "type": kind}, 0

    def event(kind_, trigger, seq, tx, state, **extra):
        sampled = [{"value": meter, "measurand": "Energy.Active.Import.Register"}]
        return "TransactionEvent", {
            "eventType": kind_,
            "timestamp": now(),
            "triggerReason": trigger,
            "seqNo": seq,
            "transactionInfo": {"transactionId": tx, "chargingState": state, **extra.pop("info", {})},
            "evse": {"id": 1, "connectorId": 1},
            "meterValue": [{"timestamp": now(), "sampledValue": sampled}],
            **extra,
        }

    while True:
        tx = str(uuid.uuid4())
        yield "Heartbeat", {}
        yield status("2.0.1", "Occupied")
        yield event("Started", "CablePluggedIn", 0, tx, "EVConnected")
        yield "Authorize", {"idToken": token}
        yield event("Updated", "Authorized", 1, tx, "Charging", idToken=token)
        for seq in range(2, 2 + METER_VALUES_PER_SESSION):
            meter += 250
            yield event("Updated", "MeterValuePeriodic", seq, tx, "Charging")
        meter += 250
        yield event(
            "Ended",
            "StopAuthorized",
            2 + METER_VALUES_PER_SESSION,
            tx,
            "EVConnected",
            idToken=token,
            info={"stoppedReason": "Local"},
        )
        yield status("2.0.1", "Available")


# Measuring


class Stats:
    """Answers counted in the measured window, and their latencies."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.by_action: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.failed = 0  # chargers that lost their connection or timed out

    def record(self, action: str, seconds: float, frame: list) -> None:
        """Count one answer."""
        if frame[0] == 3:
            self.latencies.append(seconds)
            self.by_action.setdefault(action, []).append(seconds)
        else:
            key = f"{action}: {frame[2]}"
            self.errors[key] = self.errors.get(key, 0) + 1

    def percentile(self, p: float, action: str | None = None) -> float:
        """Return a latency percentile in ms (of one action, or of all)."""
        ordered = sorted(self.by_action[action] if action else self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def open_charger(i: int, target: dict, version: str, password: str | None) -> Charger | None:
    """Connect charger i, boot it and report its connector Available; return None if that failed."""
    charger = Charger(box_id(i))
    try:
        charger.connect(target["host"], target["port"], target["path"], f"ocpp{version}", password)
        for action, payload in (boot(version), status(version, "Available")):
            frame = charger.call(action, payload)
            if frame[0] != 3:
                raise ConnectionError(f"{action}: {frame[2]}")
    except (OSError, ConnectionError, ValueError) as exc:
        target.setdefault("errors", []).append(f"{box_id(i)}: {exc}")
        charger.close()
        return None
    return charger


def connect_all(count: int, target: dict, version: str, password: str | None, concurrency: int, first: int = 1) -> list:
    """Open `count` chargers from number `first`, `concurrency` handshakes at a time; return those that made it."""
    pool = Pool(concurrency)
    chargers = pool.map(lambda i: (i, open_charger(i, target, version, password)), range(first, first + count))
    return [(i, c) for i, c in chargers if c is not None]


SESSION_LENGTH = {"1.6": 8 + METER_VALUES_PER_SESSION, "2.0.1": 7 + METER_VALUES_PER_SESSION}  # messages


def desync(i: int, charger: Charger, version: str, skip: int):
    """Start charger i's sessions and send its first `skip` messages (unmeasured); return the generator and next."""
    messages = sessions16(i) if version == "1.6" else sessions201(i)
    action, payload = next(messages)
    for _ in range(skip):
        frame = charger.call(action, payload)
        action, payload = messages.send(frame[2] if frame[0] == 3 else {})
    return messages, action, payload


def drive(
    i: int, charger: Charger, version: str, interval: float | None, start: float, end: float, stats: Stats
) -> None:
    """Send charger i's sessions until `end`: one message per `interval` (None: as fast as answered)."""
    prepared = _DESYNCED.pop(i, ()) or (desync(i, charger, version, 0) if i not in _FAILED else None)
    if prepared is None:
        stats.failed += 1
        return
    messages, action, payload = prepared
    due = start + (random.uniform(0, interval) if interval else 0)
    while True:
        wait = min(due, end) - time.monotonic()
        if wait > 0:
            gevent.sleep(wait)
        if time.monotonic() >= end:
            return
        sent = time.perf_counter()
        try:
            frame = charger.call(action, payload)
        except (OSError, ConnectionError, ValueError):
            stats.failed += 1
            return
        stats.record(action, time.perf_counter() - sent, frame)
        action, payload = messages.send(frame[2] if frame[0] == 3 else {})
        due = due + interval if interval else 0


# Running


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chargers", type=int, default=1000, help="simulated chargers (default 1,000)")
    parser.add_argument("--rate", type=float, default=1000, help="target msg/s over all chargers (default 1,000)")
    parser.add_argument("--seconds", type=float, default=30, help="measured duration (default 30)")
    parser.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="1.6")
    parser.add_argument("--max", action="store_true", help="send as fast as the server answers (throughput)")
    parser.add_argument("--connections-only", action="store_true", help="connect and boot, then hold idle sockets")
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes in flight while connecting")
    parser.add_argument("--url", help="a running server's OCPP endpoint, e.g. ws://127.0.0.1:5000/ocpp")
    parser.add_argument("--server-pid", type=int, help="with --url: the server's pid, for its RSS and CPU")
    parser.add_argument("--database-url", help="with --url: register the chargers in this database first")
    parser.add_argument("--first", type=int, default=1, help="number of the first charger (several generators)")
    parser.add_argument("--password", default=PASSWORD, help="the chargers' basic-auth password")
    parser.add_argument("--in-step", action="store_true", help="all chargers at the same point of their session")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, server log)")
    return parser.parse_args()


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted`; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = min(hard, max(soft, wanted)) if hard != resource.RLIM_INFINITY else max(soft, wanted)
    resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return new


def start_target(args: argparse.Namespace, workdir: Path) -> tuple[dict, subprocess.Popen | None, str | None]:
    """Return where to connect, the server process we started (if any) and the database URL (if known)."""
    if args.url:
        parsed = urlparse(args.url)
        if args.database_url:
            prepare_database(args.database_url, args.chargers, args.first)
        target = {"host": parsed.hostname, "port": parsed.port or 80, "path": parsed.path.rstrip("/")}
        return target, None, args.database_url
    url = f"sqlite:///{workdir / 'bench.sqlite'}"
    started = time.monotonic()
    prepare_database(url, args.chargers)
    print(f"database: {url}, {args.chargers} chargers registered in {time.monotonic() - started:.1f} s")
    port = free_port()
    nofile = raise_fd_limit(args.chargers + 1024)
    proc = start_server(url, port, nofile, workdir / "server.log")
    print(f"server: pid {proc.pid}, python app.py on 127.0.0.1:{port}, fd limit {nofile}")
    return {"host": "127.0.0.1", "port": port, "path": "/ocpp"}, proc, url


def connect_phase(args, target: dict, pid: int | None) -> list:
    """Connect and boot every charger; print how long it took and the server's RSS before and after."""
    before = rss_mib(pid)
    started = time.monotonic()
    chargers = connect_all(args.chargers, target, args.ocpp, args.password, args.concurrency, args.first)
    took = time.monotonic() - started
    print(
        f"connected and booted: {len(chargers)}/{args.chargers} chargers in {took:.1f} s"
        f" ({len(chargers) / took:.0f}/s, OCPP {args.ocpp})"
    )
    for error in target.get("errors", [])[:5]:
        print(f"  failed: {error}")
    if pid:
        after = rss_mib(pid)
        per = (after - before) * 1024 / max(1, len(chargers))
        print(
            f"server RSS: {before:.1f} MiB before, {after:.1f} MiB with {len(chargers)} connections"
            f" ({per:.1f} KiB per connection)"
        )
    return chargers


def hold(args, chargers: list, pid: int | None) -> None:
    """Hold the sockets idle for --seconds, then check each still answers a Heartbeat."""
    gevent.sleep(args.seconds)
    pool = Pool(args.concurrency)
    alive = sum(pool.map(lambda ic: _heartbeat_ok(ic[1]), chargers))
    print(
        f"after {args.seconds:g} s idle: {alive}/{len(chargers)} chargers answered a Heartbeat;"
        f" server RSS {rss_mib(pid) or float('nan'):.1f} MiB"
    )


_DESYNCED: dict[int, tuple] = {}  # charger -> (its session generator, next action, payload) after desync()
_FAILED: set[int] = set()


def _desync_ok(ic: tuple, version: str, skips: dict) -> None:
    """Run desync() for one charger, keeping where its session stands (or that it failed)."""
    i, charger = ic
    try:
        _DESYNCED[i] = desync(i, charger, version, skips[i])
    except (OSError, ConnectionError, ValueError):
        _FAILED.add(i)


def _heartbeat_ok(charger: Charger) -> bool:
    try:
        return charger.call("Heartbeat", {})[0] == 3
    except (OSError, ConnectionError, ValueError):
        return False


def load(args, chargers: list, pid: int | None, db_url: str | None) -> None:
    """Drive the message mix for --seconds and print rate, latency, CPU and what was persisted."""
    interval = None if args.max else len(chargers) / args.rate
    stats = Stats()
    # Real chargers are not in step: unless --in-step, each one first sends a random number of messages (unmeasured,
    # as fast as answered) so that, at any moment, chargers are spread over every point of their session. In step,
    # all 1,000 send their StartTransaction in the same second, and so on (a burst, not a steady mix).
    skips = {i: 0 if args.in_step else random.randrange(SESSION_LENGTH[args.ocpp]) for i, _ in chargers}
    if any(skips.values()):
        started = time.monotonic()
        Pool(args.concurrency).map(lambda ic: _desync_ok(ic, args.ocpp, skips), chargers)
        print(f"desynchronised: {sum(skips.values())} unmeasured messages in {time.monotonic() - started:.1f} s")
    before = persisted(db_url) if db_url else None
    start = time.monotonic() + 0.5
    end = start + args.seconds
    cpu_server, cpu_bench = cpu_seconds(pid), resource.getrusage(resource.RUSAGE_SELF)
    sched, steal = sched_seconds(pid), steal_seconds()
    greenlets = [gevent.spawn(drive, i, c, args.ocpp, interval, start, end, stats) for i, c in chargers]
    gevent.joinall(greenlets, timeout=args.seconds + CALL_TIMEOUT + 5)
    elapsed = time.monotonic() - start
    cpu_server = cpu_seconds(pid) - cpu_server
    on_cpu, runnable = (after - before for after, before in zip(sched_seconds(pid), sched, strict=True))
    steal = steal_seconds() - steal
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_bench = usage.ru_utime + usage.ru_stime - cpu_bench.ru_utime - cpu_bench.ru_stime
    answered = len(stats.latencies)
    target = "as fast as answered" if args.max else f"target {args.rate:g}"
    print(
        f"answered: {answered} CallResults in {elapsed:.1f} s = {answered / elapsed:.0f} msg/s ({target});"
        f" CallErrors {sum(stats.errors.values())}; chargers failed {stats.failed}"
    )
    print(
        f"latency: p50 {stats.percentile(50):.1f} ms, p90 {stats.percentile(90):.1f} ms,"
        f" p99 {stats.percentile(99):.1f} ms, max {stats.percentile(100):.1f} ms"
    )
    for action, seconds in sorted(stats.by_action.items(), key=lambda x: -len(x[1])):
        print(
            f"  {action}: {len(seconds)}, p50 {stats.percentile(50, action):.1f} ms,"
            f" p99 {stats.percentile(99, action):.1f} ms"
        )
    for error, n in list(stats.errors.items())[:5]:
        print(f"  CallError {error} x{n}")
    print(
        f"CPU: server {100 * cpu_server / elapsed:.0f}%, load generator {100 * cpu_bench / elapsed:.0f}%"
        f" (of one core); server RSS {rss_mib(pid) or float('nan'):.1f} MiB;"
        f" server CPU per answered message {1000 * cpu_server / max(1, answered):.3f} ms"
    )
    if pid:
        # Runnable-but-waiting is time other processes held the CPUs; the rest is sleep (idle, I/O, locks).
        print(
            f"server main thread: {100 * on_cpu / elapsed:.0f}% on a CPU, {100 * runnable / elapsed:.0f}% runnable"
            f" waiting for a CPU, {100 * max(0.0, 1 - (on_cpu + runnable) / elapsed):.0f}% sleeping"
            f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )
    # A virtual machine's CPUs can be taken by its host: stolen time slows everything and shows in no process.
    print(f"stolen by the hypervisor: {100 * steal / elapsed / (os.cpu_count() or 1):.0f}% of the CPUs' time")
    if before:
        after = persisted(db_url)
        print(f"persisted: +{after[0] - before[0]} transactions, +{after[1] - before[1]} meter samples")


def main() -> None:
    """Set up, connect, load (or hold), report, tear down."""
    args = parse_args()
    raise_fd_limit(args.chargers + 1024)
    workdir = Path(tempfile.mkdtemp(prefix="autocharge-ocpp-bench-"))
    target, proc, db_url = start_target(args, workdir)
    pid = proc.pid if proc else args.server_pid
    try:
        chargers = connect_phase(args, target, pid)
        if args.connections_only:
            hold(args, chargers, pid)
        else:
            load(args, chargers, pid, db_url)
        for _, charger in chargers:
            charger.close()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep or proc is None:
            print(f"kept: {workdir}")
        else:
            for path in sorted(workdir.iterdir()):
                path.unlink()
            workdir.rmdir()


if __name__ == "__main__":
    main()
