"""Noisy neighbours: a well-behaved charger's Heartbeat and an admin's page, timed while someone else misbehaves.

    .venv/bin/python bench/noisy_neighbour.py                      # the SQLite demo database of bench/web_pages.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/noisy_neighbour.py
    .venv/bin/python bench/noisy_neighbour.py --seconds 5 --only flood --only logins

It starts the real server (`python app.py`, accepting unknown chargers) on a database with 100k users, 10k
chargers and 1M transactions (built with demo-data when empty), then runs each scenario for --seconds while a
well-behaved charger sends a Heartbeat every 50 ms and an admin loads the Chargers list every 250 ms:

    quiet      nothing else happens (the reference)
    flood      one charger pipelines Heartbeats and garbage as fast as TCP takes them
    screens    another admin opens every GET screen of bench/web_pages.py, one after the other, in a loop
    logins     20 failed logins arrive at once
    unknown    1,000 unknown charge box ids connect (50 at a time)

The misbehaving actors run in child processes (their own GIL). It prints figures; it asserts nothing.
Targets (issue 7): the well-behaved charger's p99 < 100 ms and no gap > 1 s, on SQLite and PostgreSQL.
"""

import argparse
import concurrent.futures
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
import web_pages  # noqa: E402
import web_queries  # noqa: E402
import websocket  # noqa: E402
from websocket import ABNF  # noqa: E402

ADMIN, PASSWORD = "noisy@localhost", "noisy-neighbour-bench"
GOOD, FLOODER = "NN-GOOD", "NN-FLOOD"
SCENARIOS = ("quiet", "flood", "screens", "logins", "unknown")
HEARTBEAT_EVERY, PAGE_EVERY = 0.05, 0.25


# --- the setup -------------------------------------------------------------------------------------------------


def prepare(url: str, args) -> list:
    """Build the demo data when the database is empty; add the bench's admin and chargers; return the screens."""
    from autocharge.extensions import db
    from autocharge.models import Admin, Charger
    from autocharge.services import admins, chargers

    if url.startswith("sqlite"):  # a fresh machine has no bench folder yet
        args.db.parent.mkdir(parents=True, exist_ok=True)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    web_pages.run([*flask, "db", "upgrade"], url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        if not conn.scalar(sa.text('SELECT count(*) FROM "transaction"')):
            sizes = ["--users", str(args.users), "--transactions", str(args.transactions), "--chargers", "10000"]
            print(f"building the demo data ({' '.join(sizes)})...", flush=True)
            web_pages.run([*flask, "demo-data", *sizes, "--seed", "1"], url)
        ctx = {**web_queries.context(conn), **web_pages.screen_context(conn)}
    engine.dispose()
    app = web_pages.make_app(url)
    with app.app_context():
        if not db.session.scalar(sa.select(Admin.id).where(Admin.email == ADMIN)):
            admins.create_admin(ADMIN, PASSWORD)
        for box in (GOOD, FLOODER):
            if chargers.by_box_id(box) is None:
                chargers.add_charger(box)
        with db.engine.begin() as conn:  # what an earlier run's unknown chargers left
            conn.execute(sa.delete(Charger).where(Charger.charge_box_id.like("NN-UNKNOWN-%")))
        db.engine.dispose()
    # Every GET screen of bench/web_pages.py, as (path, headers): htmx partials are asked for as htmx asks.
    return [[page[1].format(**ctx), page[2] if len(page) > 2 else {}] for page in web_pages.PAGES]


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    """Start `python app.py` on the database and wait until it listens."""
    env = {**os.environ, "DATABASE_URL": url, "AUTOCHARGE_ACCEPT_UNKNOWN_CHARGERS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"the server did not start: {log.read_text()}")


# --- HTTP and OCPP clients -------------------------------------------------------------------------------------


def browser() -> urllib.request.OpenerDirector:
    """Return an HTTP client keeping cookies, like a browser session."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def log_in(base: str, email: str, password: str, opener=None) -> tuple[urllib.request.OpenerDirector, int]:
    """Post the login form with its CSRF token; return the session and the HTTP status."""
    opener = opener or browser()
    page = opener.open(f"{base}/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
    try:
        return opener, opener.open(f"{base}/login", data=form, timeout=60).status
    except urllib.error.HTTPError as exc:
        return opener, exc.code


def get(opener, url: str, headers: dict | None = None) -> tuple[int, float]:
    """GET a page; return its status and seconds."""
    started = time.perf_counter()
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def ocpp(ws_base: str, box: str) -> websocket.WebSocket:
    """Open a raw OCPP 1.6 socket as `box`."""
    return websocket.create_connection(f"{ws_base}/{box}", subprotocols=["ocpp1.6"], timeout=60)


# --- the well-behaved probes (threads of this process) ----------------------------------------------------------


class Probe(threading.Thread):
    """Repeat one timed action every `every` seconds until stopped; keep (when, seconds) of each."""

    def __init__(self, action, every: float):
        super().__init__(daemon=True)
        self.action, self.every, self.samples, self.stopping = action, every, [], threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            self.action()
            self.samples.append((time.monotonic(), time.monotonic() - started))
            self.stopping.wait(self.every)

    def window(self, start: float, end: float) -> list[tuple[float, float]]:
        """Return the samples that ended between start and end."""
        return [(at, took) for at, took in self.samples if start <= at <= end]


def heartbeat_probe(ws_base: str) -> Probe:
    """Return a probe timing the well-behaved charger's Heartbeats."""
    ws, counter = ocpp(ws_base, GOOD), iter(range(10**9))

    def beat():
        unique = f"hb{next(counter)}"
        ws.send(json.dumps([2, unique, "Heartbeat", {}]))
        while json.loads(ws.recv())[1] != unique:
            pass

    return Probe(beat, HEARTBEAT_EVERY)


def page_probe(base: str) -> Probe:
    """Return a probe timing an admin's Chargers list."""
    opener, _ = log_in(base, ADMIN, PASSWORD)
    return Probe(lambda: get(opener, f"{base}/chargers/"), PAGE_EVERY)


def figures(samples: list[tuple[float, float]], start: float, end: float) -> str:
    """Return p50 / p99 / max in ms and the longest time without an answer."""
    if not samples:
        return "no answer at all"
    times = [took * 1000 for _, took in samples]
    ends = [start] + [at for at, _ in samples] + [end]
    gap = max(b - a for a, b in zip(ends, ends[1:], strict=False))
    p50, p99 = web_queries.percentile(times, 50), web_queries.percentile(times, 99)
    return f"n={len(times):4}  p50 {p50:6.1f} ms  p99 {p99:7.1f} ms  max {max(times):7.1f} ms  longest gap {gap:5.2f} s"


# --- the misbehaving actors (child processes; each prints one JSON line) ----------------------------------------


def actor_flood(base: str, ws_base: str, seconds: float, screens: list) -> dict:
    """Pipeline Heartbeats and garbage as fast as TCP takes them; count answers and check their order."""
    ws = ocpp(ws_base, FLOODER)
    frames = [json.dumps([2, f"f{n}", "Heartbeat", {} if n % 3 else {"junk": n}]) for n in range(1000)]
    blob = b"".join(ABNF.create_frame(text, ABNF.OPCODE_TEXT).format() for text in frames)
    sent, answered, in_order, end = 0, 0, True, time.monotonic() + seconds

    def read():
        nonlocal answered, in_order
        while True:
            try:
                reply = json.loads(ws.recv())
            except Exception:
                return
            in_order &= reply[1] == f"f{answered % 1000}"
            answered += 1

    threading.Thread(target=read, daemon=True).start()
    ws.sock.settimeout(1)
    while time.monotonic() < end:
        try:
            ws.sock.sendall(blob)
            sent += len(frames)
        except TimeoutError:  # back-pressure: the server stopped reading, TCP's window is closed
            break
    while time.monotonic() < end:
        time.sleep(0.1)
    return {"sent": sent, "answered": answered, "in_order": in_order}


def actor_screens(base: str, ws_base: str, seconds: float, screens: list) -> dict:
    """Open every GET screen of bench/web_pages.py in a loop, as a second admin."""
    opener, _ = log_in(base, ADMIN, PASSWORD)
    loads, slowest, failed, end = 0, 0.0, 0, time.monotonic() + seconds
    while time.monotonic() < end:
        for path, headers in screens:
            status, took = get(opener, base + path, headers)
            loads, slowest, failed = loads + 1, max(slowest, took), failed + (status != 200)
    return {"screens": len(screens), "loads": loads, "not_200": failed, "slowest_ms": round(slowest * 1000)}


def actor_logins(base: str, ws_base: str, seconds: float, screens: list) -> dict:
    """Send 20 failed logins at once (each with its own session and CSRF token)."""
    sessions = [browser() for _ in range(20)]
    tokens = []
    for opener in sessions:
        page = opener.open(f"{base}/login", timeout=60).read().decode()
        tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))

    def fail(n: int) -> tuple[int, float]:
        form = urllib.parse.urlencode({"csrf_token": tokens[n], "email": f"guess{n}@x.example", "password": "no"})
        started = time.perf_counter()
        try:
            status = sessions[n].open(f"{base}/login", data=form.encode(), timeout=120).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status, time.perf_counter() - started

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(fail, range(20)))
    time.sleep(max(0.0, seconds - max(took for _, took in results)))
    return {"logins": len(results), "slowest_s": round(max(took for _, took in results), 2)}


def actor_unknown(base: str, ws_base: str, seconds: float, screens: list) -> dict:
    """Connect 1,000 unknown charge box ids, 50 at a time; count admitted and refused (by HTTP status)."""
    outcomes: dict[str, int] = {}

    def connect(n: int) -> str:
        try:
            ocpp(ws_base, f"NN-UNKNOWN-{n:04d}").close()
            return "admitted"
        except websocket.WebSocketBadStatusException as exc:
            return f"HTTP {exc.status_code}"
        except OSError as exc:
            return type(exc).__name__

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        for outcome in pool.map(connect, range(1000)):
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    took = time.monotonic() - started
    time.sleep(max(0.0, seconds - took))
    return {**outcomes, "took_s": round(took, 1)}


ACTORS = {"flood": actor_flood, "screens": actor_screens, "logins": actor_logins, "unknown": actor_unknown}


# --- running it ----------------------------------------------------------------------------------------------


def run_scenario(name: str, base: str, ws_base: str, seconds: float, probes: list[Probe]) -> None:
    """Run one scenario for `seconds` (its actor in a child process) and print the probes' figures."""
    start = time.monotonic()
    child = None
    if name in ACTORS:
        child = subprocess.Popen(
            [sys.executable, __file__, "--actor", name, "--base", base, "--seconds", str(seconds)],
            cwd=ROOT,
            env=os.environ,
            stdout=subprocess.PIPE,
            text=True,
        )
        out = child.communicate(timeout=seconds + 600)[0]
        result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"error": "no output"}
    else:
        time.sleep(seconds)
        result = {}
    end = time.monotonic()
    heartbeat, page = probes
    print(f"\n{name}: {json.dumps(result) if result else ''}")
    print(f"  well-behaved charger's Heartbeat  {figures(heartbeat.window(start, end), start, end)}")
    print(f"  admin's Chargers list             {figures(page.window(start, end), start, end)}")


def main() -> None:
    """Prepare the database, start the server, run the scenarios and print what the neighbours saw."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=web_pages.DEFAULT_DB, help="SQLite file (unless DATABASE_URL)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each scenario")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run only these scenarios")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--actor", choices=tuple(ACTORS), help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{args.db}"
    if args.actor:
        screens = json.loads(os.environ["NOISY_SCREENS"])
        ws_base = args.base.replace("http://", "ws://") + "/ocpp"
        print(json.dumps(ACTORS[args.actor](args.base, ws_base, args.seconds, screens)))
        return
    os.environ["NOISY_SCREENS"] = json.dumps(prepare(url, args))
    port = free_port()
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ocpp"
    log = Path("/tmp/noisy-neighbour-server.log")
    server = start_server(url, port, log)
    probes: list[Probe] = []
    try:
        print(f"Database: {sa.make_url(url).render_as_string(hide_password=True)}; server log {log}")
        probes = [heartbeat_probe(ws_base), page_probe(base)]
        for probe in probes:
            probe.start()
        for name in args.only or SCENARIOS:
            run_scenario(name, base, ws_base, args.seconds, probes)
            time.sleep(1)  # let the server drain what the scenario left before the next one
        print("\nTargets: the well-behaved charger's p99 < 100 ms and no gap > 1 s; the flooder is answered, in order.")
    finally:
        for probe in probes:
            probe.stopping.set()
            probe.join(5)
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
