"""Helpers shared by the pairing, vehicle and unknown-identifier tests and bench/pairing_latency.py."""

import re
from datetime import timedelta

import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import AuditEvent, Charger, PairingSession

VID = "0A1B2C3D4E5F"  # locally administered bit set (0x0A & 0x02)
UNIVERSAL_VID = "001B2C3D4E5F"  # a globally unique (OUI) MAC


def set_online(charger_id: int, online: bool = True) -> None:
    """Mark a charger online or offline as if its socket opened or closed."""
    with writing():
        db.session.get(Charger, charger_id).online = online


def remote_start(charger_id: int, user_id: int, token: str) -> None:
    """Record a back-office start's one-time token, as services.commands.remote_start does before sending it."""
    from autocharge.models import RemoteStart

    with writing() as session:
        session.add(
            RemoteStart(
                charger_id=charger_id, user_id=user_id, id_token=token, expires_at=utcnow() + timedelta(minutes=5)
            )
        )


def age(session_id: int, seconds: int = 1) -> None:
    """Move a pairing's deadline `seconds` into the past, as if its time ran out."""
    with writing():
        db.session.get(PairingSession, session_id).deadline = utcnow() - timedelta(seconds=seconds)


def actions(vehicle_id: int) -> list[str]:
    """Return the audit actions recorded about a vehicle, oldest first."""
    query = (
        sa.select(AuditEvent.action)
        .where(AuditEvent.subject_type == "vehicle", AuditEvent.subject_id == vehicle_id)
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(query))


class World:
    """Ids of what the web tests work on: two drivers and two online Auto Charge chargers."""

    def __init__(self, app):
        from autocharge.services import chargers, users

        self.app = app
        with app.app_context():
            self.user = users.add_user("Jane Doe", "jane@example.com").id
            self.other_user = users.add_user("Max Mustermann", "max@example.com").id
            self.charger = chargers.add_charger("CP-1", autocharge="supported").id
            self.charger2 = chargers.add_charger("CP-2", autocharge="supported").id
            set_online(self.charger)
            set_online(self.charger2)

    def vehicle(self, plate: str = "AB-123", user: int | None = None, identifier: str | None = None) -> int:
        """Add a vehicle (paired through a pairing on CP-2 when `identifier` is given); return its id."""
        from autocharge.services import authorization, pairing, vehicles

        with self.app.app_context():
            vehicle_id = vehicles.add_vehicle(user or self.user, plate).id
            if identifier:
                pairing.start(vehicle_id, self.charger2)
                assert authorization.authorize(self.charger2, f"VID:{identifier}").vehicle_id == vehicle_id
            return vehicle_id

    def pairing(self, vehicle_id: int, charger_id: int | None = None, admin_id: int | None = None) -> int:
        """Start a pairing; return its id."""
        from autocharge.services import pairing

        with self.app.app_context():
            return pairing.start(vehicle_id, charger_id or self.charger, admin_id).id

    def authorize(self, token: str, token_type: str | None = None, charger_id: int | None = None) -> str:
        """Present a token at CP-1 as a charger would; return the status."""
        from autocharge.services import authorization

        with self.app.app_context():
            return authorization.authorize(charger_id or self.charger, token, token_type).status

    def run(self, fn, *args, **kwargs):
        """Call `fn` inside an app context and return its result."""
        with self.app.app_context():
            return fn(*args, **kwargs)


class Page:
    """One HTTP answer of the live server: status, body and where it redirects."""

    def __init__(self, status: int, text: str, location: str | None):
        self.status, self.text, self.location = status, text, location

    def id_at_end(self) -> int:
        """Return the number that ends the redirect target (a new vehicle's or pairing's id)."""
        return int(self.location.rstrip("/").rsplit("/", 1)[1])


class BackOffice:
    """An admin in a browser, without the browser: cookies, CSRF tokens and forms, against the live server.

    Redirects are not followed, so tests see where a form sends the admin. Built on the standard library.
    """

    def __init__(self, base_url: str):
        import http.cookiejar
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.base = base_url.rstrip("/")
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )
        self.token = ""

    def request(self, path: str, data: dict | None = None, headers: dict | None = None) -> Page:
        """GET (or POST `data` with the CSRF token) a path; return the Page."""
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode({**data, "csrf_token": self.token}).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=15) as response:
                return Page(response.status, response.read().decode(), response.headers.get("Location"))
        except urllib.error.HTTPError as exc:
            return Page(exc.code, exc.read().decode(errors="replace"), exc.headers.get("Location"))

    def get(self, path: str, **headers) -> Page:
        """GET a path, remembering the page's CSRF token for the next form."""
        page = self.request(path, headers=headers)
        found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        if found:
            self.token = found.group(1)
        return page

    def post(self, path: str, data: dict | None = None, **headers) -> Page:
        """POST a form with the CSRF token."""
        return self.request(path, data or {}, headers)

    def login(self, email: str, password: str) -> "BackOffice":
        """Log in through the login form."""
        self.get("/login")
        page = self.post("/login", {"email": email, "password": password})
        assert page.status == 302, page.text
        self.get("/users/")  # a login starts a new session with its own CSRF token
        return self

    def add_vehicle(self, user_id: int, plate: str) -> int:
        """Add Vehicle with `plate` (then Pair); return the new vehicle's id."""
        page = self.post(f"/users/{user_id}/vehicles/new", {"plate": plate, "then": "pair"})
        assert page.status == 302 and page.location.endswith("/pair"), page.text
        return int(page.location.split("/")[-2])

    def pair(self, user_id: int, vehicle_id: int, charger_id: int) -> Page:
        """Choose a charger on the Pair screen; return the answer (302 to the panel, or a refusal)."""
        return self.post(f"/users/{user_id}/vehicles/{vehicle_id}/pair", {"charger_id": charger_id})

    def status(self, session_id: int) -> str:
        """Fetch the pairing status partial as htmx's load polling does."""
        page = self.request(f"/pairing/{session_id}/status", headers={"HX-Request": "true"})
        assert page.status == 200, page.text
        return page.text

    def wait_status(self, session_id: int, text: str, timeout: float = 10) -> str:
        """Poll the status partial until it contains `text`; return it."""
        from conftest import eventually

        shown = [""]

        def showing() -> str | None:
            shown[0] = self.status(session_id)
            return shown[0] if text in shown[0] else None

        return eventually(showing, timeout, lambda: f"{text!r} in the status partial:\n{shown[0]}")
