"""The Audit screen: what is recorded, filters, paging, the export; and the security headers on every answer."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from autocharge.db import utcnow
from autocharge.extensions import db
from autocharge.models import AuditEvent
from autocharge.services import admins, chargers, users

from .conftest import ADMIN_PASSWORD, AuthActions


def rows_of(page: str) -> int:
    """Return how many events a rendered audit page lists."""
    return page.count('<tr id="event-')


def table_of(page: str) -> str:
    """Return the rows of a rendered audit page (the filter form above lists every action's name)."""
    return page[page.index('<table class="data" id="audit">') :]


def test_the_screen_shows_sign_ins_and_changes_in_words(logged_in):
    logged_in.post("/users/new", {"name": "Ada Driver", "email": "ada@example.com"})
    page = table_of(logged_in.client.get("/audit/").get_data(as_text=True))
    assert "Signed in" in page and "User added" in page and "Ada Driver" in page
    assert "admin@example.com" in page


def test_filters_by_actor_action_subject_and_date(app, logged_in):
    with app.app_context():
        charger_id = chargers.add_charger("CP-AUD").id  # no admin: the system added it
        user_id = users.add_user("Bo", "bo@example.com", admin_id=1).id
        users.add_tag(user_id, "04AABBCCDD", admin_id=1)
    get = logged_in.client.get
    by_system = table_of(get("/audit/?actor=system").get_data(as_text=True))
    assert "Charger added" in by_system and "User added" not in by_system
    by_admin = table_of(get("/audit/?actor=admin@").get_data(as_text=True))
    assert "User added" in by_admin and "Charger added" not in by_admin
    tags = table_of(get("/audit/?action=user.tag_added").get_data(as_text=True))
    assert rows_of(tags) == 1 and "04••••DD" in tags and "04AABBCCDD" not in tags  # tags are masked
    about = get(f"/audit/?type=charger&subject={charger_id}").get_data(as_text=True)
    assert rows_of(about) == 1 and "CP-AUD" in about
    today = utcnow().date()
    assert rows_of(get(f"/audit/?from={today}&to={today}").get_data(as_text=True)) >= 3
    assert rows_of(get(f"/audit/?to={today - timedelta(days=1)}").get_data(as_text=True)) == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("action=drop.tables", "Choose the action from the list"),
        ("type=spaceship", "Choose the subject type from the list"),
        ("subject=3", "Choose what kind of record"),
        ("subject=" + "9" * 20, "must be chosen from the list"),
        ("from=2026-13-01", "is not a date"),
        ("to=9999-12-31", "out of range"),
        ("from=2026-02-01&to=2026-01-01", "is after the To date"),
    ],
)
def test_bad_filters_are_explained_and_refused_by_the_export(logged_in, query, message):
    page = logged_in.client.get(f"/audit/?{query}")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    export = logged_in.client.get(f"/audit/export.csv?{query}")
    assert export.status_code == 400 and message in export.get_data(as_text=True)


def test_pages_newest_first(app, logged_in):
    with app.app_context():
        for n in range(7):
            chargers.add_charger(f"CP-{n}")
    first = logged_in.client.get("/audit/?action=charger.added&per_page=5").get_data(as_text=True)
    second = logged_in.client.get("/audit/?action=charger.added&per_page=5&page=2").get_data(as_text=True)
    assert rows_of(first) == 5 and rows_of(second) == 2
    assert first.index("CP-6") < first.index("CP-2") and "CP-0" in second
    assert "1–5 of 7 events" in first


def test_the_export_is_filtered_and_safe_to_open(app, logged_in):
    logged_in.post("/users/new", {"name": '=HYPERLINK("http://evil.example","x")', "email": "evil@example.com"})
    with app.app_context():
        db.session.add(
            AuditEvent(action="user.updated", subject_type="user", subject_id=1, detail="+cmd|' /C calc'!A0")
        )
        db.session.commit()
    response = logged_in.client.get("/audit/export.csv?action=user.updated")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["at_utc", "actor", "action", "subject_type", "subject_id", "detail"]
    assert len(rows) == 2 and rows[1][2] == "User edited" and rows[1][5].startswith("'+cmd")


def test_operators_and_viewers_cannot_read_the_trail(app, admin):
    with app.app_context():
        admins.create_admin("ops@example.com", ADMIN_PASSWORD, "operator")
    ops = AuthActions(app.test_client())
    ops.login("ops@example.com")
    assert ops.client.get("/audit/").status_code == 403
    assert ops.client.get("/audit/export.csv").status_code == 403


def test_remote_commands_to_an_offline_charger_are_recorded_with_their_outcome(app, logged_in):
    with app.app_context():
        charger_id = chargers.add_charger("CP-OFF").id
    logged_in.post(f"/chargers/{charger_id}/clear-cache")
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.subject_id == charger_id).order_by(AuditEvent.id)
        ).all()
    assert actions[-2:] == ["command.clear_cache", "command.offline"]


@pytest.mark.parametrize("path", ["/login", "/users/", "/static/app.css", "/nowhere"])
def test_every_answer_carries_the_security_headers(logged_in, path):
    response = logged_in.client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    response.close()  # a static file is streamed from an open file


def test_no_page_has_inline_script_or_style(logged_in):
    for path in ("/users/", "/transactions/", "/chargers/", "/unknown-identifiers/", "/admins/", "/audit/", "/account"):
        page = logged_in.client.get(path).get_data(as_text=True)
        assert "<script>" not in page and ' style="' not in page and "hx-on" not in page, path


@pytest.mark.parametrize(("setting", "expected"), [("Strict", "SameSite=Strict"), ("lax", "SameSite=Lax")])
def test_same_site_comes_from_the_environment(database_url, monkeypatch, setting, expected):
    from conftest import app_from_environment

    app = app_from_environment(monkeypatch, database_url, AUTOCHARGE_COOKIE_SAMESITE=setting)
    response = app.test_client().get("/login")
    assert expected in response.headers["Set-Cookie"]
    with app.app_context():
        db.engine.dispose()
