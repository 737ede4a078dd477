"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the app, its test client, and the real gevent server in a subprocess."""

import ctypes
import errno
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask_sqlalchemy
import pytest
import sqlalchemy as sa
from warm import TEMPLATES, CompiledRouteBuilders

from autocharge import create_app, pgping
from autocharge.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PR_SET_CHILD_SUBREAPER = 36  # prctl(2)
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _upgrade(url: str) -> None:
    """Apply the real migrations to the database at `url`."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """Return a SQLite file migrated once, copied for every test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    _upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgresql_url() -> str:
    """Create a migrated database of our own on TEST_DATABASE_URL's server; drop it at the end."""
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"autocharge_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    _upgrade(url)
    yield url
    ENGINES.close_all(url)
    if url in _CLEANERS:
        _CLEANERS.pop(url).dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_EMPTY: dict[str, str] = {}  # PostgreSQL URL -> the statements that empty its tables and restart its ids
_CLEANERS: dict[str, sa.Engine] = {}  # PostgreSQL URL -> the engine that empties it, its one connection kept open


def _truncate(url: str) -> None:
    """Empty every table of the PostgreSQL test database and restart its ids.

    DELETE, children first, in one round trip: TRUNCATE of the ~20 tables took ~400 ms per test on the busy CI
    machine (it rewrites every table's files), these DELETEs of a test's few rows take ~1 ms. Ids restart through
    setval(): ALTER SEQUENCE ... RESTART gives each sequence a new file and invalidates every connection's cached
    catalog, 7-15 ms of the server's CPU per test for the 18 sequences, against ~0.3 ms. The connection stays open
    from test to test (a new one is a new server process); a test that drops connections gets it replaced.
    """
    if url not in _CLEANERS:
        _CLEANERS[url] = sa.create_engine(url, pool_size=1, pool_pre_ping=True)
    with _CLEANERS[url].begin() as conn:
        if url not in _EMPTY:
            deletes = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables)]
            query = sa.text("SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = current_schema()")
            restarts = ", ".join(f"setval('\"{name}\"', {start}, false)" for name, start in conn.execute(query))
            _EMPTY[url] = "; ".join([*deletes, f"SELECT {restarts}"])
        conn.exec_driver_sql(_EMPTY[url])


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory) -> Path:
    """Return the test process's SQLite database file, emptied for each test that asks for it (sqlite_url)."""
    return tmp_path_factory.mktemp("database") / "autocharge.sqlite"


def _restore(template: Path, path: Path) -> str:
    """Make the SQLite file at `path` a copy of the migrated, empty `template`; return its URL.

    One file per test process, so that its tests' apps share one engine (SharedEngines). The template goes in with
    SQLite's backup API, not as a copied file: a -wal file left by a server killed mid-write is recovered and
    overwritten, never paired with a new main file.
    """
    if not path.exists():
        shutil.copy(template, path)
    else:
        source, target = sqlite3.connect(template), sqlite3.connect(path, timeout=10)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    return f"sqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def database_url(request, sqlite_template) -> str:
    """Return the URL of an empty, migrated database: a SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("postgresql_url")
    _truncate(url)
    return url


@pytest.fixture
def pg_database_url(request) -> str:
    """Return the empty, migrated PostgreSQL test database, for tests that only make sense there (several processes).

    Like the PostgreSQL half of database_url, such tests exist only when TEST_DATABASE_URL is set (deselected
    otherwise, see pytest_collection_modifyitems).
    """
    url = request.getfixturevalue("postgresql_url")
    _truncate(url)
    return url


def pytest_collection_modifyitems(config, items) -> None:
    """Leave out the PostgreSQL-only tests when no PostgreSQL is given, as database_url leaves out its half."""
    if not os.environ.get("TEST_DATABASE_URL"):
        dropped = [item for item in items if "pg_database_url" in getattr(item, "fixturenames", ())]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if item not in dropped]
    _spread_over_workers(items)


# Tests that start processes (servers, chromium, commands): each spends much of its time waiting on them.
PROCESS_FIXTURES = {"live_server_factory", "commands", "browser", "server_forks"}
QUICK_TAIL = 0.2  # the share of each worker's in-process tests kept for the end of its queue


def _spread_over_workers(items: list) -> None:
    """Order the tests so each xdist worker's share mixes process tests and in-process ones, quick ones last.

    `--dist worksteal` (Makefile) hands each worker one contiguous share of this order and lets an idle worker take
    the back half of another's queue. In collection order one worker's share was nearly all server tests, which wait
    on timeouts more than they compute: the cores idled while they ran, and when they were stolen last they left a
    core idle for the run's last ~20 s. Now each share interleaves both kinds (the browser tests spread among the
    server tests) and ends with in-process tests only, so what is stolen at the end keeps both cores busy.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers < 2:
        return
    slow, quick = [], []
    for item in items:
        (slow if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())) else quick).append(item)
    by_folder: dict[str, list] = {}
    for item in slow:
        by_folder.setdefault(item.nodeid.split("::")[0].split("/")[1], []).append(item)
    slow = _interleave(list(by_folder.values()))
    items[:] = []
    for worker in range(workers):
        mine = quick[worker::workers]
        tail = len(mine) - int(len(mine) * QUICK_TAIL)
        items += _interleave([slow[worker::workers], mine[:tail]]) + mine[tail:]


def _interleave(lists: list[list]) -> list:
    """Merge lists evenly, each keeping its order (1 of a 4-item list between each 3 of a 12-item one)."""
    placed = [
        ((index + 0.5) / len(part), rank, item) for rank, part in enumerate(lists) for index, item in enumerate(part)
    ]
    return [item for _, _, item in sorted(placed, key=lambda entry: entry[:2])]


@pytest.fixture
def sqlite_url(sqlite_path, sqlite_template) -> str:
    """Return the URL of an empty, migrated SQLite file (for tests that need only one backend)."""
    return _restore(sqlite_template, sqlite_path)


# Admin password hashes in tests: a scrypt hash costs ~200 ms, and nearly every web test creates an admin and logs in.
CHEAP_PASSWORDS = {"AUTOCHARGE_PASSWORD_METHOD": "pbkdf2:sha256:1000"}


CompiledRouteBuilders().install()


class SharedEngines:
    """The test process's engines, one per database URL and engine options, shared by the apps of all its tests.

    Every test's app made a new engine: a first connection that asked the server about itself (PostgreSQL), and an
    empty compiled-statement cache, so each test compiled every query it ran again. The tests of one process use one
    SQLite file (sqlite_path) and one PostgreSQL database, emptied between tests. Each app is still created by
    create_app from its own config; an app with other engine options gets an engine of its own. A second app on the
    same database within one test (an in-process server in a thread beside the test's own app) gets an engine of its
    own, as before: disposing of one app's connections must not close the other's under it.

    A test's teardown disposes of its engine's connections. On SQLite it does; a shared PostgreSQL engine keeps them
    instead (each new one is a new server process that loads its catalog again: ~15 ms of the server's CPU per test)
    and pings each at its first checkout in the next test, so one that a test had the server drop is replaced.
    """

    def __init__(self):
        self.engines: dict[tuple[str, str], sa.Engine] = {}
        self.claimed: set[tuple[str, str]] = set()  # the engines the current test's apps took already
        self.make = flask_sqlalchemy.SQLAlchemy._make_engine
        self.test = 0  # counts the tests, so a kept connection is pinged once in each

    def keep_connections(self, engine: sa.Engine) -> None:
        """Make the tests' dispose() of a shared PostgreSQL engine keep its pooled connections (see the class)."""
        engine.dispose = lambda close=True: None  # close_all() disposes of it for good
        sa.event.listen(engine, "checkout", self._ping_once_per_test)

    def _ping_once_per_test(self, dbapi_connection, record, _proxy) -> None:
        """Ping a kept connection at its first checkout in a test; a dead one makes the pool open another."""
        if record.info.get("test") == self.test:
            return
        record.info["test"] = self.test
        pgping.ping(dbapi_connection)

    def close_all(self, url: str) -> None:
        """Dispose for good of the shared engines on the database at `url` (before it is dropped)."""
        for (engine_url, _options), engine in list(self.engines.items()):
            if engine_url == url:
                sa.Engine.dispose(engine)

    def install(self) -> None:
        """Make Flask-SQLAlchemy take engines from this cache."""
        shared = self

        def make_engine(extension, bind_key: str | None, options: dict, app) -> sa.Engine:
            url = sa.make_url(options["url"])
            key = (url.render_as_string(hide_password=False), repr(sorted(options.items(), key=lambda item: item[0])))
            if key in shared.claimed:
                return shared.make(extension, bind_key, options, app)
            shared.claimed.add(key)
            if key not in shared.engines:
                shared.engines[key] = shared.make(extension, bind_key, options, app)
                if url.get_backend_name() == "postgresql":
                    shared.keep_connections(shared.engines[key])
            return shared.engines[key]

        flask_sqlalchemy.SQLAlchemy._make_engine = make_engine

    def is_shared(self, engine: sa.Engine) -> bool:
        """Tell whether an engine is one of the shared ones."""
        return any(engine is shared for shared in self.engines.values())

    def claim(self, engine: sa.Engine) -> bool:
        """Claim a shared engine for an app the current test reuses; tell whether it was free in this test."""
        key = next((key for key, shared in self.engines.items() if shared is engine), None)
        if key is None or key in self.claimed:
            return False
        self.claimed.add(key)
        return True


ENGINES = SharedEngines()
ENGINES.install()


class ReusedApps:
    """The `app` fixture's apps, one per database URL, made by make_app once and handed to each test in turn.

    create_app() costs ~4 ms and the app fixture ~9 ms in all, for ~2,000 tests. What tests change on their app is put
    back before the next one takes it: its attributes (a test's request_class), its config, view functions and
    extensions (the charger admission guards keep their counts there), as they were made. A test that needs more (its
    own routes, other settings) makes its own app with make_app. An app is reused only when it holds the shared
    engine, and only when that engine is free in the test, as a new app's first engine would be (SharedEngines): a
    second app in the test still gets its own.
    """

    def __init__(self):
        self.apps: dict[str, tuple[Any, dict, list[tuple[dict, dict]]]] = {}

    def take(self, url: str):
        """Return this process's app on `url`, as it was made; a new app when its engine is taken in this test."""
        if url not in self.apps:
            app = make_app(url)
            with app.app_context():
                if ENGINES.is_shared(db.engine):
                    made = [(registry, dict(registry)) for registry in (app.config, app.view_functions, app.extensions)]
                    self.apps[url] = (app, dict(vars(app)), made)
            return app
        app, attributes, made = self.apps[url]
        with app.app_context():
            if not ENGINES.claim(db.engine):
                return make_app(url)
        for name in set(vars(app)) - set(attributes):
            delattr(app, name)
        vars(app).update(attributes)
        for registry, content in made:
            registry.clear()
            registry.update(content)
        return app


APPS = ReusedApps()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    """Let the new test's first app on each database take that database's shared engine."""
    ENGINES.claimed.clear()
    ENGINES.test += 1


TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(html: str) -> str:
    """Return the CSRF token a page carries."""
    match = TOKEN.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def app_from_environment(monkeypatch, url: str, **env):
    """Create an app as `python app.py` does, from the environment: DATABASE_URL `url`, test secrets, and `env`."""
    for name, value in {"DATABASE_URL": url, "SECRET_KEY": "test", **CHEAP_PASSWORDS, **env}.items():
        monkeypatch.setenv(name, str(value))
    app = create_app()
    app.jinja_env.bytecode_cache = TEMPLATES
    return app


def make_app(url: str, **config):
    """Create an app for tests on the database at `url`."""
    settings = {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url, **CHEAP_PASSWORDS}
    settings.update(config)
    app = create_app(settings)
    app.jinja_env.bytecode_cache = TEMPLATES
    return app


@pytest.fixture
def app(database_url):
    """Return the app on a fresh database, inside an app context (an app reused from earlier tests: ReusedApps)."""
    app = APPS.take(database_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner of the app."""
    return app.test_cli_runner()


def eventually(check: Callable[[], Any], timeout: float = 5.0, what: str | Callable[[], str] = "condition") -> Any:
    """Return check()'s first truthy result, polling until `timeout` seconds; fail saying `what` never came.

    The one way the tests wait for another process or thread; `what` may be a function, called only on failure (to
    show a server's output as it was at the end).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what() if callable(what) else what}")
        time.sleep(0.02)


# Each xdist worker takes its servers' ports from a block of its own below the kernel's ephemeral range (32768+): a
# port the kernel handed one worker (bind to 0) could be handed to another before the first server bound it, and that
# test then talked to the other worker's server. The blocks avoid this machine's services (5432, 6379, 25672...).
PORT_BASE, PORT_BLOCK = 11000, 500
_worker = int(re.sub(r"\D", "", os.environ.get("PYTEST_XDIST_WORKER", "")) or 0)
_port_count = 0


def free_port() -> int:
    """Return a TCP port nobody uses now, from this worker's block (servers bind it after this returns)."""
    global _port_count
    for _ in range(PORT_BLOCK):
        port = PORT_BASE + PORT_BLOCK * _worker + _port_count % PORT_BLOCK
        _port_count += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:  # still used, or waiting out TIME_WAIT
                continue
            return port
    raise RuntimeError("no free port in this worker's block")


class LiveServer:
    """The real gevent server (`python app.py`) in a process of its own, on a free port.

    With `forks` (the worker's ServerForks) the process is forked from a parent that has imported the app already,
    else started cold with subprocess.
    """

    def __init__(self, database_url: str, log_path: Path, env: dict | None = None, forks: "ServerForks | None" = None):
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ocpp"
        self.log_path = log_path
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test", **CHEAP_PASSWORDS, **(env or {})}
        self.forks = forks
        self.proc: subprocess.Popen | ForkedServer | None = None

    def start(self) -> "LiveServer":
        """Start the server and wait until it accepts connections."""
        args = ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.forks is not None:
            self.proc = self.forks.start(args, self.env, self.log_path)
        else:
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, str(ROOT / "app.py"), *args], cwd=ROOT, env=self.env, stdout=log, stderr=log
                )
        # A forked server listens within ~0.2 s, a cold one after ~1.5 s; a busy machine has taken 20 s for a cold one.
        eventually(self._listening, 60, lambda: f"the server to listen: {self.output()}")
        return self

    def _listening(self) -> bool:
        """Tell whether the server accepts connections (raise if it exited)."""
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited: {self.output()}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        """Stop and start the server again on the same port and database."""
        self.stop()
        port = self.port
        self.start_on(port)

    def start_on(self, port: int) -> None:
        """Start the server on a given port."""
        self.port = port
        self.start()

    def output(self) -> str:
        """Return what the server printed so far."""
        return self.log_path.read_text(errors="replace")


class ForkedServer:
    """A server forked by ServerForks, seen like a subprocess.Popen: pid, poll, wait, terminate, kill, returncode."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._reaping = threading.Lock()  # a thread reading its output polls while the test waits

    def poll(self) -> int | None:
        """Return the exit status, or None while it runs."""
        with self._reaping:
            if self.returncode is None:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit (raise subprocess.TimeoutExpired after `timeout` seconds); return its status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Signal the server unless it has exited."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        """Ask the server to stop (SIGTERM)."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the server (SIGKILL)."""
        self.send_signal(signal.SIGKILL)


class ServerForks:
    """The worker's tests/server_forks.py process, which forks live servers with the app already imported."""

    def __init__(self):
        # The forked servers leave their parent and become this process's children, so it can wait for them.
        if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "server_forks.py")],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, args: list[str], env: dict, log_path: Path) -> ForkedServer:
        """Fork a server running `app.py ARGS` with `env`, its output in `log_path`."""
        return self.popen([str(ROOT / "app.py"), *args], env, ROOT, None, log_path, log_path)

    def popen(
        self, argv: list[str], env: dict, cwd: Path, stdin: Path | None, stdout: Path, stderr: Path
    ) -> ForkedServer:
        """Fork a process running the Python script argv[0] with its arguments, as `python SCRIPT ARGS` would."""
        files = {"stdin": stdin and str(stdin), "stdout": str(stdout), "stderr": str(stderr)}
        request = {"argv": argv, "env": env, "cwd": str(cwd), **files}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"tests/server_forks.py ended (status {self.proc.wait()})")
        return ForkedServer(int(line))

    def close(self) -> None:
        """End the forking process (the servers it started are stopped by their tests)."""
        self.proc.stdin.close()
        self.proc.wait(10)
        self.proc.stdout.close()


class ForkedCommands:
    """Run the project's commands (`.venv/bin/flask ...`, `python app.py`) as processes forked by ServerForks.

    Each is a process of its own, with its own environment, output and exit status, as with subprocess; it starts
    without the ~2 s of CPU a cold Python spends importing the app. Output goes through files (stdin through a FIFO).
    """

    def __init__(self, forks: ServerForks, folder: Path):
        self.forks = forks
        self.folder = folder
        self.started = 0

    def _start(
        self, command: list[str], env: dict, typed: bool, together: bool
    ) -> tuple[ForkedServer, Path, Path, Path | None]:
        """Fork `command`; return it with its stdout and stderr files (one when `together`) and its stdin FIFO."""
        self.started += 1
        name = self.folder / f"command{self.started}"
        out = name.with_suffix(".out")
        err = out if together else name.with_suffix(".err")
        out.touch()
        err.touch()
        fifo = name.with_suffix(".in") if typed else None
        if fifo:
            os.mkfifo(fifo)
        argv = list(command[1:] if Path(command[0]).name.startswith("python") else command)  # the script first
        return self.forks.popen(argv, env, ROOT, fifo, out, err), out, err, fifo

    def run(self, command: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run `command` to its end; as subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=...)."""
        proc, out, err, _ = self._start(command, env, typed=False, together=False)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        return subprocess.CompletedProcess(command, proc.returncode, out.read_text(), err.read_text())

    def popen(self, command: list[str], env: dict, stdin: bool = False) -> "ForkedPopen":
        """Start `command`, its stdout and stderr one stream read as it comes, and a stdin to write to if asked."""
        proc, out, _, fifo = self._start(command, env, typed=stdin, together=True)
        return ForkedPopen(proc, out, fifo)


class ForkedPopen:
    """A command started by ForkedCommands.popen, seen like subprocess.Popen(..., stdout=PIPE, stderr=STDOUT, text=True)."""

    def __init__(self, proc: ForkedServer, out: Path, fifo: Path | None):
        self.proc = proc
        self.stdout = OutputFile(out, proc)
        self.stdin = None if fifo is None else _open_writer(fifo, proc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.proc, name)  # pid, poll, wait, send_signal, terminate, kill, returncode


def _open_writer(fifo: Path, proc: ForkedServer, timeout: float = 60):
    """Open the writing end of the command's stdin FIFO once the command has opened its end."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO until the reader is there; never blocks
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO or proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the command never opened its stdin (status {proc.poll()})") from exc
            time.sleep(0.01)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "w")


class OutputFile:
    """A command's output file read line by line as it grows: readline() waits for a whole line, "" once it ended."""

    def __init__(self, path: Path, proc: ForkedServer):
        self.file = path.open()
        self.proc = proc
        self.partial = ""

    def readline(self) -> str:
        """Return the next whole line; the rest (or "") once the command has exited."""
        while True:
            exited = self.proc.poll() is not None  # asked first: whatever it wrote before exiting is in the file
            try:
                self.partial += self.file.readline()
            except ValueError:  # closed by the test meanwhile: nothing more to read, as with a closed pipe
                return ""
            if self.partial.endswith("\n") or exited:
                line, self.partial = self.partial, ""
                return line
            time.sleep(0.01)

    def close(self) -> None:
        """Close the file."""
        self.file.close()


@pytest.fixture(scope="session")
def server_forks():
    """Return the worker's ServerForks."""
    forks = ServerForks()
    yield forks
    forks.close()


@pytest.fixture
def commands(server_forks, tmp_path) -> ForkedCommands:
    """Return the test's ForkedCommands: the project's commands as processes forked from the worker's warm parent."""
    return ForkedCommands(server_forks, tmp_path)


@pytest.fixture
def live_server_factory(tmp_path, request, server_forks):
    """Return a function that starts the real server on a database URL (with extra environment)."""
    servers: list[LiveServer] = []

    def start(database_url: str, **env) -> LiveServer:
        environment = {k: str(v) for k, v in env.items()}
        server = LiveServer(database_url, tmp_path / f"server{len(servers)}.log", environment, server_forks)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            print(server.output())


@pytest.fixture
def live_server(live_server_factory, database_url) -> LiveServer:
    """Return the real server running on the test's database."""
    return live_server_factory(database_url)


@pytest.fixture
def db_app(database_url):
    """Return an app for looking into the live server's database from the test process (reused: ReusedApps)."""
    return APPS.take(database_url)


@pytest.fixture
def in_db(db_app) -> Callable[[Callable[[], Any]], Any]:
    """Return a function that runs `fn` in an app context on the live server's database (fresh session each time)."""

    def run(fn: Callable[[], Any]) -> Any:
        with db_app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    yield run
    with db_app.app_context():
        db.engine.dispose()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can print server logs on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
