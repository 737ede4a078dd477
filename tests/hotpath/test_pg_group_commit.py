"""Group commit on PostgreSQL (autocharge/hotpath/pggroup.py): the blind writes of one loop turn share a transaction."""

import gevent
import pytest
import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.hotpath import chargers as hot_chargers
from autocharge.hotpath import group, pggroup
from autocharge.hotpath import runner as hotpath
from autocharge.hotpath import transactions as hot
from autocharge.models import Charger
from autocharge.services import charger_state
from autocharge.services.transactions import Sample, add_samples
from tests.conftest import make_app
from tests.hotpath.conftest import T0, in_frame, status


@pytest.fixture
def pg_app(pg_app):
    """Return the hot path's PostgreSQL app (conftest.py) with a second charger, CP-2."""
    with pg_app.app_context():
        db.session.add(Charger(charge_box_id="CP-2"))
        db.session.commit()
        db.session.remove()
    return pg_app


@pytest.fixture
def elsewhere(pg_database_url):
    """Return a connection of its own to the database: it sees only what is committed."""
    engine = sa.create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def statuses(elsewhere) -> list[tuple]:
    """Return the committed connector statuses as (charger, connector, status, transaction id that wrote them)."""
    query = "SELECT charger_id, connector_id, status, xmin::text FROM connector ORDER BY charger_id, connector_id"
    return [tuple(row) for row in elsewhere.execute(sa.text(query))]


def test_the_blind_writes_of_one_loop_turn_share_one_transaction(pg_app, elsewhere):
    with pg_app.app_context():
        first = in_frame(status(1, 1))
        second = in_frame(status(2, 1, "Charging"))
        assert first is not None and second is not None
        assert first.committed is second.committed  # one batch, one commit
        assert not first.committed.is_set()
        assert statuses(elsewhere) == []  # nothing committed before the loop's next turn: no answer sent yet
        assert group.settled(first) is None and group.settled(second) is None
    (one, two) = statuses(elsewhere)
    assert one[:3] == (1, 1, "Available") and two[:3] == (2, 1, "Charging")
    assert one[3] == two[3]  # written by one transaction


def test_meter_values_by_transaction_id_join_the_batch(pg_app, elsewhere):
    with pg_app.app_context():
        reading = [Sample(T0, energy_wh=1500.0)]
        waits_for = in_frame(lambda: add_samples(1, 1, reading, tell=False))
        other = in_frame(status(2, 1))
        assert waits_for.committed is other.committed
        assert group.settled(waits_for) is None
    energy = elsewhere.execute(sa.text("SELECT energy_wh, xmin::text FROM transaction")).one()
    samples = elsewhere.execute(sa.text("SELECT count(*) FROM meter_sample")).scalar()
    assert energy[0] == 500 and samples == 1
    assert energy[1] == statuses(elsewhere)[0][3]


def test_the_next_turn_opens_a_new_batch(pg_app, elsewhere):
    with pg_app.app_context():
        first = in_frame(status(1, 1))
        gevent.sleep(0.05)  # the batch's commit ran meanwhile
        assert first.committed.is_set()
        second = in_frame(status(1, 2))
        assert second.committed is not first.committed
        assert group.settled(second) is None
    assert [row[:3] for row in statuses(elsewhere)] == [(1, 1, "Available"), (1, 2, "Available")]


def test_a_failing_write_fails_its_frame_alone(pg_app, elsewhere):
    with pg_app.app_context():
        good = in_frame(status(1, 1))
        bad = in_frame(status(999, 1))  # no such charger: the foreign key refuses it, at the batch's COMMIT
        later = in_frame(status(2, 1))
        assert good.committed is bad.committed is later.committed
        assert group.settled(good) is None and group.settled(later) is None
        assert isinstance(group.settled(bad), sa.exc.IntegrityError)
    assert [row[:3] for row in statuses(elsewhere)] == [(1, 1, "Available"), (2, 1, "Available")]


def test_a_frame_reads_its_own_blind_write(pg_app):
    with pg_app.app_context():
        seen = []

        def write_then_read():
            charger_state.connector_status(1, 1, "Preparing")
            seen.append([(c.connector_id, c.status) for c in charger_state.connectors(1)])

        waits_for = in_frame(write_then_read)
        assert waits_for.committed.is_set()  # the read waited for the batch's commit
        assert seen == [[(1, "Preparing")]]


def test_a_frame_whose_blind_write_failed_fails_at_its_next_statement(pg_app):
    with pg_app.app_context():

        def write_then_read():
            charger_state.connector_status(999, 1, "Available")
            hot.find_by_id(1, 1)

        with pytest.raises(RuntimeError, match="an earlier write of this charger frame failed"):
            in_frame(write_then_read)


def test_a_frame_writes_after_its_blind_write_is_committed(pg_app, elsewhere):
    with pg_app.app_context():

        def two_writes():
            charger_state.connector_status(1, 1, "Finishing")
            with writing():
                hot.complete(1, T0, 2000, 1000, "Local")

        waits_for = in_frame(two_writes)
        assert waits_for.committed.is_set()
    assert elsewhere.execute(sa.text("SELECT status FROM transaction")).scalar() == "completed"
    assert [row[:3] for row in statuses(elsewhere)] == [(1, 1, "Finishing")]


def test_another_hot_write_in_the_same_block_is_refused(pg_app):
    with pg_app.app_context():

        def two_in_one_block():
            with writing():
                hot_chargers.update_connector_status(1, 1, "Available", None, utcnow())
                hot.complete(1, T0, 2000, 1000, "Local")

        with pytest.raises(hotpath.OneWriterViolation):
            in_frame(two_in_one_block)


def test_outside_a_frame_a_blind_write_commits_at_once(pg_app, elsewhere):
    with pg_app.app_context():
        charger_state.connector_status(1, 1, "Available")
        assert [row[:3] for row in statuses(elsewhere)] == [(1, 1, "Available")]


def test_group_commit_off_commits_every_write_alone(pg_database_url, elsewhere):
    app = make_app(pg_database_url, AUTOCHARGE_GROUP_COMMIT=False)
    assert app.config["AUTOCHARGE_GROUP_BLIND_WRITES"] is False
    with app.app_context():
        db.session.add(Charger(charge_box_id="CP-1"))
        db.session.commit()
        db.session.remove()
        assert in_frame(status(1, 1)) is None
        assert [row[:3] for row in statuses(elsewhere)] == [(1, 1, "Available")]
        db.engine.dispose()


def test_a_batch_whose_connection_dies_runs_its_writes_alone(pg_app, elsewhere):
    with pg_app.app_context():
        first = in_frame(status(1, 1))
        second = in_frame(status(2, 1))
        batch = pggroup._open[db.engine]
        pid = batch.conn.dbapi.info.backend_pid
        elsewhere.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert group.settled(first) is None and group.settled(second) is None
    assert [row[:3] for row in statuses(elsewhere)] == [(1, 1, "Available"), (2, 1, "Available")]
