"""The Admins screen: adding admins, roles, disabling, resetting passwords; there is always an admin left."""

import re

import pytest
import sqlalchemy as sa

from autocharge.extensions import db
from autocharge.models import Admin
from autocharge.services import ServiceError, admins

from .conftest import ADMIN_PASSWORD, AuthActions


def admin_row(app, email: str) -> Admin:
    """Return the admin with this email, read afresh."""
    with app.app_context():
        row = db.session.scalar(sa.select(Admin).where(Admin.email == email))
        db.session.expunge(row)
        return row


def test_adding_an_admin_without_a_password_shows_a_generated_one_once(app, logged_in):
    response = logged_in.post("/admins/add", {"email": "New@Example.com", "role": "viewer", "password": ""})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    password = re.search(r'id="one-time-password">([^<]+)<', page).group(1)
    assert admin_row(app, "new@example.com").role == "viewer"
    newcomer = AuthActions(app.test_client())
    assert newcomer.login("new@example.com", password).status_code == 302
    assert password not in logged_in.client.get("/admins/").get_data(as_text=True)  # once only


def test_adding_an_admin_with_bad_fields_says_which(logged_in):
    taken = logged_in.post("/admins/add", {"email": "admin@example.com", "role": "viewer", "password": "long enough"})
    assert taken.status_code == 422 and "already exists" in taken.get_data(as_text=True)
    short = logged_in.post("/admins/add", {"email": "x@example.com", "role": "viewer", "password": "short"})
    assert short.status_code == 422 and "at least 8" in short.get_data(as_text=True)
    role = logged_in.post("/admins/add", {"email": "y@example.com", "role": "emperor", "password": "long enough"})
    assert role.status_code == 422 and "not a role" in role.get_data(as_text=True)


def test_changing_a_role_takes_effect_on_the_next_request(app, logged_in):
    with app.app_context():
        other_id = admins.create_admin("ops@example.com", ADMIN_PASSWORD, "operator").id
    other = AuthActions(app.test_client())
    other.login("ops@example.com")
    assert other.client.get("/users/new").status_code == 200
    assert logged_in.post(f"/admins/{other_id}/role", {"role": "viewer"}).status_code == 302
    assert other.client.get("/users/new").status_code == 403
    assert other.client.get("/users/").status_code == 200


def test_the_last_admin_cannot_be_demoted_or_disabled(app, logged_in, admin):
    with app.app_context():
        second = admins.create_admin("second@example.com", ADMIN_PASSWORD, "admin").id
    assert logged_in.post(f"/admins/{second}/role", {"role": "viewer"}).status_code == 302
    # Only the logged-in admin keeps the admin role: nobody may take it from them (here: the command line's None).
    with app.app_context(), pytest.raises(ServiceError, match="last active admin"):
        admins.set_role(admin, "viewer", admin_id=None)
    own = logged_in.post(f"/admins/{admin}/disable", {"confirmed": "yes"}, follow_redirects=True)
    assert "cannot disable your own account" in own.get_data(as_text=True)


def test_resetting_a_password_shows_it_once_and_signs_the_admin_out(app, logged_in):
    with app.app_context():
        other_id = admins.create_admin("ops@example.com", ADMIN_PASSWORD, "operator").id
    other = AuthActions(app.test_client())
    other.login("ops@example.com")
    response = logged_in.post(f"/admins/{other_id}/password")
    assert response.status_code == 200
    password = re.search(r'id="one-time-password">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert other.client.get("/users/").status_code == 302
    assert other.login("ops@example.com", ADMIN_PASSWORD).status_code == 200  # the old one is refused
    assert other.login("ops@example.com", password).status_code == 302


def test_create_admin_on_the_command_line_takes_a_role(app):
    with app.app_context():
        runner = app.test_cli_runner()
        result = runner.invoke(args=["create-admin", "v@example.com", "--password", "long enough", "--role", "viewer"])
        assert result.exit_code == 0, result.output
        assert "viewer" in result.output
        refused = runner.invoke(args=["create-admin", "w@example.com", "--password", "long enough", "--role", "boss"])
        assert refused.exit_code != 0 and "boss" in refused.output
    assert admin_row(app, "v@example.com").role == "viewer"


def test_only_admins_see_the_admins_and_audit_entries(app, logged_in):
    nav = logged_in.client.get("/users/").get_data(as_text=True)
    assert 'href="/admins/"' in nav and 'href="/audit/"' in nav and 'href="/account"' in nav
    with app.app_context():
        admins.create_admin("ops@example.com", ADMIN_PASSWORD, "operator")
    other = AuthActions(app.test_client())
    other.login("ops@example.com")
    page = other.client.get("/users/").get_data(as_text=True)
    assert 'href="/admins/"' not in page and 'href="/audit/"' not in page and 'href="/account"' in page
