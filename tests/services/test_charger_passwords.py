"""Charger passwords through scrypt: the hash, the check, legacy SHA-256 hashes upgraded at connect, the cache."""

import hashlib

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import Authorization

from autocharge.db import writing
from autocharge.extensions import db
from autocharge.models import Charger
from autocharge.services import chargers
from autocharge.services.charger_passwords import (
    check_charger_password,
    hash_charger_password,
    needs_upgrade,
    verified_cache,
)

PASSWORD = "a-long-charger-password"


def basic(user: str, password: str) -> Authorization:
    """Return parsed HTTP Basic credentials."""
    return Authorization("basic", {"username": user, "password": password})


def legacy_hash(password: str, salt: str = "0123456789abcdef") -> str:
    """Return the salted SHA-256 the app stored before it used a KDF."""
    return f"sha256${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"


def stored_hash(charger_id: int) -> str:
    """Return the charger's password hash as the database holds it now."""
    db.session.expire_all()
    return db.session.scalar(sa.select(Charger.password_hash).where(Charger.id == charger_id))


def store_hash(charger_id: int, value: str) -> None:
    """Write a password hash straight into the charger's row (as an old version or another process would)."""
    with writing() as session:
        session.execute(sa.update(Charger).where(Charger.id == charger_id).values(password_hash=value))


@pytest.fixture
def charger(app) -> int:
    """Return the id of an accepted charger CP-1 without a password."""
    return chargers.add_charger("CP-1").id


def test_hash_is_scrypt_salted_and_fits_the_column(app):
    first, second = hash_charger_password(PASSWORD), hash_charger_password(PASSWORD)
    assert first.startswith("scrypt$16384$8$1$") and first != second
    assert len(first) <= Charger.__table__.c.password_hash.type.length
    assert not needs_upgrade(first)
    assert check_charger_password(first, PASSWORD) and check_charger_password(second, PASSWORD)


@pytest.mark.parametrize("password", ["a-long-charger-passwore", "", "A-LONG-CHARGER-PASSWORD", PASSWORD + " "])
def test_a_wrong_password_does_not_match(app, password):
    assert not check_charger_password(hash_charger_password(PASSWORD), password)


def test_the_stored_parameters_are_used_so_raising_them_later_keeps_old_hashes_readable(app):
    older = hash_charger_password(PASSWORD, n=2**12, r=8, p=1)
    assert older.startswith("scrypt$4096$8$1$") and needs_upgrade(older)
    assert check_charger_password(older, PASSWORD) and not check_charger_password(older, "x" * 16)


@pytest.mark.parametrize(
    "stored",
    ["", "garbage", "scrypt$", "scrypt$16384$8$1$!!$!!", "scrypt$3$8$1$AAAA$AAAA", "bcrypt$x$y", "sha256$", "sha256$s"],
)
def test_a_malformed_hash_matches_nothing_and_raises_nothing(app, stored):
    assert not check_charger_password(stored, PASSWORD)


def test_legacy_sha256_hash_still_verifies(app):
    old = legacy_hash(PASSWORD)
    assert check_charger_password(old, PASSWORD) and not check_charger_password(old, "wrong-wrong-wrong-wrong")
    assert needs_upgrade(old)


def test_legacy_hash_is_upgraded_to_scrypt_on_the_next_good_connect(charger):
    store_hash(charger, legacy_hash(PASSWORD))
    assert chargers.admit("CP-1", basic("CP-1", PASSWORD)).allowed
    upgraded = stored_hash(charger)
    assert upgraded.startswith("scrypt$16384$8$1$") and check_charger_password(upgraded, PASSWORD)
    verified_cache().entries.clear()  # a fresh process: the new hash alone must admit it
    assert chargers.admit("CP-1", basic("CP-1", PASSWORD)).allowed
    assert stored_hash(charger) == upgraded  # upgraded once


def test_a_wrong_password_on_a_legacy_hash_is_refused_and_upgrades_nothing(charger):
    old = legacy_hash(PASSWORD)
    store_hash(charger, old)
    decision = chargers.admit("CP-1", basic("CP-1", "wrong-wrong-wrong-wrong"))
    assert (decision.allowed, decision.status) == (False, 401)
    assert stored_hash(charger) == old


def test_a_password_changed_during_the_upgrade_is_kept(charger):
    store_hash(charger, legacy_hash(PASSWORD))
    newer = hash_charger_password("another-charger-password")
    store_hash(charger, newer)  # an admin set a new one while the old one was being checked
    assert chargers._rehash(charger, legacy_hash(PASSWORD), PASSWORD) == legacy_hash(PASSWORD)
    assert stored_hash(charger) == newer


def test_a_verified_password_is_remembered_bound_to_the_stored_hash(charger):
    chargers.set_password(charger, PASSWORD)
    assert chargers.admit("CP-1", basic("CP-1", PASSWORD)).allowed
    cache = verified_cache()
    assert cache.hit("CP-1", stored_hash(charger), PASSWORD)
    assert not cache.hit("CP-1", stored_hash(charger), "wrong-wrong-wrong-wrong")
    assert PASSWORD.encode() not in cache.entries["CP-1"]  # an HMAC under a per-process key, not the password


def test_a_password_change_anywhere_makes_the_remembered_one_useless(charger):
    chargers.set_password(charger, PASSWORD)
    assert chargers.admit("CP-1", basic("CP-1", PASSWORD)).allowed
    store_hash(charger, hash_charger_password("another-charger-password"))  # as another process would
    assert chargers.admit("CP-1", basic("CP-1", PASSWORD)).status == 401
    assert chargers.admit("CP-1", basic("CP-1", "another-charger-password")).allowed


def test_set_password_stores_scrypt(charger):
    password = chargers.set_password(charger, "")
    assert stored_hash(charger).startswith("scrypt$") and chargers.admit("CP-1", basic("CP-1", password)).allowed
