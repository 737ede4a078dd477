"""PostgreSQL drops every connection of the app (a failover, a restart, an admin's pg_terminate_backend): the
chargers get answers or clean CallErrors, nothing half-written stays, and the process recovers by itself."""

import urllib.request

import pytest
import sqlalchemy as sa
import websocket

from autocharge.models import Connector, Transaction
from autocharge.services import chargers, users

from .support import RawCharger

START = {"connectorId": 1, "idTag": "TAG1", "meterStart": 1000, "timestamp": "2026-01-01T00:00:00Z"}


def _drop_connections(url: str) -> int:
    """Terminate every other session on the app's database; return how many."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        dropped = conn.scalar(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    engine.dispose()
    return dropped


def _ready(server) -> int:
    """Return /readyz's status."""
    try:
        return urllib.request.urlopen(f"{server.url}/readyz", timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def server(live_server_factory, pg_database_url, in_db_pg):
    """Return the server on PostgreSQL with CP-1 and a driver with tag TAG1."""

    def setup():
        chargers.add_charger("CP-1")
        users.add_tag(users.add_user("Jane Doe", "jane@example.com").id, "TAG1")

    in_db_pg(setup)
    return live_server_factory(pg_database_url)


@pytest.fixture
def in_db_pg(pg_database_url):
    """Return a function running `fn` in an app context on the PostgreSQL test database."""
    from conftest import make_app

    from autocharge.extensions import db

    app = make_app(pg_database_url)

    def run(fn):
        with app.app_context():
            # This test process's pooled connections were dropped too. The tests' shared engine keeps its connections
            # through dispose() (SharedEngines, tests/conftest.py), and pings them only at a test's first checkout.
            sa.Engine.dispose(db.engine)
            try:
                return fn()
            finally:
                db.session.remove()

    yield run
    with app.app_context():
        db.engine.dispose()


def _status(client: RawCharger, status: str) -> list:
    """Send a StatusNotification of connector 1; return the answer frame."""
    return client.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": status})


def _stored(in_db_pg) -> tuple:
    """Return connector 1's stored status, and every transaction's (energy, status)."""
    from autocharge.extensions import db

    def read():
        status = db.session.scalar(sa.select(Connector.status).where(Connector.connector_id == 1))
        return status, [tuple(row) for row in db.session.execute(sa.select(Transaction.energy_wh, Transaction.status))]

    return in_db_pg(read)


def test_dropped_database_connections_are_survived(server, pg_database_url, in_db_pg):
    client = RawCharger(websocket.create_connection(f"{server.ws_url}/CP-1", subprotocols=["ocpp1.6"], timeout=10))
    try:
        assert _status(client, "Available")[0] == 3
        assert _drop_connections(pg_database_url) >= 2  # at least the pool's and the LISTEN connection
        assert _ready(server) == 200  # pooled connections are tested at checkout: a dead one is replaced, unseen

        # Every frame gets an answer: a CallResult, or at worst an InternalError if one meets a dropped connection.
        answers = [_status(client, "Preparing") for _ in range(5)]
        assert all(a[0] == 3 or a[2] == "InternalError" for a in answers), answers
        assert answers[-1][0] == 3  # recovered by itself
        tx_id = client.result("StartTransaction", START)["transactionId"]
        stop = {"transactionId": tx_id, "meterStop": 2500, "timestamp": START["timestamp"]}
        assert client.call("StopTransaction", stop)[0] == 3
        assert _stored(in_db_pg) == ("Preparing", [(1500, "completed")])  # exactly one transaction, all of it
        websocket.create_connection(f"{server.ws_url}/CP-1", subprotocols=["ocpp1.6"], timeout=10).close()
    finally:
        client.close()
