"""Group commit on SQLite (autocharge/hotpath/group.py): the charger frames of one loop turn share one commit."""

import sqlite3
from types import SimpleNamespace

import gevent
import pytest

from autocharge.csms import connection
from autocharge.db import writing
from autocharge.extensions import db
from autocharge.hotpath import runner as hotpath
from autocharge.hotpath import transactions
from autocharge.hotpath.runner import OneWriterViolation
from autocharge.models import Charger
from autocharge.services import charger_state, chargers
from tests.conftest import make_app
from tests.hotpath.conftest import in_frame, status

START_TRANSACTION = '[2,"m-1","StartTransaction",{}]'


@pytest.fixture
def database_url(sqlite_url) -> str:
    """Run these tests on SQLite only (group commit is SQLite's); the root conftest's app uses this URL."""
    return sqlite_url


@pytest.fixture
def charger(app) -> int:
    """Return the id of a charger, the session closed."""
    charger_id = chargers.add_charger("CP-1").id
    db.session.remove()
    return charger_id


@pytest.fixture
def elsewhere(app):
    """Return a connection of its own to the database file: it sees only what is committed."""
    found = sqlite3.connect(db.engine.url.database)
    yield found
    found.close()


def statuses(elsewhere) -> list[tuple[int, str]]:
    """Return the committed connector statuses."""
    return elsewhere.execute("SELECT connector_id, status FROM connector ORDER BY connector_id").fetchall()


def next_loop_turn() -> None:
    """Let the gevent loop run its callbacks once (where the group's commit is scheduled)."""
    gevent.sleep(0)


def test_group_commit_is_on_for_sqlite(app):
    assert app.config["AUTOCHARGE_GROUP_COMMIT"] is True


def test_group_commit_can_be_turned_off(sqlite_url):
    assert make_app(sqlite_url, AUTOCHARGE_GROUP_COMMIT=False).config["AUTOCHARGE_GROUP_COMMIT"] is False


def test_the_frames_of_one_loop_turn_share_one_commit(charger, elsewhere):
    first = in_frame(status(charger, 1))
    second = in_frame(status(charger, 2))
    assert first is second is not None
    assert not first.committed.is_set()
    assert statuses(elsewhere) == []  # nothing is committed, so no answer may go out yet
    next_loop_turn()
    assert first.committed.is_set() and first.error is None
    assert statuses(elsewhere) == [(1, "Available"), (2, "Available")]


def test_the_next_turn_opens_a_new_group(charger, elsewhere):
    first = in_frame(status(charger, 1))
    next_loop_turn()
    second = in_frame(status(charger, 2))
    assert second is not first and not second.committed.is_set()
    next_loop_turn()
    assert statuses(elsewhere) == [(1, "Available"), (2, "Available")]


def test_a_frame_that_fails_rolls_back_alone(charger, elsewhere):
    def fails():
        with writing():
            charger_state.connector_status(charger, 2, "Faulted")
            raise RuntimeError("the handler failed")

    waits_for = in_frame(status(charger, 1))
    with pytest.raises(RuntimeError):
        in_frame(fails)
    in_frame(status(charger, 3))
    next_loop_turn()
    assert waits_for.error is None
    assert statuses(elsewhere) == [(1, "Available"), (3, "Available")]


def test_a_write_outside_the_frames_commits_the_group_first(charger, elsewhere):
    waits_for = in_frame(status(charger, 1))
    with writing() as session:  # the web UI: its ORM write would otherwise wait on SQLite's lock for 5 s and fail
        session.get(Charger, charger).vendor = "Acme"
    assert waits_for.committed.is_set() and waits_for.error is None
    assert statuses(elsewhere) == [(1, "Available")]
    assert elsewhere.execute("SELECT vendor FROM charger").fetchall() == [("Acme",)]


def test_an_orm_write_in_a_frame_commits_the_group_first(charger, elsewhere):
    def orm_write():
        with writing() as session:
            session.get(Charger, charger).vendor = "Acme"

    first = in_frame(status(charger, 1))
    second = in_frame(orm_write)
    assert first.committed.is_set()
    assert second is first  # the frame's block joined the group before it left it: it waits for that commit
    assert statuses(elsewhere) == [(1, "Available")]
    assert elsewhere.execute("SELECT vendor FROM charger").fetchall() == [("Acme",)]


def test_an_orm_write_after_a_hot_write_in_a_frame_is_refused(charger, elsewhere):
    def both():
        with writing() as session:
            charger_state.connector_status(charger, 2, "Faulted")
            session.get(Charger, charger).vendor = "Acme"

    waits_for = in_frame(status(charger, 1))
    with pytest.raises(OneWriterViolation):
        in_frame(both)
    next_loop_turn()
    assert waits_for.error is None
    assert statuses(elsewhere) == [(1, "Available")]
    assert elsewhere.execute("SELECT vendor FROM charger").fetchall() == [(None,)]


def test_a_failed_commit_fails_every_frame_of_the_group(charger, elsewhere):
    def breaks_a_deferred_constraint():
        hotpath.own_connection().dbapi.execute("PRAGMA defer_foreign_keys=ON")  # checked at COMMIT, not before
        charger_state.connector_status(charger + 1000, 1, "Available")  # no such charger

    first = in_frame(status(charger, 1))
    second = in_frame(breaks_a_deferred_constraint)
    assert second is first
    next_loop_turn()
    assert isinstance(first.error, sqlite3.IntegrityError)
    assert statuses(elsewhere) == []  # all or nothing
    answer = connection.once_committed(SimpleNamespace(charge_box_id="CP-1"), first, '[3,"m-1",{}]', START_TRANSACTION)
    assert answer == '[4,"m-1","InternalError","Message could not be processed.",{}]'
    in_frame(status(charger, 2))  # the connection is usable again
    next_loop_turn()
    assert statuses(elsewhere) == [(2, "Available")]


def test_a_frame_that_read_the_open_group_waits_for_it(charger):
    waits_for = in_frame(status(charger, 1))
    reader = in_frame(lambda: charger_state.connectors(charger))  # an ORM read: another connection, nothing to wait
    assert reader is None
    hot_reader = in_frame(lambda: transactions.active_on(charger, 1))  # the hot connection: it sees the group
    assert hot_reader is waits_for


def test_without_group_commit_a_frame_commits_its_own_writes(sqlite_url):
    app = make_app(sqlite_url, AUTOCHARGE_GROUP_COMMIT=False)
    with app.app_context():
        charger_id = chargers.add_charger("CP-1").id
        db.session.remove()
        assert in_frame(status(charger_id, 1)) is None
        with sqlite3.connect(db.engine.url.database) as other:
            assert statuses(other) == [(1, "Available")]
        db.engine.dispose()


def test_closing_the_connection_fails_the_open_group(charger, elsewhere):
    waits_for = in_frame(status(charger, 1))
    db.engine.dispose()  # a fork, a test's teardown: the hot connection closes
    assert waits_for.committed.is_set() and waits_for.error is not None
    next_loop_turn()  # the scheduled commit finds nothing to do
    assert statuses(elsewhere) == []


def test_a_failing_frame_that_opened_the_group_rolls_back_alone(charger, elsewhere):
    def fails():
        with writing():
            charger_state.connector_status(charger, 1, "Faulted")
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        in_frame(fails)
    later = in_frame(status(charger, 2))
    next_loop_turn()
    assert later.committed.is_set() and later.error is None
    assert statuses(elsewhere) == [(2, "Available")]
