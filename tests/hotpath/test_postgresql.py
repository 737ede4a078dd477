"""The hot path's own PostgreSQL connection: reads in autocommit, a write pipelined from BEGIN to COMMIT."""

import os

import pytest
import sqlalchemy as sa

from autocharge.db import writing
from autocharge.extensions import db
from autocharge.hotpath import chargers as hot_chargers
from autocharge.hotpath import runner
from autocharge.hotpath import transactions as hot
from autocharge.models import Charger, MeterSample, Transaction
from autocharge.services.transactions import Sample
from tests.hotpath.conftest import T0


def _stored():
    """Return the transaction's (status, energy) and how many samples exist, read through the ORM."""
    try:
        tx = db.session.execute(sa.select(Transaction.status, Transaction.energy_wh)).one()
        return tuple(tx), db.session.scalar(sa.select(sa.func.count()).select_from(MeterSample))
    finally:
        db.session.remove()


def _in_use() -> int:
    """Return how many connections are checked out of the pool and not parked by the hot path."""
    return db.engine.pool.checkedout() - runner.parked(db.engine)


def test_a_read_holds_no_transaction_and_parks_its_connection(pg_app):
    with pg_app.app_context():
        assert hot.find_by_key(1, "k1").meter_start == 1000
        assert _in_use() == 0
        assert runner.parked(db.engine) == 1  # idle in autocommit, for the next statement
        parked = runner._parked[db.engine][0][0].dbapi_connection
        assert parked.autocommit and parked.pgconn.transaction_status == 0  # no transaction held
        assert not db.session.registry.has()  # no ORM session was needed either


def test_a_connection_keeps_one_cursor_for_the_hot_path(pg_app):
    with pg_app.app_context():
        assert hot.find_by_key(1, "k1").meter_start == 1000
        pooled = runner._parked[db.engine][0][0]
        kept = pooled.info["hot_cursor"]
        assert hot.find_by_id(1, 1).meter_start == 1000  # the same connection, unparked, and the same cursor
        assert pooled.info["hot_cursor"] is kept and not kept.closed
        with writing():
            hot.complete(1, T0, 2000, 1000, "Local")
        assert hot.find_by_id(1, 1).status == "completed"  # read on the cursor BEGIN and COMMIT went through
        runner._close_parked(db.engine)  # as when the server dropped them: the pool connects anew
        assert hot.find_by_id(1, 1).status == "completed"
        again = runner._parked[db.engine][0][0]
        assert again.info["hot_cursor"] is not kept and again.info["hot_cursor"].connection is again.dbapi_connection


def _every_pooled_connection() -> list:
    """Check out every connection idle in the pool (FIFO: the one of interest may not come first); return them."""
    return [db.engine.raw_connection() for _ in range(db.engine.pool.checkedin())]


def test_no_connection_reaches_the_orm_in_autocommit_mode(pg_app):
    with pg_app.app_context():
        runner._close_parked(db.engine)  # so the hot path checks a connection out of the pool
        hot_conn = runner.Autocommit(db.engine)  # in autocommit mode ...
        leaked = hot_conn.dbapi
        hot_conn.pooled.close()  # ... and back in the pool as it is (as when a lost one is collected)
        taken = _every_pooled_connection()
        assert leaked in [fairy.dbapi_connection for fairy in taken]
        assert all(fairy.dbapi_connection.autocommit is False for fairy in taken)  # the ORM's writes stay undoable
        for fairy in taken:
            fairy.close()


def test_a_connection_left_mid_transaction_is_replaced(pg_app):
    with pg_app.app_context():
        runner._close_parked(db.engine)
        for give_back in ("checkin", "close"):
            hot_conn = runner.Autocommit(db.engine)
            hot_conn.dbapi.execute("BEGIN")
            hot_conn.dbapi.execute("UPDATE transaction SET energy_wh = 9")
            left = hot_conn.dbapi
            if give_back == "checkin":
                hot_conn.checkin()  # the hot path's own: dropped, not pooled
            else:
                hot_conn.pooled.close()  # back in the pool as it is: rolled back, handed out in transaction mode
            taken = _every_pooled_connection()
            if give_back == "checkin":
                assert left not in [fairy.dbapi_connection for fairy in taken]
            assert all(fairy.dbapi_connection.autocommit is False for fairy in taken)  # the pool rolled it back
            for fairy in taken:
                fairy.close()
        assert _stored() == (("active", 0), 0)


def test_a_write_is_committed_once_its_block_ends(pg_app):
    with pg_app.app_context():
        with writing():
            assert hot.record_register_by_id(1, 1, 1500)
            hot.insert_samples(1, [Sample(T0, energy_wh=1500.0)])
            assert _in_use() == 1  # the write holds its connection until COMMIT
        assert _in_use() == 0
        assert _stored() == (("active", 500), 1)


def test_a_statement_failing_at_commit_leaves_nothing_half_written(pg_app):
    with pg_app.app_context():
        # The energy update's rows are read at once; the samples travel with COMMIT, and one names no transaction.
        with pytest.raises(sa.exc.IntegrityError), writing():
            assert hot.record_register_by_id(1, 1, 1500)
            hot.insert_samples(1, [Sample(T0, energy_wh=1500.0)])
            hot.insert_samples(999, [Sample(T0, energy_wh=1.0)])
        assert _stored() == (("active", 0), 0)
        # The connection went back to the pool usable, and in the mode the ORM expects (not autocommit).
        with writing() as session:
            session.execute(sa.update(Transaction).values(energy_wh=7))
            conn = session.connection().connection.dbapi_connection
            assert conn.autocommit is False
            session.rollback()
        assert _stored() == (("active", 0), 0)


def test_an_error_inside_the_block_rolls_the_write_back(pg_app):
    with pg_app.app_context():
        with pytest.raises(RuntimeError), writing():
            hot.complete(1, T0, 2000, 1000, "Local")
            raise RuntimeError("the service failed after its first write")
        assert _stored() == (("active", 0), 0)
        assert _in_use() == 0


def test_a_pipelined_write_tells_how_many_rows_it_changed(pg_app):
    offline = runner.PREBUILT["chargers.disconnected"]("postgresql")
    with pg_app.app_context():
        with writing():
            hot.complete(1, T0, 2000, 1000, "Local")  # opens the write: what follows is queued with it
            assert runner.run(offline, {"charger_id": 1, "p_connection": "socket-old", "now": T0}).rowcount == 0
            assert runner.run(offline, {"charger_id": 1, "p_connection": "socket-1", "now": T0}).rowcount == 1
        online = db.session.scalar(sa.select(Charger.online))
        db.session.remove()
        assert online is False
        assert _stored() == (("completed", 1000), 0)


def test_a_write_run_alone_is_one_statement_in_autocommit(pg_app):
    with pg_app.app_context():
        with writing():
            assert hot.record_readings_by_id(1, 1, 1500, [Sample(T0, energy_wh=1500.0)])
            assert _in_use() == 0  # committed already: no transaction held open
        assert _stored() == (("active", 500), 1)
        with writing():  # a retry: the sample is there, the energy does not go back
            assert hot.record_readings_by_id(1, 1, 1200, [Sample(T0, energy_wh=1200.0)])
        assert _stored() == (("active", 500), 1)
        with writing():  # another charger's transaction: nothing stored
            assert not hot.record_readings_by_id(2, 1, 1800, [Sample(T0.replace(year=2030), energy_wh=1800.0)])
        assert _stored() == (("active", 500), 1)


def test_no_hot_write_may_follow_one_run_alone(pg_app):
    with pg_app.app_context():
        with pytest.raises(runner.OneWriterViolation), writing():
            hot_chargers.disconnected(1, "socket-1", T0)  # alone: committed at once
            hot.complete(1, T0, 2000, 1000, "Local")  # would commit apart from it: refused
        assert _stored() == (("active", 0), 0)
        with writing():  # the next write starts afresh
            hot.complete(1, T0, 2000, 1000, "Local")
        assert _stored() == (("completed", 1000), 0)


def test_hot_statements_join_the_session_s_open_transaction(pg_app):
    with pg_app.app_context():
        with writing() as session:
            session.execute(sa.update(Transaction).values(meter_start=900))  # the ORM first, then the hot path
            assert hot.find_by_id(1, 1).meter_start == 900  # sees the session's own write
            assert isinstance(runner.connection(), runner.Connection)
            assert _in_use() == 1
        assert hot.find_by_id(1, 1).meter_start == 900


def test_a_parked_connection_the_server_dropped_is_replaced_before_use(pg_app, monkeypatch):
    with pg_app.app_context():
        assert hot.find_by_key(1, "k1")  # parks its connection
        ((pooled, _since),) = runner._parked[db.engine]
        backend = pooled.dbapi_connection.info.backend_pid
        with db.engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        monkeypatch.setattr(runner.pgping, "PING_AFTER", 0.0)  # it sat idle long enough to be pinged first
        assert hot.find_by_key(1, "k1").meter_start == 1000  # no error: found dead at the ping, replaced
        ((pooled, _since),) = runner._parked[db.engine]
        assert pooled.dbapi_connection.info.backend_pid != backend


def test_a_forked_child_leaves_the_parents_parked_connections_alone(pg_app):
    with pg_app.app_context():
        assert hot.find_by_key(1, "k1")
        assert runner.parked(db.engine) == 1
        child = os.fork()
        if child == 0:  # the child must neither use nor close the parent's socket
            os._exit(0 if runner.parked(db.engine) == 0 else 1)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert hot.find_by_key(1, "k1").meter_start == 1000  # the parent's connection still works
        assert runner.parked(db.engine) == 1


def test_a_pool_of_one_parks_nothing(pg_database_url):
    from conftest import make_app

    app = make_app(pg_database_url, AUTOCHARGE_DB_POOL_SIZE=1)
    with app.app_context():
        hot.find_by_key(1, "k1")
        assert runner.parked(db.engine) == 0
        assert db.engine.pool.checkedout() == 0  # the ORM still has the pool's one connection
        db.engine.dispose()


def test_the_pool_gauge_leaves_parked_connections_out(pg_app):
    from autocharge import metrics

    with pg_app.app_context():
        hot.find_by_key(1, "k1")
        assert runner.parked(db.engine) == 1
        metrics._read_gauges()  # its own count query holds the session's connection meanwhile
        assert db.engine.pool.checkedout() == 2
        assert metrics.REGISTRY.get_sample_value("autocharge_db_pool_checked_out") == 1.0
        db.session.remove()
