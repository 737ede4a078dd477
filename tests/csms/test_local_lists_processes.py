"""Local lists across two server processes on one PostgreSQL: the process holding the charger's socket sends it,
woken at once (NOTIFY) by a change made anywhere else; the polls are set so slow that only the wake-up can explain
a timely update."""

import pytest
from pairing_support import BackOffice

from autocharge.models import AuditEvent
from autocharge.services import admins, users
from autocharge.simulator import Simulator

from .support import TAG, VID, eventually

SLOW_POLL = 120  # seconds: longer than any wait below
EMAIL, PASSWORD = "ops@example.com", "correct horse battery"


@pytest.fixture
def database_url(pg_database_url) -> str:
    """Run this module's tests (and the csms fixtures they use) on PostgreSQL only."""
    return pg_database_url


@pytest.fixture(params=["1.6", "2.0.1"])
def version(request) -> str:
    """Run the test for OCPP 1.6 and for 2.0.1."""
    return request.param


def test_a_change_on_another_process_reaches_the_charger_at_once(
    live_server_factory, database_url, in_db, fetch, charger, driver, paired, version
):
    a = live_server_factory(database_url, AUTOCHARGE_LOCAL_LIST_RETRY_SECONDS=SLOW_POLL)
    b = live_server_factory(database_url, AUTOCHARGE_LOCAL_LIST_RETRY_SECONDS=SLOW_POLL)
    in_db(lambda: admins.create_admin(EMAIL, PASSWORD, role="operator"))
    sim = Simulator(a.ws_url, "CP-1", version=version)
    try:
        sim.connect()
        sim.boot()
        office = BackOffice(b.url).login(EMAIL, PASSWORD)  # the admin's browser reaches the other process
        assert office.post(f"/chargers/{charger}/local-list", {"enabled": "on"}).status == 302
        vehicle = f"VID:{VID}" if version == "1.6" else f"MacAddress:{VID}"
        tag = TAG if version == "1.6" else f"ISO14443:{TAG}"
        eventually(lambda: sim.local_list.entries == {vehicle: "Accepted", tag: "Accepted"}, 10)

        in_db(lambda: users.set_status(driver, "blocked"))  # a third process: the test's own
        eventually(lambda: sim.local_list.entries == {vehicle: "Blocked", tag: "Blocked"}, 10)
        assert fetch(AuditEvent, AuditEvent.action == "charger.local_list_enabled")[0].actor == "admin"
    finally:
        sim.close()
