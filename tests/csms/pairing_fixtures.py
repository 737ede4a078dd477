"""Fixtures of the pairing integration tests (loaded with pytest_plugins): an admin's HTTP session, drivers, CP-1."""

import pytest
from pairing_support import BackOffice

from autocharge.services import admins, chargers, users

from .pairing_helpers import PASSWORD


@pytest.fixture
def cp1(in_db) -> int:
    """Register CP-1 as an Auto Charge charger; return its id."""
    return in_db(lambda: chargers.add_charger("CP-1", autocharge="supported").id)


@pytest.fixture
def jane(in_db) -> int:
    """Create driver Jane Doe; return her id."""
    return in_db(lambda: users.add_user("Jane Doe", "jane@example.com").id)


@pytest.fixture
def max_user(in_db) -> int:
    """Create driver Max Mustermann; return his id."""
    return in_db(lambda: users.add_user("Max Mustermann", "max@example.com").id)


@pytest.fixture
def office(live_server, in_db) -> BackOffice:
    """Return admin ops@example.com logged into the live server."""
    in_db(lambda: admins.create_admin("ops@example.com", PASSWORD))
    return BackOffice(live_server.url).login("ops@example.com", PASSWORD)


@pytest.fixture
def night_office(live_server, in_db) -> BackOffice:
    """Return a second admin, night@example.com, logged into the live server."""
    in_db(lambda: admins.create_admin("night@example.com", PASSWORD))
    return BackOffice(live_server.url).login("night@example.com", PASSWORD)


@pytest.fixture
def station(simulator, cp1, version):
    """Return CP-1 simulated in the test's OCPP version, connected and booted (so it is online)."""
    sim = simulator("CP-1", version)
    assert sim.boot()["status"] == "Accepted"
    sim.status(1, "Available")
    return sim
