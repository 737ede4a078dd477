"""The command-line commands."""

import pytest
import sqlalchemy as sa

from autocharge.extensions import db
from autocharge.models import Admin, Charger
from autocharge.services import admins


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
