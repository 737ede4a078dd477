"""Reboot closing with several server processes on one PostgreSQL: the charger charges on one process and boots
again on another; every process looks for sessions to close, and each session is closed once, or not at all when
its queued stop arrives in time."""

import time

import pytest
import websocket

from autocharge.models import AuditEvent, Transaction

from .support import BOOT, PROTOCOLS, RawCharger, eventually
from .test_reboot_closing import GRACE, charge, stop_queued


@pytest.fixture
def database_url(pg_database_url) -> str:
    """Run this module's tests (and the csms fixtures they use) on PostgreSQL only."""
    return pg_database_url


@pytest.fixture
def servers(live_server_factory, database_url) -> list:
    """Start three server processes with a short grace period after reboots."""
    return [live_server_factory(database_url, AUTOCHARGE_REBOOT_GRACE_SECONDS=GRACE) for _ in range(3)]


@pytest.fixture
def boot_on():
    """Return a function connecting CP-1 to a server process and booting it; closes the sockets afterwards."""
    opened: list[RawCharger] = []

    def boot(server, version: str) -> RawCharger:
        ws = websocket.create_connection(f"{server.ws_url}/CP-1", subprotocols=[PROTOCOLS[version]], timeout=5)
        opened.append(RawCharger(ws))
        assert opened[-1].result("BootNotification", BOOT[version])["status"] == "Accepted"
        return opened[-1]

    yield boot
    for client in opened:
        client.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_session_is_closed_once_whichever_process_the_boot_lands_on(
    servers, boot_on, charger, driver, fetch, version
):
    first = boot_on(servers[0], version)
    charge(first, version)
    first.close()
    boot_on(servers[1], version)

    def closed():
        [row] = fetch(Transaction)
        return row if row.status == "completed" else None

    tx = eventually(closed, timeout=GRACE + 10)
    time.sleep(1)  # every process has looked again meanwhile
    assert (tx.stop_reason, tx.energy_wh) == ("ChargerRebooted", 3000)
    assert len(fetch(AuditEvent, AuditEvent.action == "transaction.closed_after_reboot")) == 1


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_the_queued_stop_on_another_process_wins(servers, boot_on, charger, driver, fetch, version):
    first = boot_on(servers[0], version)
    charge(first, version)
    [tx] = fetch(Transaction)
    first.close()
    again = boot_on(servers[2], version)
    stop_queued(again, version, tx.id)
    time.sleep(GRACE + 1)
    [tx] = fetch(Transaction)
    assert (tx.status, tx.stop_reason, tx.energy_wh) == ("completed", "PowerLoss", 3500)
    assert fetch(AuditEvent, AuditEvent.action == "transaction.closed_after_reboot") == []
