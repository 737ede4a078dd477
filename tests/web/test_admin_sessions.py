"""Login sessions the server can end: logout, password changes, disabling, lifetimes, signing out everywhere."""

from datetime import timedelta

import sqlalchemy as sa

from autocharge.db import utcnow
from autocharge.extensions import db
from autocharge.models import AdminSession, AuditEvent
from autocharge.services import admins

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, AuthActions

NEW_PASSWORD = "a brand new secret"


def session_cookie(client) -> str:
    """Return the value of the client's session cookie."""
    return client.get_cookie("session").value


def opens_users(app, cookie: str) -> bool:
    """Tell whether a browser holding only this session cookie gets the Users screen."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/users/").status_code == 200


def second_login(app) -> AuthActions:
    """Log the admin in from a second browser."""
    other = AuthActions(app.test_client())
    assert other.login().status_code == 302
    return other


def test_a_copied_cookie_opens_nothing_after_logout(app, logged_in):
    copied = session_cookie(logged_in.client)
    assert opens_users(app, copied)
    logged_in.logout()
    assert not opens_users(app, copied)


def test_changing_the_password_signs_out_every_other_browser(app, logged_in):
    other = second_login(app)
    copied = session_cookie(logged_in.client)
    response = logged_in.post(
        "/account/password",
        {"current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert logged_in.client.get("/users/").status_code == 200  # this browser got a fresh session
    assert other.client.get("/users/").status_code == 302  # the other one is sent to the login page
    assert not opens_users(app, copied)  # nor does the cookie from before the change open anything
    with app.app_context():
        assert admins.authenticate(ADMIN_EMAIL, NEW_PASSWORD, "test")


def test_a_wrong_current_password_changes_nothing(app, logged_in):
    response = logged_in.post(
        "/account/password",
        {"current_password": "not it at all", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert "current password is wrong" in response.get_data(as_text=True)
    with app.app_context():
        assert admins.authenticate(ADMIN_EMAIL, ADMIN_PASSWORD, "test")


def test_a_mismatched_repetition_is_named(logged_in):
    response = logged_in.post(
        "/account/password",
        {"current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": "something else"},
    )
    assert response.status_code == 422
    assert "does not match" in response.get_data(as_text=True)


def test_a_password_set_on_the_command_line_signs_the_admin_out(app, logged_in):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["set-admin-password", ADMIN_EMAIL, "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert logged_in.client.get("/users/").status_code == 302


def test_disabling_an_admin_signs_them_out_and_keeps_them_out(app, logged_in):
    with app.app_context():
        other_id = admins.create_admin("ops@example.com", ADMIN_PASSWORD, "operator").id
    other = AuthActions(app.test_client())
    assert other.login("ops@example.com").status_code == 302
    assert logged_in.post(f"/admins/{other_id}/disable", {"confirmed": "yes"}).status_code == 302
    assert other.client.get("/users/").status_code == 302
    refused = other.login("ops@example.com")
    assert refused.status_code == 403 and "disabled" in refused.get_data(as_text=True)
    assert logged_in.post(f"/admins/{other_id}/enable").status_code == 302
    assert other.login("ops@example.com").status_code == 302


def test_sign_out_everywhere_ends_every_session(app, logged_in):
    other = second_login(app)
    response = logged_in.post("/account/sessions/end-all")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert logged_in.client.get("/users/").status_code == 302
    assert other.client.get("/users/").status_code == 302


def test_my_account_lists_sessions_and_signs_out_one(app, logged_in):
    other = second_login(app)
    page = logged_in.client.get("/account").get_data(as_text=True)
    assert page.count('id="session-') == 2 and "This browser" in page
    with app.app_context():
        rows = db.session.scalars(sa.select(AdminSession).order_by(AdminSession.id)).all()
        mine, theirs = rows[0].id, rows[1].id
    refused = logged_in.post(f"/account/sessions/{mine}/end", follow_redirects=True)
    assert "use Log out" in refused.get_data(as_text=True)
    assert logged_in.post(f"/account/sessions/{theirs}/end").status_code == 302
    assert other.client.get("/users/").status_code == 302
    assert logged_in.client.get("/users/").status_code == 200


def age_sessions(app, **shift: timedelta) -> None:
    """Move every session's created_at and/or last_seen_at back by the given amounts."""
    with app.app_context():
        for row in db.session.scalars(sa.select(AdminSession)):
            for name, delta in shift.items():
                setattr(row, name, getattr(row, name) - delta)
        db.session.commit()


def test_an_idle_session_ends(app, logged_in):
    idle = timedelta(minutes=app.config["AUTOCHARGE_SESSION_IDLE_MINUTES"], seconds=1)
    age_sessions(app, last_seen_at=idle)
    assert logged_in.client.get("/users/").status_code == 302


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, logged_in):
    lifetime = timedelta(hours=app.config["AUTOCHARGE_SESSION_MAX_HOURS"], seconds=1)
    age_sessions(app, created_at=lifetime)
    assert logged_in.client.get("/users/").status_code == 302


def test_requests_keep_a_session_alive(app, logged_in):
    age_sessions(app, last_seen_at=timedelta(minutes=5))
    assert logged_in.client.get("/users/").status_code == 200
    with app.app_context():
        seen = db.session.scalar(sa.select(AdminSession.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)


def test_a_forged_cookie_with_an_admin_id_but_no_session_opens_nothing(app, admin):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin)
        session["_fresh"] = True
    assert client.get("/users/").status_code == 302


def test_sign_ins_and_failures_are_audited(app, auth):
    auth.login(password="not the password")
    auth.login()
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
        failed = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "admin.sign_in_failed"))
        assert failed.detail == ADMIN_EMAIL and "not the password" not in (failed.detail or "")
    assert actions[-2:] == ["admin.sign_in_failed", "admin.signed_in"]
