"""`flask --app app demo-data`: fill a database quickly with realistic demo data.

Rows go in with Core executemany batches inside one write transaction each (no ORM objects) and explicit
ids, so related rows are written without reading anything back. Meter samples: every session of the
last 30 days has them (so charts look real); of older sessions only `--samples-fraction` (10% by
default), because ~12 samples x 1M sessions would make the demo database several times bigger and
slower to build without showing anything new.
"""

import random
import time
from datetime import datetime

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..db import utcnow, writing
from ..extensions import db
from ..models import (
    Charger,
    Connector,
    MeterSample,
    RemoteStart,
    RfidTag,
    Transaction,
    UnknownIdentifier,
    User,
    Vehicle,
)
from ..schema import needs_schema
from . import bulk
from .fleet import connector_rows, default_count, make_chargers
from .people import People, Taken, unknown_rows
from .sessions import Plan, Sessions

TABLES = {
    "charger": Charger.__table__,
    "user": User.__table__,
    "rfid_tag": RfidTag.__table__,
    "vehicle": Vehicle.__table__,
    "transaction": Transaction.__table__,
    "remote_start": RemoteStart.__table__,
}


@click.command("demo-data")
@click.option("--users", type=click.IntRange(min=1), default=1000, show_default=True, help="Users to add.")
@click.option(
    "--transactions",
    type=click.IntRange(min=0),
    default=10000,
    show_default=True,
    help="Charging sessions to add, over the past year.",
)
@click.option("--chargers", type=click.IntRange(min=1), help="Chargers to add [default: users/50, 10 to 2000].")
@click.option("--seed", type=int, help="Random seed: the same seed (and --until) gives the same data.")
@click.option(
    "--samples-fraction",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of sessions older than 30 days that get meter samples (newer ones all do).",
)
@click.option("--until", type=click.DateTime(), help="End of the demo period, UTC [default: now].")
@click.option("--batch", type=click.IntRange(min=100), default=5000, show_default=True, help="Rows per insert.")
@with_appcontext
@needs_schema
def demo_data_command(
    users: int,
    transactions: int,
    chargers: int | None,
    seed: int | None,
    samples_fraction: float,
    until: datetime | None,
    batch: int,
) -> None:
    """Fill the database with demo chargers, users, vehicles and charging sessions."""
    started = time.monotonic()
    rng = random.Random(seed)
    until = (until or utcnow()).replace(microsecond=0)
    ids = {name: bulk.next_id(table) for name, table in TABLES.items()}
    fleet = _add_chargers(rng, chargers or default_count(users), ids["charger"], until)
    taken = _taken()
    drivers = _add_people(rng, users, fleet, taken, ids, until, batch)
    plan = Plan(transactions, until, sample_fraction=samples_fraction, batch=batch)
    sessions = Sessions(rng, plan, fleet, drivers, ids)
    samples = _add_sessions(sessions, transactions)
    _add_connectors(rng, fleet, sessions.active, until)
    seen = {(k, v) for k, v in db.session.execute(db.select(UnknownIdentifier.kind, UnknownIdentifier.value))}
    bulk.insert((UnknownIdentifier.__table__, unknown_rows(rng, max(5, users // 500), fleet, taken, seen, until)))
    bulk.finish(list(TABLES.values()))
    click.echo(
        f"Added {len(fleet)} chargers, {users} users, {transactions} transactions "
        f"({len(sessions.active)} active) and {samples} meter samples in {time.monotonic() - started:.1f} s."
    )


def _add_chargers(rng: random.Random, count: int, first_id: int, until: datetime) -> list:
    """Insert the chargers (their connectors come last, once we know which are busy)."""
    fleet, rows = make_chargers(rng, count, first_id, until)
    with click.progressbar(length=count, label="Chargers") as bar:
        bulk.insert_all(Charger.__table__, rows, 5000, bar)
    return fleet


def _taken() -> Taken:
    """Return the values already stored that demo values must not repeat."""
    return Taken(
        emails=bulk.existing(User.email),
        tags=bulk.existing(RfidTag.tag),
        plates=bulk.existing(Vehicle.plate_key, Vehicle.status != "retired"),
        identifiers=bulk.existing(Vehicle.identifier, Vehicle.identifier.is_not(None)),
        active=bulk.existing(Vehicle.identifier, Vehicle.status == "active"),
    )


def _add_people(
    rng: random.Random, count: int, fleet: list, taken: Taken, ids: dict[str, int], until: datetime, batch: int
) -> list:
    """Insert users with their tags and vehicles, a batch of users at a time."""
    people = People(rng, fleet, taken, ids, until)
    drivers = []
    with click.progressbar(length=count, label="Users, tags and vehicles") as bar:
        while len(drivers) < count:
            for _ in range(min(batch, count - len(drivers))):
                drivers.append(people.driver())
            # Vehicles refer to vehicles they replace: written in id order within the batch, so the
            # foreign key is always satisfied.
            bulk.insert(
                (User.__table__, people.users), (RfidTag.__table__, people.tags), (Vehicle.__table__, people.vehicles)
            )
            bar.update(len(people.users))
            people.users, people.tags, people.vehicles = [], [], []
    return drivers


def _add_connectors(rng: random.Random, fleet: list, busy: set[tuple[int, int]], until: datetime) -> None:
    """Insert the connectors' statuses; a charger with an active session is online, whatever was drawn before."""
    charging = {charger_id for charger_id, _ in busy}
    for charger in fleet:
        charger.online = charger.online or charger.id in charging
    with writing() as session:
        if charging:
            session.execute(
                sa.update(Charger.__table__)
                .where(Charger.__table__.c.id.in_(charging))
                .values(online=True, last_seen=until)
            )
        session.execute(sa.insert(Connector.__table__), connector_rows(fleet, busy, rng, until))


def _add_sessions(sessions: Sessions, count: int) -> int:
    """Insert the transactions with their remote starts and meter samples; return how many samples."""
    samples = 0
    with click.progressbar(length=count, label="Transactions and meter samples") as bar:
        for batch in sessions.batches():
            parts = [(Transaction.__table__, batch.transactions), (RemoteStart.__table__, batch.remote_starts)]
            parts += [(MeterSample.__table__, chunk) for chunk in bulk.batched(batch.samples, sessions.plan.batch)]
            bulk.insert(*parts)
            samples += len(batch.samples)
            bar.update(len(batch.transactions))
    return samples
