"""The back-office screens: one blueprint per screen."""

import importlib

from flask import Blueprint, Flask

from .roles import refuse_undeclared

# Screens every build has, then screens other work adds; a listed module that does not exist
# yet is skipped so the app keeps starting while it is being written.
REQUIRED = ("site", "auth", "account", "admins", "audit", "chargers", "charger_commands", "users", "transactions")
OPTIONAL = ("vehicles", "pairing", "unknown")


def register_blueprints(app: Flask) -> None:
    """Register every screen's blueprint."""
    for name in REQUIRED:
        _register(app, importlib.import_module(f"{__name__}.{name}").bp)
    for name in OPTIONAL:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":  # the module exists but something it imports does not
                raise
            continue
        _register(app, module.bp)
    app.before_request(refuse_undeclared)


def _register(app: Flask, bp: Blueprint) -> None:
    """Register a screen's blueprint and name it a back-office screen, whose views must each declare a role."""
    app.register_blueprint(bp)
    app.extensions.setdefault("screens", set()).add(bp.name)
