"""Commands over the real server process: from its web page, and from another process through the database.

The test process plays a second server process without the charger's socket: its commands travel through
the database to the live server that holds the socket (csms/outbox.py).
"""

import html
import http.cookiejar
import re
import threading
import time
import urllib.parse
import urllib.request

import pytest

from autocharge.csms import registry
from autocharge.db import writing
from autocharge.extensions import db
from autocharge.models import Charger, ChargerCommand, Transaction
from autocharge.services import admins, commands, vehicles

from .support import BOOT, eventually


class Browser:
    """An admin's HTTP session against the live server (cookies kept, CSRF token read from pages)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        """Return the page at `path`."""
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, form: dict, token_from: str) -> str:
        """Post a form with the CSRF token of the page at `token_from`; return the page redirected to."""
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', self.get(token_from)).group(1)
        data = urllib.parse.urlencode({**form, "csrf_token": token}).encode()
        with self.opener.open(self.base_url + path, data=data, timeout=30) as response:
            return response.read().decode()


def test_remote_start_from_the_chargers_page_of_the_real_server(live_server, simulator, charger, driver, in_db, fetch):
    in_db(lambda: admins.create_admin("ops@example.com", "correct horse battery"))
    browser = Browser(live_server.url)
    browser.post("/login", {"email": "ops@example.com", "password": "correct horse battery"}, "/login")
    sim = simulator(version="2.0.1")
    sim.boot()
    page = browser.post(f"/chargers/{charger}/start", {"user_id": driver, "connector_id": 1}, f"/chargers/{charger}")
    assert "CP-1 accepted the remote start." in html.unescape(page)
    [tx] = eventually(lambda: [t for t in fetch(Transaction) if t.user_id], timeout=10)
    assert (tx.origin, tx.user_id) == ("app", driver)


def test_command_reaches_the_process_holding_the_socket(live_server, simulator, charger, driver, in_db, fetch, version):
    sim = simulator(version=version)
    sim.boot()
    eventually(lambda: fetch(Charger)[0].online)
    assert registry.get("CP-1") is None  # not in this process
    on_one = {"evse_id": 1} if version == "2.0.1" else {"connector_id": 1}
    result = in_db(lambda: commands.remote_start(charger, driver, **on_one))
    assert (result.status, result.message) == ("Accepted", "CP-1 accepted the remote start.")
    [tx] = eventually(lambda: [t for t in fetch(Transaction) if t.user_id], timeout=10)
    assert (tx.origin, tx.user_id) == ("app", driver)
    assert in_db(lambda: commands.get_configuration(charger, ["HeartbeatInterval"])).status == "Accepted"
    assert fetch(ChargerCommand) == []  # each asker deletes its command once answered


def test_command_to_a_charger_whose_process_is_gone_times_out(charger, in_db, fetch):
    def online_elsewhere():
        with writing():
            row = db.session.get(Charger, charger)
            row.online, row.connection_id = True, "0" * 32  # a process that no longer polls

    in_db(online_elsewhere)
    started = time.monotonic()
    with pytest.raises(commands.CommandTimeout, match=r"^CP-1 did not answer ClearCache within 0.5 seconds\.$"):
        in_db(lambda: commands.send("CP-1", "ClearCache", {}, timeout=0.5))
    assert time.monotonic() - started < 5
    assert fetch(ChargerCommand) == []


def test_callerror_through_the_database_is_command_failed(live_server, connect, charger, in_db):
    client = connect()
    client.result("BootNotification", BOOT["1.6"])

    def refuse():
        frame = client.recv(timeout=10)
        client.send([4, frame[1], "NotSupported", "no unlocking here", {}])

    helper = threading.Thread(target=refuse)
    helper.start()
    with pytest.raises(commands.CommandFailed, match=r"CP-1 could not process UnlockConnector: NotSupported"):
        in_db(lambda: commands.unlock_connector(charger, 1))
    helper.join(5)


def test_clear_cache_everywhere_reaches_other_processes(live_server, simulator, charger, in_db, fetch):
    sim = simulator(version="2.0.1")
    sim.boot()
    eventually(lambda: fetch(Charger)[0].online)
    assert in_db(vehicles.clear_caches) == 1
    assert sim.wait_for("ClearCache") == {}
