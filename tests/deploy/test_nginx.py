"""deploy/nginx.conf, run by Debian's nginx in front of two real server processes on one PostgreSQL.

The shipped file is used as it is, with only its upstream servers and its listen port pointed at this test's
processes, inside a minimal main configuration of the test's own; nginx runs as a child process of the test.
"""

import base64
import functools
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
import websocket
from conftest import ROOT, free_port
from pairing_support import BackOffice

from autocharge.extensions import db
from autocharge.models import LoginFailure
from autocharge.services import admins, chargers

pytestmark = [pytest.mark.live, pytest.mark.nginx]

EMAIL, PASSWORD = "ops@example.com", "correct horse battery"
CHARGER_PASSWORD = "sixteen+chars-secret"
MAX_FAILURES = 3
ATTACKER = "127.0.0.2"  # a second client address: loopback answers all of 127.0.0.0/8
SETTINGS = {
    "AUTOCHARGE_TRUSTED_PROXIES": 1,
    "AUTOCHARGE_LOGIN_MAX_FAILURES": MAX_FAILURES,
    "AUTOCHARGE_METRICS_TOKEN": "t",
}
BOOT = {"chargingStation": {"vendorName": "Acme", "model": "Wallbox 2"}, "reason": "PowerUp"}


class Nginx:
    """Debian's nginx serving deploy/nginx.conf on a free port, in front of the given app ports."""

    def __init__(self, folder: Path, app_ports: list[int]):
        self.folder, self.app_ports = folder, app_ports
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def render(self) -> Path:
        """Write the main configuration and the site file rendered from deploy/nginx.conf; return the main one."""
        site = (ROOT / "deploy" / "nginx.conf").read_text()
        servers = "".join(f"    server 127.0.0.1:{port};\n" for port in self.app_ports)
        site, found = re.subn(
            r"(upstream autocharge \{\n(?:\s*#[^\n]*\n)*)(?:\s*server [^\n]*\n)+", rf"\g<1>{servers}", site
        )
        assert found == 1, "deploy/nginx.conf has no upstream autocharge block to point at the test's processes"
        site, found = re.subn(r"listen 80;", f"listen 127.0.0.1:{self.port};", site)
        assert found == 1, "deploy/nginx.conf has no `listen 80;` line"
        (self.folder / "temp").mkdir(parents=True)
        (self.folder / "autocharge.conf").write_text(site)
        kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        temp = "".join(f"    {kind}_temp_path {self.folder}/temp/{kind};\n" for kind in kinds)
        main = self.folder / "nginx.conf"
        main.write_text(
            # As root, the workers would switch to `nobody`, who cannot reach the test's private folders.
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\npid {self.folder}/nginx.pid;\nerror_log {self.folder}/error.log info;\n"
            + "events { worker_connections 256; }\n"
            + "http {\n"
            + "    log_format upstreams '$remote_addr $request_method $uri $status $upstream_addr';\n"
            + f"    access_log {self.folder}/access.log upstreams;\n"
            + temp
            + f"    include {self.folder}/autocharge.conf;\n"
            + "}\n"
        )
        return main

    def start(self) -> "Nginx":
        """Check the configuration, start nginx in the foreground and wait until it listens."""
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        assert Path(binary).exists(), "nginx is missing: apt-get install nginx (make test installs it)"
        main = self.render()
        command = [binary, "-p", str(self.folder), "-e", str(self.folder / "error.log"), "-c", str(main)]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen([*command, "-g", "daemon off;"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log("error.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nginx did not start: {self.log('error.log')}")

    def stop(self) -> None:
        """Stop nginx (quickly: SIGTERM)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def log(self, name: str) -> str:
        """Return one of nginx's logs."""
        path = self.folder / name
        return path.read_text() if path.exists() else ""


class _FromAddress(urllib.request.HTTPHandler):
    """Open HTTP connections from a given local address (another client, as nginx sees it)."""

    handler_order = 100  # asked before urllib's own HTTPHandler

    def __init__(self, address: str):
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(self.address, 0)), req)


@pytest.fixture
def database_url(pg_database_url) -> str:
    """Run these tests on PostgreSQL only: several processes share one database."""
    return pg_database_url


@pytest.fixture
def nginx(tmp_path, live_server_factory, database_url):
    """Return nginx, configured from deploy/nginx.conf, in front of two server processes that trust one proxy."""
    servers = [live_server_factory(database_url, **SETTINGS) for _ in range(2)]
    proxy = Nginx(tmp_path / "nginx", [server.port for server in servers]).start()
    yield proxy
    proxy.stop()


def connect(proxy: Nginx, protocols: list[str], password: str | None = CHARGER_PASSWORD) -> websocket.WebSocket:
    """Open CP-1's OCPP socket through nginx."""
    header = [f"Authorization: Basic {base64.b64encode(f'CP-1:{password}'.encode()).decode()}"] if password else []
    return websocket.create_connection(
        f"ws://127.0.0.1:{proxy.port}/ocpp/CP-1", subprotocols=protocols, header=header, timeout=10
    )


def test_a_charger_connects_through_nginx_and_refusals_pass_through(nginx, in_db):
    in_db(lambda: chargers.add_charger("CP-1", password=CHARGER_PASSWORD))
    ws = connect(nginx, ["ocpp1.6", "ocpp2.0.1"])
    try:
        assert ws.getsubprotocol() == "ocpp2.0.1"  # the app's preference, negotiated through the proxy
        ws.send(json.dumps([2, "boot-1", "BootNotification", BOOT]))
        answer = json.loads(ws.recv())
        assert answer[:2] == [3, "boot-1"] and answer[2]["status"] == "Accepted"
    finally:
        ws.close()
    for protocols, password, status in [(["ocpp1.6"], "wrong password here", 401), (["ocpp9"], CHARGER_PASSWORD, 400)]:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            connect(nginx, protocols, password)
        assert refused.value.status_code == status


def test_admins_log_in_and_the_throttle_counts_the_real_client_across_processes(nginx, in_db):
    in_db(lambda: admins.create_admin(EMAIL, PASSWORD))
    assert BackOffice(nginx.url).login(EMAIL, PASSWORD).get("/users/").status == 200

    attacker = BackOffice(nginx.url)
    attacker.opener.add_handler(_FromAddress(ATTACKER))
    attacker.get("/login")
    for n in range(MAX_FAILURES):
        # A forged X-Forwarded-For changes nothing: the app believes only the address nginx appends.
        page = attacker.post("/login", {"email": EMAIL, "password": f"guess {n}"}, **{"X-Forwarded-For": f"10.0.0.{n}"})
        assert page.status == 200 and "Wrong email or password." in page.text
    assert attacker.post("/login", {"email": EMAIL, "password": PASSWORD}).status == 429
    assert BackOffice(nginx.url).login(EMAIL, PASSWORD)  # the admin's own address is not locked

    posts = [line.split() for line in nginx.log("access.log").splitlines() if line.startswith(f"{ATTACKER} POST")]
    assert len(posts) == MAX_FAILURES + 1
    assert {post[-1] for post in posts} == {f"127.0.0.1:{port}" for port in nginx.app_ports}  # both processes

    def counted():
        return set(db.session.scalars(sa.select(LoginFailure.address)))

    assert in_db(counted) == {ATTACKER}


def test_metrics_are_served_by_each_process_but_not_through_nginx(nginx):
    bearer = {"Authorization": "Bearer t"}
    for port in nginx.app_ports:
        with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=bearer)) as got:
            assert got.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(f"{nginx.url}/metrics", headers=bearer), timeout=5)
    assert refused.value.code == 404
    refused.value.close()
