"""Authorization of RFID tags and back-office start tokens (SPEC §4); vehicle identifiers: test_authorization.py."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import RemoteStart, UnknownIdentifier
from autocharge.services import authorization, chargers, users


@pytest.fixture
def charger(app) -> int:
    """Return the id of a charger."""
    return chargers.add_charger("CP-1").id


@pytest.fixture
def driver(app) -> int:
    """Return the id of an active user with RFID tag TAG1."""
    user = users.add_user("Jane Doe", "jane@example.com")
    users.add_tag(user.id, "TAG1")
    return user.id


def remote_start(charger_id: int, user_id: int, token: str = "APP00112233AABB", minutes: int = 5) -> int:
    """Store a back-office start's one-time token; return its id."""
    with writing() as session:
        row = RemoteStart(
            charger_id=charger_id, user_id=user_id, id_token=token, expires_at=utcnow() + timedelta(minutes=minutes)
        )
        session.add(row)
    return row.id


def unknown() -> list[tuple[str, str, int]]:
    """Return the recorded unknown identifiers as (kind, value, attempts)."""
    rows = db.session.scalars(sa.select(UnknownIdentifier).order_by(UnknownIdentifier.id))
    return [(u.kind, u.value, u.attempts) for u in rows]


@pytest.mark.parametrize("token", ["TAG1", "tag1", " TAG1 "])
def test_rfid_of_an_active_user_is_accepted(charger, driver, token):
    result = authorization.authorize(charger, token)
    assert (result.status, result.origin, result.user_id, result.vehicle_id) == ("Accepted", "rfid", driver, None)


def test_rfid_of_a_blocked_user_is_blocked(charger, driver):
    users.set_status(driver, "blocked")
    assert authorization.authorize(charger, "TAG1").status == "Blocked"


def test_unknown_rfid_is_invalid_and_recorded(charger):
    assert authorization.authorize(charger, "nobody").status == "Invalid"
    assert authorization.authorize(charger, "NOBODY", "ISO14443").status == "Invalid"
    assert unknown() == [("rfid", "NOBODY", 2)]


def test_remote_start_token_is_app_for_its_user(charger, driver):
    remote_id = remote_start(charger, driver)
    for token_type in (None, "Central"):
        result = authorization.authorize(charger, "APP00112233AABB", token_type)
        assert (result.status, result.origin, result.user_id, result.remote_start_id) == (
            "Accepted",
            "app",
            driver,
            remote_id,
        )


@pytest.mark.parametrize(
    ("where", "minutes"), [("another charger", 5), ("this charger", -1)], ids=["other charger", "expired"]
)
def test_remote_start_token_only_on_its_charger_before_it_expires(charger, driver, where, minutes):
    owner = chargers.add_charger("CP-2").id if where == "another charger" else charger
    remote_start(owner, driver, minutes=minutes)
    assert authorization.authorize(charger, "APP00112233AABB").status == "Invalid"


def test_remote_start_for_a_user_blocked_since_is_blocked(charger, driver):
    remote_start(charger, driver)
    users.set_status(driver, "blocked")
    assert authorization.authorize(charger, "APP00112233AABB").status == "Blocked"


def test_free_vend_needs_no_decision(charger):
    result = authorization.authorize(charger, "", "NoAuthorization")
    assert (result.status, result.user_id) == ("Accepted", None)
    assert unknown() == []
