"""Logging in and out, CSRF, throttling, and that every screen needs a login."""

import re

import pytest
import sqlalchemy as sa
from conftest import app_from_environment, make_app

from autocharge.extensions import db
from autocharge.models import LoginFailure
from autocharge.services import admins

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, AuthActions, csrf_token


def test_login_page_has_a_form_with_a_token(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert f'name="csrf_token" value="{csrf_token(html)}"' in html


def test_login_then_logout(auth):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = auth.client.get("/")  # the Home screen
    assert page.status_code == 200 and ADMIN_EMAIL in page.get_data(as_text=True)

    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert auth.client.get("/chargers/").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (ADMIN_EMAIL, "wrong password"),
        ("nobody@example.com", ADMIN_PASSWORD),
        ("", ""),
    ],
)
def test_wrong_credentials_say_so_and_keep_the_email(auth, email, password):
    response = auth.login(email, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Wrong email or password." in html
    assert f'value="{email}"' in html
    assert not auth.logged_in()


def test_login_is_case_insensitive_on_email(auth):
    assert auth.login(ADMIN_EMAIL.upper()).status_code == 302


def test_login_goes_back_to_the_page_asked_for(auth):
    response = auth.client.get("/transactions/?page=2")
    assert response.status_code == 302
    target = response.headers["Location"]
    assert target.startswith("/login?next=")
    html = auth.client.get(target).get_data(as_text=True)
    assert "Please log in to see that page." in html
    token = csrf_token(html)
    response = auth.client.post(target, data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/transactions/?page=2"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_login_never_redirects_off_site(auth, target):
    token = csrf_token(auth.client.get("/login").get_data(as_text=True))
    response = auth.client.post(
        "/login",
        query_string={"next": target},
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_post_without_csrf_token_is_refused(auth):
    response = auth.client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert not auth.logged_in()


def test_post_with_a_token_of_another_session_is_refused(app, auth):
    other = AuthActions(app.test_client())
    response = auth.client.post(
        "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": other.token()}
    )
    assert response.status_code == 400


def test_logout_needs_post_and_token(logged_in):
    assert logged_in.client.get("/logout").status_code == 405
    assert logged_in.client.post("/logout").status_code == 400
    assert logged_in.logged_in()


@pytest.fixture
def strict_app(database_url):
    """Return an app that locks an account after two failed logins, with the admin."""
    app = make_app(database_url, AUTOCHARGE_LOGIN_MAX_FAILURES=2)
    with app.app_context():
        admins.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_login_throttled_after_max_failures(strict_app):
    auth = AuthActions(strict_app.test_client())
    assert auth.login(password="wrong one").status_code == 200
    assert auth.login(password="wrong two").status_code == 200
    response = auth.login()  # even the right password waits out the lock
    assert response.status_code == 429
    assert re.search(r"Too many failed logins\. Try again in \d+ seconds\.", response.get_data(as_text=True))
    assert not auth.logged_in()


def test_throttle_is_per_account(strict_app):
    auth = AuthActions(strict_app.test_client())
    for _ in range(3):
        auth.login("someone.else@example.com", "guess")
    assert auth.login().status_code == 302


def test_logged_in_admin_visiting_login_goes_home(logged_in):
    assert logged_in.client.get("/login").headers["Location"] == "/"


def test_throttle_holds_across_processes_and_restarts(strict_app, database_url):
    auth = AuthActions(strict_app.test_client())
    assert auth.login(password="wrong one").status_code == 200
    other_process = make_app(database_url, AUTOCHARGE_LOGIN_MAX_FAILURES=2)
    other = AuthActions(other_process.test_client())
    assert other.login(password="wrong two").status_code == 200
    assert auth.login().status_code == 429
    assert other.login().status_code == 429
    with other_process.app_context():
        db.engine.dispose()


def test_a_successful_login_forgets_the_failures(strict_app):
    auth = AuthActions(strict_app.test_client())
    assert auth.login(password="wrong one").status_code == 200
    assert auth.login().status_code == 302
    auth.logout()
    assert auth.login(password="wrong two").status_code == 200
    assert auth.login().status_code == 302


@pytest.mark.parametrize(("proxies", "locks_other_forwarded_address"), [(0, True), (1, False)])
def test_forwarded_address_counts_only_behind_trusted_proxies(database_url, proxies, locks_other_forwarded_address):
    """With no trusted proxy X-Forwarded-For is a client's claim and ignored; with one it is the client's address."""
    app = make_app(database_url, AUTOCHARGE_LOGIN_MAX_FAILURES=2, AUTOCHARGE_TRUSTED_PROXIES=proxies)
    with app.app_context():
        admins.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    auth = AuthActions(app.test_client())
    for _ in range(2):
        auth.login(password="wrong", headers={"X-Forwarded-For": "203.0.113.7"})
    assert auth.login(headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    response = auth.login(headers={"X-Forwarded-For": "198.51.100.2"})
    assert response.status_code == (429 if locks_other_forwarded_address else 302)
    with app.app_context():
        counted = db.session.scalars(sa.select(LoginFailure.address).distinct()).all()
        db.session.remove()
        db.engine.dispose()
    assert counted == (["127.0.0.1"] if proxies == 0 else ["203.0.113.7"])


@pytest.mark.parametrize(("setting", "secure"), [("0", False), ("1", True)])
def test_the_session_cookie_is_secure_when_the_environment_says_so(monkeypatch, database_url, setting, secure):
    app = app_from_environment(monkeypatch, database_url, AUTOCHARGE_SECURE_COOKIES=setting)
    with app.app_context():
        admins.create_admin("secure@example.com", "long enough password")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"email": "secure@example.com", "password": "long enough password", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert ("; Secure" in cookie) is secure and "HttpOnly" in cookie
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
