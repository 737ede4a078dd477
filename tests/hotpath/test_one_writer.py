"""The one-writer rule: inside one db.writing(), no ORM write after a hot-path write (autocharge/hotpath/runner.py)."""

import pytest
import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.hotpath import chargers as hot
from autocharge.hotpath import transactions as hot_transactions
from autocharge.hotpath.runner import OneWriterViolation
from autocharge.models import Charger
from autocharge.services import chargers


@pytest.fixture
def charger(app) -> int:
    """Return the id of a charger, the session closed."""
    charger_id = chargers.add_charger("CP-1").id
    db.session.remove()
    return charger_id


def test_the_check_is_on_in_tests(app):
    assert app.config["AUTOCHARGE_CHECK_ONE_WRITER"] is True


def test_an_orm_change_after_a_hot_write_is_refused(charger):
    with pytest.raises(OneWriterViolation), writing() as session:
        hot.connected(charger, "socket-1", "1.6", utcnow())
        session.get(Charger, charger).vendor = "Changed"
    assert db.session.get(Charger, charger).vendor is None


def test_an_orm_statement_after_a_hot_write_is_refused(charger):
    with pytest.raises(OneWriterViolation), writing() as session:
        hot.connected(charger, "socket-1", "1.6", utcnow())
        session.execute(sa.update(Charger).where(Charger.id == charger).values(vendor="Changed"))


def test_an_orm_insert_after_a_hot_write_is_refused(charger):
    with pytest.raises(OneWriterViolation), writing() as session:
        hot.heartbeat_seen({charger: utcnow()})
        session.add(Charger(charge_box_id="CP-2"))


def test_orm_writes_before_hot_writes_are_one_transaction(charger):
    with writing() as session:
        session.get(Charger, charger).vendor = "First"
        hot.connected(charger, "socket-1", "1.6", utcnow())
    db.session.remove()
    stored = db.session.get(Charger, charger)
    assert (stored.vendor, stored.online) == ("First", True)


def test_hot_reads_do_not_count(charger):
    with writing() as session:
        hot_transactions.find_by_key(charger, "nothing")
        session.get(Charger, charger).vendor = "Changed"
    assert db.session.get(Charger, charger).vendor == "Changed"


def test_the_next_writing_starts_afresh(charger):
    with writing():
        hot.connected(charger, "socket-1", "1.6", utcnow())
    with writing() as session:
        session.get(Charger, charger).vendor = "Later"
    assert db.session.get(Charger, charger).vendor == "Later"


def test_a_refused_write_does_not_stick_to_the_next(charger):
    with pytest.raises(OneWriterViolation), writing() as session:
        hot.connected(charger, "socket-1", "1.6", utcnow())
        session.get(Charger, charger).vendor = "Refused"
    db.session.remove()
    with writing() as session:
        session.get(Charger, charger).vendor = "Later"
    assert db.session.get(Charger, charger).vendor == "Later"


def test_a_hot_write_stays_on_its_connection_after_the_session_reads(charger):
    with writing() as session:
        tx_id = hot_transactions.insert_transaction({"charger_id": charger, "dedupe_key": "k", "start_time": utcnow()})
        session.get(Charger, charger)  # the session begins its own transaction (on SQLite another connection)
        assert hot_transactions.find_by_id(charger, tx_id) is not None  # the hot path still sees its write
