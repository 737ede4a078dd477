"""Fixtures of the service tests: admins, drivers and online Auto Charge chargers, in the app's context."""

import pytest
from pairing_support import set_online

from autocharge.services import admins, chargers, users


@pytest.fixture
def admin(app):
    """Return an admin (the one starting pairings)."""
    return admins.create_admin("ops@example.com", "correct horse battery")


@pytest.fixture
def other_admin(app):
    """Return a second admin (the one racing the first)."""
    return admins.create_admin("night@example.com", "correct horse battery")


@pytest.fixture
def driver(app):
    """Return an active user."""
    return users.add_user("Jane Doe", "jane@example.com")


@pytest.fixture
def other_driver(app):
    """Return another active user."""
    return users.add_user("Max Mustermann", "max@example.com")


def online_charger(box_id: str):
    """Register an Auto Charge charger and mark it online; return it."""
    charger = chargers.add_charger(box_id, autocharge="supported")
    set_online(charger.id)
    return charger


@pytest.fixture
def charger(app):
    """Return an online charger that supports Auto Charge."""
    return online_charger("CP-1")


@pytest.fixture
def charger2(app):
    """Return a second online charger that supports Auto Charge."""
    return online_charger("CP-2")
