"""Where settings come from: a config given to create_app is hermetic; without one, the environment counts."""

from conftest import app_from_environment, make_app

from autocharge.config import DEFAULTS


def test_a_given_config_is_not_changed_by_the_environment(monkeypatch, sqlite_url):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nowhere/else.sqlite")
    monkeypatch.setenv("AUTOCHARGE_HEARTBEAT_INTERVAL", "7")
    app = make_app(sqlite_url)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == sqlite_url
    assert app.config["AUTOCHARGE_HEARTBEAT_INTERVAL"] == DEFAULTS["AUTOCHARGE_HEARTBEAT_INTERVAL"]


def test_without_a_config_the_environment_sets_and_types_the_settings(monkeypatch, sqlite_url):
    app = app_from_environment(monkeypatch, sqlite_url, AUTOCHARGE_HEARTBEAT_INTERVAL=7, AUTOCHARGE_ACCESS_LOG=1)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == sqlite_url
    assert app.config["AUTOCHARGE_HEARTBEAT_INTERVAL"] == 7 and app.config["AUTOCHARGE_ACCESS_LOG"] is True
