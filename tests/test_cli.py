"""The command-line commands."""

import os
import re
import shlex
import sys
import urllib.request

import pytest
import sqlalchemy as sa
from conftest import eventually, free_port, make_app  # the root conftest (tests/ is on sys.path)

from autocharge.extensions import db
from autocharge.models import Admin, Charger
from autocharge.services import admins, chargers
from autocharge.simulator import Simulator


def test_create_admin(runner):
    result = runner.invoke(args=["create-admin", "Boss@Example.com", "--password", "correct horse"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(sa.select(Admin).where(Admin.email == "boss@example.com"))
    assert admin is not None and admin.password_hash != "correct horse"
    assert admins.authenticate("boss@example.com", "correct horse", "test").id == admin.id


def test_create_admin_prompts_for_password(runner):
    result = runner.invoke(args=["create-admin", "p@example.com"], input="long enough\nlong enough\n")
    assert result.exit_code == 0, result.output
    assert admins.authenticate("p@example.com", "long enough", "test")


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [("not-an-email", "long enough", "not an email"), ("a@b.c", "short", "at least 8")],
)
def test_create_admin_refuses_bad_input(runner, email, password, message):
    result = runner.invoke(args=["create-admin", email, "--password", password])
    assert result.exit_code != 0
    assert message in result.output


def test_create_admin_twice_refused(runner):
    runner.invoke(args=["create-admin", "a@b.c", "--password", "long enough"])
    result = runner.invoke(args=["create-admin", "a@b.c", "--password", "long enough"])
    assert result.exit_code != 0 and "already exists" in result.output


def test_set_admin_password(runner):
    runner.invoke(args=["create-admin", "a@b.c", "--password", "long enough"])
    result = runner.invoke(args=["set-admin-password", "a@b.c", "--password", "another one"])
    assert result.exit_code == 0, result.output
    assert admins.authenticate("a@b.c", "another one", "test")
    result = runner.invoke(args=["set-admin-password", "nobody@b.c", "--password", "another one"])
    assert result.exit_code != 0 and "no admin" in result.output


def test_first_admin_created_once(app):
    password = admins.ensure_first_admin()
    assert password and admins.authenticate(admins.DEFAULT_EMAIL, password, "test")
    assert admins.ensure_first_admin() is None


@pytest.mark.parametrize(
    ("args", "support", "has_password"),
    [
        (["CP-1"], "unknown", False),
        (["CP-2", "--autocharge", "yes"], "supported", False),
        (["CP-3", "--autocharge", "no", "--password", "0123456789abcdef"], "unsupported", True),
    ],
)
def test_add_charger(runner, args, support, has_password):
    result = runner.invoke(args=["add-charger", *args])
    assert result.exit_code == 0, result.output
    charger = db.session.scalar(sa.select(Charger).where(Charger.charge_box_id == args[0]))
    assert charger.autocharge == support and charger.registration == "accepted"
    assert bool(charger.password_hash) is has_password
    assert "0123456789abcdef" not in (charger.password_hash or "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["CP 1"], "charge box id"),
        (["CP/1"], "charge box id"),
        (["X" * 49], "charge box id"),
        (["CP-1", "--password", "short"], "16-40"),
        (["CP-1", "--password", "x" * 41], "16-40"),
    ],
)
def test_add_charger_refuses_bad_input(runner, args, message):
    result = runner.invoke(args=["add-charger", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Charger)) == 0


MIGRATE = "run `make migrate` (or `.venv/bin/flask --app app db upgrade`)"
SCHEMA_COMMANDS = [
    ["create-admin", "a@b.c", "--password", "long enough"],
    ["set-admin-password", "a@b.c", "--password", "long enough"],
    ["add-charger", "CP-1"],
    ["demo-data", "--users", "5", "--transactions", "5"],
]


@pytest.fixture
def unmigrated_runner(tmp_path):
    """Return a CLI runner of an app whose SQLite file has no tables at all, and that file's URL."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    app = make_app(url)
    with app.app_context():
        yield app.test_cli_runner(), url
        db.engine.dispose()


@pytest.mark.parametrize("args", SCHEMA_COMMANDS, ids=lambda args: args[0])
def test_commands_on_an_unmigrated_database_say_how_to_migrate(unmigrated_runner, args):
    runner, url = unmigrated_runner
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    message = f"The database at {url} has no tables yet (or is not migrated to the latest revision): {MIGRATE}"
    assert result.output == f"Error: {message}\n"  # one line, no traceback


def _stamp(url: str, revision: str) -> None:
    """Pretend the database at `url` stands at another migration revision."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_a_database_behind_the_migrations_is_refused_too(sqlite_url):
    _stamp(sqlite_url, "a9c3e5f7b1d4")  # an older revision of ours
    app = make_app(sqlite_url)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["add-charger", "CP-1"])
        db.engine.dispose()
    assert result.exit_code == 1 and "not migrated to the latest revision" in result.output


def test_a_newer_revision_than_the_code_knows_is_let_through(sqlite_url):
    _stamp(sqlite_url, "fedcba987654")  # a newer release migrated it (rolling upgrade): that one decides
    app = make_app(sqlite_url)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["add-charger", "CP-1"])
        db.engine.dispose()
    assert result.exit_code == 0, result.output


def test_the_server_on_an_unmigrated_database_says_how_to_migrate(commands, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "test", "PORT": str(free_port())}
    run = commands.run([sys.executable, "app.py"], env)
    assert run.returncode == 1
    message = f"The database at {url} has no tables yet (or is not migrated to the latest revision): {MIGRATE}"
    assert run.stderr == f"autocharge: {message}\n"
    assert run.stdout == ""


def _get(url: str) -> None:
    """Fetch a page and forget it."""
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()


def _wait_for(server, text: str, timeout: float = 20) -> str:
    """Wait until the server has printed `text`; return all it printed."""
    return eventually(
        lambda: text in server.output() and server.output(), timeout, lambda: f"{text!r} in: {server.output()}"
    )


def test_first_start_prints_a_password_command_that_works_as_printed(commands, live_server_factory, database_url):
    server = live_server_factory(database_url)
    output = _wait_for(server, "chargers connect to")
    hint = re.search(r"change it with: (.+?)\)$", output, re.MULTILINE).group(1)
    assert hint == ".venv/bin/flask --app app set-admin-password admin@localhost"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test"}
    changed = commands.run([*shlex.split(hint), "--password", "another long one"], env)
    assert changed.returncode == 0, changed.stdout + changed.stderr


@pytest.mark.parametrize("access_log", ["", "1"])
def test_requests_are_logged_only_when_asked_charger_connects_always(
    live_server_factory, database_url, in_db, access_log
):
    in_db(lambda: chargers.add_charger("CP-1"))
    server = live_server_factory(database_url, AUTOCHARGE_ACCESS_LOG=access_log)
    _get(server.url + "/login")
    with Simulator(server.ws_url, "CP-1") as sim:
        sim.boot()
    output = _wait_for(server, "CP-1 disconnected")
    assert "CP-1 connected (OCPP 1.6, accepted)" in output
    assert ('"GET /login HTTP/1.1" 200' in output) is bool(access_log)
