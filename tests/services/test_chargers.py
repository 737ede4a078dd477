"""Chargers: admission of a connecting charger, passwords, and the state chargers report (SPEC §6)."""

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import Authorization

from autocharge.extensions import db
from autocharge.models import Charger, Connector
from autocharge.services import ServiceError, charger_state, chargers
from autocharge.services.backoff import Backoff

PASSWORD = "a-long-charger-password"


def basic(user: str, password: str) -> Authorization:
    """Return parsed HTTP Basic credentials."""
    return Authorization("basic", {"username": user, "password": password})


@pytest.fixture
def charger(app) -> int:
    """Return the id of an accepted charger without a password."""
    return chargers.add_charger("CP-1").id


def test_unknown_charger_is_refused(app):
    decision = chargers.admit("CP-9", None)
    assert (decision.allowed, decision.status) == (False, 404)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Charger)) == 0


def test_unknown_charger_is_registered_pending_when_the_operator_allows(app):
    app.config["AUTOCHARGE_ACCEPT_UNKNOWN_CHARGERS"] = True
    decision = chargers.admit("CP-9", None)
    assert decision.allowed
    assert chargers.by_box_id("CP-9").registration == "pending"
    assert chargers.admit("CP-9", None).charger_id == decision.charger_id  # registered once


def test_charger_without_password_needs_no_auth(charger):
    assert chargers.admit("CP-1", None).allowed


@pytest.mark.parametrize(
    "credentials",
    [
        None,
        basic("CP-1", "wrong-wrong-wrong-wrong"),
        basic("CP-2", PASSWORD),
        basic("CP-1", ""),
        Authorization("bearer", token=PASSWORD),
    ],
    ids=["none", "wrong password", "other user", "empty password", "bearer"],
)
def test_charger_with_password_refuses_bad_credentials(charger, credentials):
    chargers.set_password(charger, PASSWORD)
    decision = chargers.admit("CP-1", credentials)
    assert (decision.allowed, decision.status) == (False, 401)


def test_charger_with_password_admits_the_right_one(charger):
    chargers.set_password(charger, PASSWORD)
    assert chargers.admit("CP-1", basic("CP-1", PASSWORD)).charger_id == charger


def test_generated_password_works_and_removal_opens(charger):
    password = chargers.set_password(charger, "")
    assert len(password) == 24 and chargers.admit("CP-1", basic("CP-1", password)).allowed
    assert chargers.set_password(charger, None) is None
    assert chargers.admit("CP-1", None).allowed


@pytest.mark.parametrize("password", ["short", "x" * 41, "has\nnewline-in-it-ok"])
def test_unusable_passwords_are_refused(charger, password):
    with pytest.raises(ServiceError, match="16-40 printable"):
        chargers.set_password(charger, password)


@pytest.mark.parametrize("box", ["", " ", "a/b", "a b", "x" * 49, "a?b", "a#b", "a%b"])
def test_unusable_charge_box_ids_are_refused(app, box):
    with pytest.raises(ServiceError, match="charge box id"):
        chargers.add_charger(box)


def test_duplicate_charge_box_id_is_refused(charger):
    with pytest.raises(ServiceError, match="already exists"):
        chargers.add_charger("CP-1")


def test_password_hash_is_salted(app):
    first, second = chargers.hash_charger_password(PASSWORD), chargers.hash_charger_password(PASSWORD)
    assert first != second
    assert chargers.check_charger_password(first, PASSWORD) and not chargers.check_charger_password(first, "x")
    assert not chargers.check_charger_password("garbage", PASSWORD)


def test_only_the_current_socket_marks_the_charger_offline(charger):
    assert charger_state.connected(charger, "old", "1.6") == "accepted"
    charger_state.connected(charger, "new", "2.0.1")
    assert not charger_state.disconnected(charger, "old")  # the replaced socket closing late
    row = db.session.get(Charger, charger)
    db.session.refresh(row)
    assert (row.online, row.connection_id, row.ocpp_version) == (True, "new", "2.0.1")
    assert charger_state.disconnected(charger, "new")
    db.session.refresh(row)
    assert (row.online, row.connection_id) == (False, None)


def test_boot_stores_details_and_returns_registration(charger):
    chargers.set_registration(charger, "pending")
    assert charger_state.boot(charger, "Acme", "W" * 80, "SN", "1.0", "1.6") == "pending"
    row = db.session.get(Charger, charger)
    db.session.refresh(row)
    assert (row.vendor, len(row.model), row.serial, row.firmware) == ("Acme", 50, "SN", "1.0")
    assert row.last_boot is not None


@pytest.mark.parametrize(("registration", "interval"), [("accepted", 300), ("pending", 60), ("rejected", 60)])
def test_boot_interval(app, registration, interval):
    assert charger_state.boot_interval(registration) == interval


def test_connector_status_is_upserted(charger):
    charger_state.connector_status(charger, 1, "Preparing")
    charger_state.connector_status(charger, 1, "Faulted", "GroundFailure")
    charger_state.connector_status(charger, 2, "Available")
    assert [(c.connector_id, c.status, c.error_code) for c in charger_state.connectors(charger)] == [
        (1, "Faulted", "GroundFailure"),
        (2, "Available", None),
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Connector)) == 2


def test_wrong_passwords_double_the_wait_after_a_few_free_tries():
    backoff = Backoff(base=1.0, free=3)
    assert [backoff.fail("10.0.0.9", longest=60) for _ in range(10)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60]
    assert 59 < backoff.wait("10.0.0.9") <= 60
    backoff.clear("10.0.0.9")
    assert backoff.wait("10.0.0.9") == 0


def test_a_guessing_address_is_slowed_down_but_the_real_charger_still_gets_in(charger):
    chargers.set_password(charger, PASSWORD)
    assert chargers.admit("CP-1", basic("CP-1", PASSWORD), "10.0.0.1").allowed  # the charger's own address
    for _ in range(4):
        assert chargers.admit("CP-1", basic("CP-1", "wrong-wrong-wrong-wrong"), "10.0.0.9").status == 401
    refused = chargers.admit("CP-1", basic("CP-1", PASSWORD), "10.0.0.9")  # even the right password must wait
    assert (refused.allowed, refused.status, refused.retry_after) == (False, 429, 1)
    assert chargers.admit("CP-1", basic("CP-1", PASSWORD), "10.0.0.7").status == 429  # the box id waits too...
    assert chargers.admit("CP-1", basic("CP-1", PASSWORD), "10.0.0.1").allowed  # ...except from its own address


@pytest.mark.parametrize(
    ("cap", "per_minute", "admitted", "reason"),
    [(3, 100, 3, "3 chargers already wait"), (100, 2, 2, "Too many new chargers")],
)
def test_pending_chargers_are_capped_and_rate_limited(app, cap, per_minute, admitted, reason):
    app.config.update(
        AUTOCHARGE_ACCEPT_UNKNOWN_CHARGERS=True,
        AUTOCHARGE_MAX_PENDING_CHARGERS=cap,
        AUTOCHARGE_PENDING_PER_MINUTE=per_minute,
    )
    decisions = [chargers.admit(f"NEW-{n}", None, "10.0.0.9") for n in range(5)]
    assert [d.allowed for d in decisions] == [True] * admitted + [False] * (5 - admitted)
    assert all(d.status == 503 and reason in d.reason and d.retry_after for d in decisions[admitted:])
    assert db.session.scalar(sa.select(sa.func.count()).where(Charger.registration == "pending")) == admitted
