"""Fixtures for the OCPP tests: chargers in the test's database, a charger whose frames go to the dispatcher in
process (booted), raw OCPP-J clients (websocket-client) and simulated chargers connected to the real server process,
and the pairing tests' admins, drivers and CP-1."""

import pytest
import sqlalchemy as sa
import websocket
from pairing_support import BackOffice

from autocharge.db import writing
from autocharge.extensions import db
from autocharge.services import admins, chargers, users, vehicles
from autocharge.services.identifiers import Identifier
from autocharge.simulator import Simulator

from .pairing_helpers import PASSWORD
from .support import BOOT, PROTOCOLS, TAG, VID, InProcessCharger, RawCharger


@pytest.fixture
def fetch(in_db):
    """Return a function listing rows of a model (detached, loaded) matching SQLAlchemy conditions."""

    def rows(model, *where):
        return in_db(lambda: list(db.session.scalars(sa.select(model).where(*where).order_by(model.id))))

    return rows


@pytest.fixture
def charger(in_db) -> int:
    """Register CP-1 (accepted, no password); return its id."""
    return in_db(lambda: chargers.add_charger("CP-1").id)


@pytest.fixture
def driver(in_db) -> int:
    """Create an active user with RFID tag TAG1; return the user's id."""

    def make():
        user = users.add_user("Jane Doe", "jane@example.com")
        users.add_tag(user.id, TAG)
        return user.id

    return in_db(make)


@pytest.fixture
def paired(in_db, driver) -> int:
    """Give the driver an active vehicle with identifier VID; return the vehicle's id."""

    def make():
        vehicle = vehicles.add_vehicle(driver, "AB-123")
        with writing():
            vehicles.attach_identifier(vehicle, Identifier(VID, f"VID:{VID}"), None, None)
        return vehicle.id

    return in_db(make)


@pytest.fixture
def connect(live_server):
    """Return a function opening a raw OCPP-J socket to the live server; closes them all afterwards."""
    opened: list[RawCharger] = []

    def open_socket(box: str = "CP-1", protocols: list[str] | None = None, header: list[str] | None = None):
        ws = websocket.create_connection(
            f"{live_server.ws_url}/{box}", subprotocols=protocols or ["ocpp1.6"], header=header or [], timeout=5
        )
        opened.append(RawCharger(ws))
        return opened[-1]

    yield open_socket
    for client in opened:
        client.close()


@pytest.fixture(params=["1.6", "2.0.1"])
def version(request) -> str:
    """Run the test for OCPP 1.6 and for 2.0.1."""
    return request.param


@pytest.fixture
def booted(db_app, charger, version) -> InProcessCharger:
    """Return CP-1 in the test's OCPP version, its frames handled in this process, after an accepted BootNotification.

    For protocol behaviour: what a frame stores and answers. Tests of the socket itself use booted_socket.
    """
    client = InProcessCharger(db_app, "CP-1", version)
    assert client.result("BootNotification", BOOT[version])["status"] == "Accepted"
    return client


@pytest.fixture
def booted_socket(connect, charger, version) -> RawCharger:
    """Return CP-1 connected to the live server in the test's OCPP version, after an accepted BootNotification."""
    client = connect(protocols=[PROTOCOLS[version]])
    assert client.result("BootNotification", BOOT[version])["status"] == "Accepted"
    return client


@pytest.fixture
def simulator(live_server):
    """Return a function creating a connected simulated charger; closes them all afterwards."""
    made: list[Simulator] = []

    def make(box: str = "CP-1", version: str = "1.6", **kwargs) -> Simulator:
        sim = Simulator(live_server.ws_url, box, version=version, **kwargs)
        made.append(sim)
        sim.connect()
        return sim

    yield make
    for sim in made:
        sim.close()


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
