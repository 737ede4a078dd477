"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the app, its test client, and the real gevent server in a subprocess."""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa

from autocharge import create_app
from autocharge.extensions import db

ROOT = Path(__file__).resolve().parent.parent
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
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    """Empty every table of the PostgreSQL test database and restart its ids."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in db.metadata.sorted_tables]
        names = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, sqlite_template) -> str:
    """Return the URL of an empty, migrated database: a SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        path = tmp_path / "autocharge.sqlite"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
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
    if os.environ.get("TEST_DATABASE_URL"):
        return
    dropped = [item for item in items if "pg_database_url" in getattr(item, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    """Return the URL of an empty, migrated SQLite file (for tests that need only one backend)."""
    path = tmp_path / "autocharge.sqlite"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# Admin password hashes in tests: a scrypt hash costs ~200 ms, and nearly every web test creates an admin and logs in.
CHEAP_PASSWORDS = {"AUTOCHARGE_PASSWORD_METHOD": "pbkdf2:sha256:1000"}


class CompiledTemplates(jinja2.BytecodeCache):
    """The templates' compiled code, kept by the test process for all its apps (keyed by name, checked by source).

    Each test makes its own app, and each app's Jinja environment compiled every template it rendered again: half the
    time of a web test.
    """

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill the bucket from what an earlier app compiled (Jinja drops it if the source changed since)."""
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep what an app just compiled."""
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = CompiledTemplates()


def make_app(url: str, **config):
    """Create an app for tests on the database at `url`."""
    settings = {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url, **CHEAP_PASSWORDS}
    settings.update(config)
    app = create_app(settings)
    app.jinja_env.bytecode_cache = TEMPLATES
    return app


@pytest.fixture
def app(database_url):
    """Return the app on a fresh database, inside an app context."""
    app = make_app(database_url)
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


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real gevent server (`python app.py`) in a subprocess, on a free port."""

    def __init__(self, database_url: str, log_path: Path, env: dict | None = None):
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ocpp"
        self.log_path = log_path
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test", **CHEAP_PASSWORDS, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self) -> "LiveServer":
        """Start the server and wait until it accepts connections."""
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        # A cold start imports gevent, Flask and the ocpp schemas: ~1 s when quiet, but on two cores shared by four
        # workers and their browsers it has taken over 20 s.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

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


@pytest.fixture
def live_server_factory(tmp_path, request):
    """Return a function that starts the real server on a database URL (with extra environment)."""
    servers: list[LiveServer] = []

    def start(database_url: str, **env) -> LiveServer:
        server = LiveServer(database_url, tmp_path / f"server{len(servers)}.log", {k: str(v) for k, v in env.items()})
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
    """Return an app for looking into the live server's database from the test process."""
    return make_app(database_url)


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
