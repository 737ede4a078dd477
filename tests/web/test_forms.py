"""Forms: a service's refusal lands next to the field it names (else above the form), with what was typed kept."""

import re
from datetime import timedelta

import pytest
from markupsafe import escape

from autocharge.db import utcnow, writing
from autocharge.models import Transaction, UnknownIdentifier
from autocharge.services import (
    ServiceError,
    admins,
    chargers,
    commands,
    pairing,
    session_ends,
    unknown,
    users,
    vehicles,
)

PLANTED = "Planted refusal <b>&</b>."  # escaped where it is shown
ABOVE = re.compile(r'<div class="flash flash-error" role="alert"[^>]*>' + re.escape(str(escape(PLANTED))) + "</div>")


@pytest.fixture
def things(app) -> dict:
    """Return ids of a user with a vehicle, a charger with an active session, and a refused vehicle identifier."""
    with app.app_context():
        user = users.add_user("Form Person", "form@example.com").id
        vehicle = vehicles.add_vehicle(user, "FO 1").id
        charger = chargers.add_charger("CP-FORM").id
        with writing() as session:
            tx = Transaction(charger_id=charger, connector_id=1, dedupe_key="form", start_time=utcnow() - timedelta(1))
            row = UnknownIdentifier(kind="vehicle", value="0A1B2C3D4E5F", raw="VID:0A1B2C3D4E5F", charger_id=charger)
            card = UnknownIdentifier(kind="rfid", value="NOSUCHCARD", raw="NOSUCHCARD", charger_id=charger)
            session.add_all([tx, row, card])
        return {"user": user, "vehicle": vehicle, "charger": charger, "tx": tx.id, "unknown": row.id, "card": card.id}


# (url, service module, function, fields of the form that show their own error, what the form sends)
FORMS = {
    "users.new": ("/users/new", users, "add_user", ("name", "email"), {"name": "Ann", "email": "ann@example.com"}),
    "users.edit": ("/users/{user}/edit", users, "update_user", ("name", "email"), {"name": "Ann", "email": "a@b.c"}),
    "users.add_tag": ("/users/{user}/tags", users, "add_tag", ("tag",), {"tag": "CARD42"}),
    "admins.add": ("/admins/add", admins, "create_admin", ("email", "password"), {"email": "x@y.z", "password": "pw"}),
    "account.password": (
        "/account/password",
        admins,
        "change_own_password",
        ("current_password", "new_password", "repeat_password"),
        {"current_password": "a", "new_password": "b", "repeat_password": "c"},
    ),
    "chargers.new": (
        "/chargers/new",
        chargers,
        "add_charger",
        ("charge_box_id", "password"),
        {"charge_box_id": "CP-9"},
    ),
    "chargers.password": (
        "/chargers/{charger}/password",
        chargers,
        "set_password",
        ("password",),
        {"action": "generate"},
    ),
    "vehicles.new": ("/users/{user}/vehicles/new", vehicles, "add_vehicle", ("plate",), {"plate": "NE 1"}),
    "vehicles.edit": (
        "/users/{user}/vehicles/{vehicle}/edit",
        vehicles,
        "rename_vehicle",
        ("plate",),
        {"plate": "ED 1"},
    ),
    "unknown.pair": (
        "/unknown-identifiers/{unknown}/pair",
        unknown,
        "pair_directly",
        ("plate",),
        {"user_id": "{user}", "plate": "UN 1"},
    ),
    "transactions.end": ("/transactions/{tx}/end", session_ends, "end_by_hand", ("reason",), {"reason": "stuck"}),
    "auth.login": ("/login", admins, "authenticate", ("email",), {"email": "nobody@example.com", "password": "x"}),
}
CASES = [(form, field) for form, (*_, fields, _) in FORMS.items() for field in fields]


def _post(client, form: str, field: str | None, monkeypatch, things: dict):
    """Post `form` with its service refusing PLANTED about `field`; return the page's HTML."""
    url, module, function, _, data = FORMS[form]

    def refuse(*args, **kwargs):
        raise ServiceError(PLANTED, field=field)

    monkeypatch.setattr(module, function, refuse)
    response = client.post(url.format(**things), {key: value.format(**things) for key, value in data.items()})
    assert response.status_code in (200, 422)  # a refused login is a plain 200, a refused form a 422
    return response.get_data(as_text=True)


def _client(request, form: str):
    """Return AuthActions of a logged-in admin, or of a visitor for the login form."""
    return request.getfixturevalue("auth" if form == "auth.login" else "logged_in")


@pytest.mark.parametrize(("form", "field"), CASES)
def test_a_service_error_lands_next_to_the_field_it_names(request, things, monkeypatch, form, field):
    html = _post(_client(request, form), form, field, monkeypatch, things)
    assert f'<p class="field-error" id="f-{field}-error">{escape(PLANTED)}</p>' in html
    assert not ABOVE.search(html)  # not above the form as well
    typed = FORMS[form][4].get(field, "")
    if typed and "password" not in field:
        assert f'value="{typed.format(**things)}"' in html  # what was typed is shown again


@pytest.mark.parametrize("form", list(FORMS))
def test_a_service_error_naming_no_field_of_the_form_is_said_above_it(request, things, monkeypatch, form):
    html = _post(_client(request, form), form, "no_such_field", monkeypatch, things)
    assert ABOVE.search(html)
    assert 'class="field-error"' not in html


def test_a_role_refused_lands_under_the_role_choice(logged_in, monkeypatch):
    def refuse(*args, **kwargs):
        raise ServiceError(PLANTED, field="role")

    monkeypatch.setattr(admins, "create_admin", refuse)
    html = logged_in.post("/admins/add", {"email": "x@y.z", "role": "viewer"}).get_data(as_text=True)
    select = html.index('<select id="f-role"')
    assert html.index(f'<p class="field-error">{escape(PLANTED)}</p>', select) > select
    assert '<option value="viewer" selected>' in html  # the role chosen is kept


def test_the_auto_charge_choice_keeps_its_error_and_choice(logged_in, monkeypatch):
    def refuse(*args, **kwargs):
        raise ServiceError(PLANTED, field="autocharge")

    monkeypatch.setattr(chargers, "add_charger", refuse)
    html = logged_in.post("/chargers/new", {"charge_box_id": "CP-9", "autocharge": "supported"}).get_data(as_text=True)
    assert f'<p class="field-error">{escape(PLANTED)}</p>' in html
    assert 'value="supported" checked' in html


def _refusing(monkeypatch, module, function: str, field: str) -> None:
    """Make a service function refuse PLANTED about `field`."""

    def refuse(*args, **kwargs):
        raise ServiceError(PLANTED, field=field)

    monkeypatch.setattr(module, function, refuse)


@pytest.mark.parametrize(
    ("url", "module", "function", "field", "data", "where"),
    [
        # One choice per page (a charger from the list, a user): its error sits above that list.
        (
            "/users/{user}/vehicles/{vehicle}/pair",
            pairing,
            "start",
            "charger_id",
            {"charger_id": "{charger}"},
            "pair-error",
        ),
        ("/unknown-identifiers/{card}/assign", unknown, "assign_tag", "tag", {"user_id": "{user}"}, "assign-error"),
        (
            "/unknown-identifiers/{unknown}/pair",
            unknown,
            "pair_directly",
            "vehicle_id",
            {"user_id": "{user}"},
            "pair-error",
        ),
    ],
)
def test_the_error_of_a_choice_from_a_list_is_said_above_the_list(
    logged_in, things, monkeypatch, url, module, function, field, data, where
):
    _refusing(monkeypatch, module, function, field)
    response = logged_in.post(url.format(**things), {key: value.format(**things) for key, value in data.items()})
    assert response.status_code == 422
    assert f'id="{where}">{escape(PLANTED)}</div>' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "function", "field", "data"),
    [
        ("configuration/change", "check_key", "key", {"key": "K", "value": "v"}),
        ("configuration/change", "check_value", "value", {"key": "K", "value": "v"}),
        ("configuration", "check_keys", "keys", {"keys": "A B"}),
        ("trigger", "check_trigger", "message", {"message": "Heartbeat"}),
    ],
)
def test_a_command_form_refused_says_why_in_the_result_area_with_422(
    logged_in, things, monkeypatch, path, function, field, data
):
    _refusing(monkeypatch, commands, function, field)
    response = logged_in.post(f"/chargers/{things['charger']}/{path}", data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert '<div class="flash flash-error command-answer">' in response.get_data(as_text=True)
    assert str(escape(PLANTED)) in response.get_data(as_text=True)
