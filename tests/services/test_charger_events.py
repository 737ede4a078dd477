"""Chargers' recent events are forgotten after AUTOCHARGE_CHARGER_EVENT_DAYS (services/charger_events.py)."""

from datetime import timedelta

import gevent
import pytest
import sqlalchemy as sa

from autocharge.csms import background
from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import ChargerEvent
from autocharge.models.statuses import ChargerEventKind
from autocharge.services import charger_events


def add_events(ages_in_days: list[float]) -> None:
    """Keep one boot event per age, as if recorded that many days ago."""
    now = utcnow()
    with writing() as session:
        for age in ages_in_days:
            session.add(
                ChargerEvent(
                    charge_box_id="CP-1", at=now - timedelta(days=age), kind=ChargerEventKind.BOOT, summary=f"{age}"
                )
            )


def kept() -> list[str]:
    """Return the summaries still kept, oldest first."""
    return list(db.session.scalars(sa.select(ChargerEvent.summary).order_by(ChargerEvent.id)))


@pytest.mark.parametrize("batch", [1, 2, 1000])  # batches smaller than the old ones, and one larger
def test_events_older_than_the_days_are_forgotten_in_batches(app, batch):
    add_events([120, 95, 91, 89, 1, 0])
    assert charger_events.forget_older_than(90, batch=batch) == 3
    assert kept() == ["89", "1", "0"]
    assert charger_events.forget_older_than(90, batch=batch) == 0


def test_zero_days_keeps_every_event(app):
    add_events([4000, 1])
    assert charger_events.forget_older_than(0) == 0
    assert kept() == ["4000", "1"]


def test_the_background_job_forgets_them_at_start(app):
    add_events([31, 29])
    app.config["AUTOCHARGE_CHARGER_EVENT_DAYS"] = 30
    job = gevent.spawn(background.forget_old_events_forever, app, 3600)
    try:
        gevent.sleep(0.2)
        db.session.expire_all()
        assert kept() == ["29"]
    finally:
        job.kill()
