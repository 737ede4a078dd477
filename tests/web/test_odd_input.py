"""Odd input never gives a 500: out-of-range ids and dates, NUL bytes, line breaks in redirect targets (both databases)."""

import pytest

from autocharge.services import chargers, users, vehicles

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD

HUGE = "1" * 20


@pytest.fixture
def things(app) -> dict:
    """Return ids of a charger, a user and the user's vehicle."""
    with app.app_context():
        charger = chargers.add_charger("CP-ODD").id
        user = users.add_user("Odd Person", "odd@example.com").id
        vehicle = vehicles.add_vehicle(user, "OD 1").id
    return {"charger": charger, "user": user, "vehicle": vehicle}


CHOOSE, RANGE = "must be chosen from the list", "is out of range"


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        (f"/transactions/?charger={HUGE}", 200, CHOOSE),  # the table page shows why it shows nothing
        ("/transactions/?charger=99999999999", 200, CHOOSE),
        (f"/transactions/?user={HUGE}", 200, CHOOSE),
        ("/transactions/?user=²", 200, CHOOSE),
        ("/transactions/?to=9999-12-31", 200, RANGE),
        ("/transactions/?from=9999-12-31", 200, RANGE),
        (f"/transactions/export.csv?charger={HUGE}", 400, CHOOSE),  # an export refuses outright
        ("/transactions/export.csv?to=9999-12-31", 400, RANGE),
        ("/transactions/?q=%00", 200, ""),
        ("/transactions/export.csv?q=a%00b", 200, ""),
        ("/users/?q=%00", 200, ""),
        ("/users/export.csv?q=a%00b", 200, ""),
        ("/chargers/?q=%00", 200, ""),
        ("/chargers/{charger}?user_q=a%00b", 200, ""),
        ("/chargers/{charger}/start-users?user_q=%00", 200, ""),
        ("/users/{user}/vehicles/{vehicle}/pair?q=%00", 200, ""),
        ("/unknown-identifiers/?page=" + HUGE, 200, ""),
    ],
)
def test_odd_query_values_are_answered_not_crashed_on(logged_in, things, url, status, says):
    htmx_only = {"HX-Request": "true"} if "start-users" in url else {}  # the picker's partial, as htmx asks
    response = logged_in.client.get(url.format(**things), headers=htmx_only)
    assert response.status_code == status
    assert says in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Ann\x00Lee"), ("name", "Ann\nLee"), ("email", "ann\x00@example.com")],
)
def test_control_characters_in_a_users_name_or_email_are_refused_next_to_the_field(logged_in, field, value):
    form = {"name": "Ann Lee", "email": "ann@example.com", field: value}
    response = logged_in.post("/users/new", form)
    assert response.status_code == 422
    assert f'id="f-{field}-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/users/\r\nSet-Cookie: x=1", "/users/\x00", "/users/\nX"])
def test_a_line_break_in_next_sends_the_admin_home_instead(auth, target):
    response = auth.client.post(
        "/login",
        query_string={"next": target},
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": auth.token()},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
