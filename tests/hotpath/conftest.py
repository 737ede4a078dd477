"""Fixtures and frame helpers of the hot-path tests: a PostgreSQL app with a charger and a running transaction, and
a charger frame run as the receive loop runs one."""

import pytest

from autocharge.db import utcnow
from autocharge.extensions import db
from autocharge.hotpath import group
from autocharge.hotpath import runner as hotpath
from autocharge.models import Charger, Transaction
from autocharge.services import charger_state

T0 = utcnow().replace(microsecond=0)


@pytest.fixture
def pg_app(pg_database_url):
    """Return an app on the PostgreSQL test database with CP-1 online on socket-1 and one running transaction."""
    from tests.conftest import make_app

    app = make_app(pg_database_url)
    with app.app_context():
        db.session.add(Charger(charge_box_id="CP-1", online=True, connection_id="socket-1"))
        db.session.flush()
        db.session.add(Transaction(charger_id=1, dedupe_key="k1", start_time=T0, meter_start=1000))
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def in_frame(work) -> group.Group | None:
    """Run `work` as a charger frame's handler would; return the group its answer waits for.

    When `work` fails, its group is waited for before the error goes on, as the receive loop does: a PostgreSQL batch
    still open at the end of a test would commit into the next test's database.
    """
    frame = group.start_frame()
    try:
        work()
    except BaseException:
        group.settled(frame.group)
        raise
    finally:
        waits_for = group.end_frame(frame)
        hotpath.release()
        db.session.remove()
    return waits_for


def status(charger_id: int, connector_id: int, value: str = "Available"):
    """Return a frame's work: store a connector status (a hot upsert; on PostgreSQL a blind write)."""
    return lambda: charger_state.connector_status(charger_id, connector_id, value)
