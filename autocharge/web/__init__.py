"""The back-office screens: one blueprint per screen, registered explicitly (a broken import fails at start)."""

from flask import Blueprint, Flask

from . import (
    account,
    admins,
    audit,
    auth,
    charger_commands,
    charger_panels,
    chargers,
    local_lists,
    pairing,
    site,
    transactions,
    unknown,
    users,
    vehicles,
)
from .roles import refuse_undeclared

SCREENS = (
    site,
    auth,
    account,
    admins,
    audit,
    chargers,
    charger_commands,
    charger_panels,
    local_lists,
    users,
    transactions,
    vehicles,
    pairing,
    unknown,
)


def register_blueprints(app: Flask) -> None:
    """Register every screen's blueprint; each view then must declare its role."""
    for module in SCREENS:
        _register(app, module.bp)
    app.before_request(refuse_undeclared)


def _register(app: Flask, bp: Blueprint) -> None:
    """Register a screen's blueprint and name it a back-office screen, whose views must each declare a role."""
    app.register_blueprint(bp)
    app.extensions.setdefault("screens", set()).add(bp.name)
