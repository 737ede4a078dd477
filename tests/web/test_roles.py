"""Every back-office route and method, for every role: the table below is the policy, the app must follow it."""

import pytest
from flask import url_for

from autocharge.models.admin import ROLES
from autocharge.services import admins, chargers, users, vehicles

from .conftest import ADMIN_PASSWORD, AuthActions

# The least role each screen endpoint needs, for every method it answers. "public" needs no login.
LEAST_ROLE = {
    "auth.login": "public",
    "site.home": "viewer",
    "chargers.index": "viewer",
    "chargers.detail": "viewer",
    "chargers.new": "operator",
    "chargers.start_users": "operator",
    "chargers.registration": "operator",
    "chargers.autocharge": "operator",
    "chargers.password": "operator",
    "charger_commands.start": "operator",
    "charger_commands.stop": "operator",
    "charger_commands.clear_cache": "operator",
    "charger_commands.reset": "operator",
    "charger_commands.unlock": "operator",
    "charger_commands.trigger": "operator",
    "charger_commands.get_configuration": "operator",
    "charger_commands.change_configuration": "operator",
    "charger_commands.get_variables": "operator",
    "charger_commands.set_variable": "operator",
    "charger_commands.base_report": "operator",
    "charger_panels.events": "viewer",
    "charger_panels.device": "viewer",
    "local_lists.panel": "viewer",
    "local_lists.setting": "operator",
    "local_lists.resync": "operator",
    "users.index": "viewer",
    "users.columns": "viewer",  # the admin's own column choice, not data
    "users.export": "operator",  # names and emails: personal data
    "users.new": "operator",
    "users.edit": "operator",
    "users.status": "operator",
    "users.add_tag": "operator",
    "users.remove_tag": "operator",
    "vehicles.index": "viewer",
    "vehicles.new": "operator",
    "vehicles.edit": "operator",
    "vehicles.retire": "operator",
    "pairing.choose": "operator",
    "pairing.panel": "operator",  # shows the identifier once paired
    "pairing.status": "operator",
    "pairing.cancel": "operator",
    "pairing.retry": "operator",
    "transactions.index": "viewer",
    "transactions.columns": "viewer",
    "transactions.detail": "viewer",
    "transactions.live": "viewer",
    "transactions.export": "operator",
    "transactions.reveal_token": "operator",
    "transactions.end": "operator",
    "unknown.index": "viewer",
    "unknown.reveal": "operator",
    "unknown.pair": "operator",
    "unknown.assign": "operator",
    "admins.index": "admin",
    "admins.add": "admin",
    "admins.role": "admin",
    "admins.disable": "admin",
    "admins.enable": "admin",
    "admins.reset_password": "admin",
    "audit.index": "admin",
    "audit.export": "admin",
    "account.index": "viewer",  # every admin's own password and sessions
    "account.password": "viewer",
    "account.end_session": "viewer",  # refuses this browser's own session, so the loop stays signed in
    "account.end_all": "viewer",  # next to last: it signs this browser out too
    "auth.logout": "viewer",  # last: it ends the session the loop runs in
}
NOT_SCREENS = {"static", "ocpp.endpoint", "health.healthz", "health.readyz", "metrics.scrape"}
RANK = {role: rank for rank, role in enumerate(ROLES)}


def screen_routes(app) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, rule) for every screen route, in LEAST_ROLE's order (logout last)."""
    order = {endpoint: n for n, endpoint in enumerate(LEAST_ROLE)}
    routes = [
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in NOT_SCREENS
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    return sorted(routes, key=lambda route: (order.get(route[0], -1), route[1]))


def test_the_table_names_every_screen_route(app):
    unlisted = {endpoint for endpoint, _, _ in screen_routes(app)} - set(LEAST_ROLE)
    assert not unlisted, f"add these endpoints to LEAST_ROLE with their least role: {sorted(unlisted)}"


@pytest.fixture
def ids(app) -> dict:
    """Create one of each record the routes name; return their ids by URL argument."""
    with app.app_context():
        user = users.add_user("Role Person", "role@example.com")
        return {
            "charger_id": chargers.add_charger("CP-ROLE").id,
            "user_id": user.id,
            "vehicle_id": vehicles.add_vehicle(user.id, "RO 1").id,
            "tag_id": users.add_tag(user.id, "AABBCCDD").id,
        }


def url_of(app, endpoint: str, ids: dict) -> str:
    """Build the endpoint's URL with the fixture's ids (1 for records the fixture does not make)."""
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    with app.test_request_context():
        return url_for(endpoint, **{name: ids.get(name, 1) for name in rule.arguments})


def answer(auth: AuthActions, method: str, url: str):
    """Send one request as a browser on that page would (forms carry the CSRF token)."""
    if method == "GET":
        return auth.client.get(url)
    return auth.post(url)


def refused_to_anonymous(response) -> bool:
    """Tell whether the answer sends an anonymous visitor to the login page."""
    return response.status_code in (302, 401) and "/login" in response.headers.get(
        "Location", response.headers.get("HX-Redirect", "")
    )


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_routes_the_table_gives_it(app, client, ids, role):
    with app.app_context():
        admins.create_admin(f"{role}@example.com", ADMIN_PASSWORD, role=role)
    auth = AuthActions(client)
    assert auth.login(f"{role}@example.com").status_code == 302
    wrong = []
    for endpoint, method, _ in screen_routes(app):
        least = LEAST_ROLE[endpoint]
        allowed = least == "public" or RANK[role] >= RANK[least]
        response = answer(auth, method, url_of(app, endpoint, ids))
        signs_out = endpoint in ("auth.logout", "account.end_all")  # both answer with the login page
        refused = response.status_code == 403 or (refused_to_anonymous(response) and not signs_out)
        if refused == allowed or response.status_code >= 500:
            wrong.append(f"{method} {endpoint} as {role}: {response.status_code}")
    assert not wrong


def test_anonymous_visitors_reach_only_public_routes(app, client, ids):
    wrong = []
    for endpoint, method, _ in screen_routes(app):
        response = answer(AuthActions(client), method, url_of(app, endpoint, ids))
        public = LEAST_ROLE[endpoint] == "public"
        if refused_to_anonymous(response) == public or response.status_code >= 500:
            wrong.append(f"{method} {endpoint}: {response.status_code}")
    assert not wrong


def test_a_view_that_declares_no_role_is_refused(app, client, admin):
    # A screen added without @allow must fail closed, whoever asks.
    app.view_functions["users.index"] = app.view_functions["users.index"].__wrapped__
    auth = AuthActions(client)
    auth.login()
    assert client.get("/users/").status_code == 403


@pytest.fixture
def viewer(app, client, ids) -> AuthActions:
    """Log in a viewer; give the fixture's vehicle an identifier (as pairing would)."""
    from autocharge.extensions import db
    from autocharge.models import Vehicle

    with app.app_context():
        admins.create_admin("viewer@example.com", ADMIN_PASSWORD, role="viewer")
        db.session.get(Vehicle, ids["vehicle_id"]).identifier = "0A1B2C3D4E5F"
        db.session.commit()
    auth = AuthActions(client)
    assert auth.login("viewer@example.com").status_code == 302
    return auth


@pytest.mark.parametrize(
    ("url", "hidden", "shown"),
    [
        ("/users/", ["Add user", "Export CSV", "AABBCCDD", "/edit", ">Block<"], ["Role Person", "AA••••DD"]),
        (
            "/users/{user_id}/vehicles/",
            ["Add Vehicle", "0A:1B:2C:3D:4E:5F", "Retire", "Edit plate"],
            ["0A:1B:••:••:••:5F"],
        ),
        ("/chargers/{charger_id}", ["Commands", "Set password", ">Accept<"], ["CP-ROLE", "OCPP password"]),
        ("/chargers/", ["Add charger"], ["CP-ROLE"]),
    ],
)
def test_a_viewer_reads_without_controls_and_without_personal_identifiers(viewer, ids, url, hidden, shown):
    page = viewer.client.get(url.format(**ids)).get_data(as_text=True)
    assert all(text in page for text in shown)
    assert not [text for text in hidden if text in page]
