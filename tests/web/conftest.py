"""Fixtures for the back-office screens: the app without a pushed context, an admin, and AuthActions.

CSRF protection stays on: AuthActions reads the token from the pages like a browser would.
"""

import pytest
from conftest import APPS, csrf_token  # the root conftest (tests/ is on sys.path)

from autocharge.extensions import db
from autocharge.services import admins

from .tables_fixtures import fleet  # noqa: F401  (the table tests' data, a fixture of every web test)

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture
def app(database_url):
    """Return the app on a fresh database, with no app context pushed.

    Each request then gets its own app context, session and `g`, as when served; tests that look
    into the database open `with app.app_context():` themselves. The app is reused from earlier tests (ReusedApps).
    """
    app = APPS.take(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def admin(app):
    """Create the admin the tests log in as; return its id."""
    with app.app_context():
        return admins.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD).id


class AuthActions:
    """Log in and out, and post forms with a real CSRF token, through the test client."""

    def __init__(self, client):
        self.client = client
        self._token: str | None = None

    def token(self) -> str:
        """Return the session's CSRF token, read from a page as a browser would."""
        if self._token is None:
            page = self.client.get("/users/") if self.logged_in() else self.client.get("/login")
            if page.status_code != 200:  # the server ended this login session: the login page has the token
                page = self.client.get("/login")
            self._token = csrf_token(page.get_data(as_text=True))
        return self._token

    def logged_in(self) -> bool:
        """Tell whether the client's session belongs to a logged-in admin."""
        with self.client.session_transaction() as session:
            return "_user_id" in session

    def login(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD, **kwargs):
        """Post the login form; return the response."""
        self._token = None
        response = self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.token()}, **kwargs
        )
        self._token = None  # a login starts a fresh session, with a new token
        return response

    def logout(self):
        """Post the logout form; return the response."""
        response = self.post("/logout")
        self._token = None
        return response

    def post(self, url: str, data: dict | None = None, **kwargs):
        """Post a form with the CSRF token; return the response."""
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token()}, **kwargs)


@pytest.fixture
def auth(client, admin) -> AuthActions:
    """Return AuthActions for the test client (the admin exists, nobody is logged in)."""
    return AuthActions(client)


@pytest.fixture
def logged_in(auth) -> AuthActions:
    """Return AuthActions with the admin logged in."""
    assert auth.login().status_code == 302
    return auth
