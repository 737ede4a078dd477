"""Fixtures of the simulator tests: the real server, chargers registered in its database, connected simulators."""

import re
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar

import pytest

from autocharge.services import admins, chargers
from autocharge.simulator import Simulator

VERSIONS = ["1.6", "2.0.1"]
PASSWORD = "sixteen-chars-pw"


@pytest.fixture
def charger_id(in_db) -> int:
    """Register CP-1 (Auto Charge supported, no password); return its id."""
    return in_db(lambda: chargers.add_charger("CP-1", autocharge="supported").id)


@pytest.fixture
def simulator(live_server, charger_id) -> Callable[..., Simulator]:
    """Return a function that connects a simulator to the live server (closed after the test)."""
    made: list[Simulator] = []

    def connect(version: str = "1.6", charge_box_id: str = "CP-1", password: str | None = None, **options) -> Simulator:
        sim = Simulator(live_server.ws_url, charge_box_id, version, password, **options)
        made.append(sim)
        return sim.connect()

    yield connect
    for sim in made:
        sim.close()


@pytest.fixture(params=VERSIONS)
def version(request) -> str:
    """Return each OCPP version in turn."""
    return request.param


@pytest.fixture
def booted(simulator, version) -> Simulator:
    """Return a simulator of CP-1, connected and accepted, its connector Available."""
    sim = simulator(version)
    assert sim.boot()["status"] == "Accepted"
    sim.status(1, "Available")
    return sim


EMAIL, PASSWORD = "ops@example.com", "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class BackOffice:
    """A logged-in admin's browser session on the live server, without a browser."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.token = ""
        self.path = ""  # of the page last shown, after redirects

    def get(self, path: str) -> str:
        """Return a page (and remember its CSRF token)."""
        with self.opener.open(self.base_url + path, timeout=30) as response:
            html = response.read().decode()
            self.path = response.geturl().removeprefix(self.base_url)
        if match := TOKEN.search(html):
            self.token = match.group(1)
        return html

    def post(self, path: str, **form) -> str:
        """Post a form with the CSRF token; return the page it leads to."""
        data = urllib.parse.urlencode({**form, "csrf_token": self.token}).encode()
        with self.opener.open(self.base_url + path, data, timeout=60) as response:
            self.path = response.geturl().removeprefix(self.base_url)
            return response.read().decode()

    def login(self, email: str = EMAIL, password: str = PASSWORD) -> "BackOffice":
        """Log in (as the test admin unless told otherwise)."""
        self.get("/login")
        self.post("/login", email=email, password=password)
        self.get("/chargers")
        return self


def open_office(base_url: str, in_db) -> BackOffice:
    """Create the test admin and return its logged-in back office session on the server at `base_url`."""
    in_db(lambda: admins.create_admin(EMAIL, PASSWORD))
    return BackOffice(base_url).login()


@pytest.fixture
def office(live_server, in_db) -> BackOffice:
    """Return a logged-in back office session on the live server."""
    return open_office(live_server.url, in_db)
