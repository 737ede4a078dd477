"""`flask demo-data`: realistic, consistent, deterministic demo data on SQLite and PostgreSQL."""

import hashlib
import shutil
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import make_app  # the root conftest (tests/ is on sys.path)

from autocharge.extensions import db
from autocharge.models import (
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
from autocharge.services import identifiers, users
from autocharge.services.vehicles import normalize_plate

UNTIL = datetime(2026, 3, 1, 12, 0)
ARGS = ["demo-data", "--users", "100", "--transactions", "600", "--seed", "7", "--until", "2026-03-01 12:00:00"]


@pytest.fixture
def demo(app, runner):
    """Fill the test database with a small seeded demo data set."""
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    assert "Added 10 chargers, 100 users, 600 transactions" in result.output
    return app


def rows(model) -> list:
    """Return every row of a model's table."""
    return list(db.session.scalars(sa.select(model).order_by(model.id)))


def test_counts_and_origin_mix(demo):
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 100
    assert db.session.scalar(sa.select(sa.func.count(Charger.id))) == 10
    txs = rows(Transaction)
    assert len(txs) == 600
    origins = Counter(t.origin for t in txs)
    assert set(origins) == {"autocharge", "rfid", "app"}
    assert all(n >= 60 for n in origins.values()), origins  # each origin is at least 10% of the sessions
    statuses = Counter(t.status for t in txs)
    assert 3 <= statuses["active"] <= 10 and statuses["completed"] == 600 - statuses["active"]
    assert {u.status for u in rows(User)} == {"active", "blocked"}
    assert {c.ocpp_version for c in rows(Charger)} == {"1.6", "2.0.1"}
    assert {c.autocharge for c in rows(Charger)} == {"supported", "unsupported", "unknown"}
    assert len({c.vendor for c in rows(Charger)}) >= 4
    assert db.session.scalar(sa.select(sa.func.count(UnknownIdentifier.id))) >= 5


def test_vehicles_and_identifiers(demo):
    vehicles = rows(Vehicle)
    by_status = defaultdict(list)
    for v in vehicles:
        by_status[v.status].append(v)
    assert set(by_status) == {"active", "pending", "retired"}
    active_ids = [v.identifier for v in by_status["active"]]
    assert len(active_ids) == len(set(active_ids))
    assert all(identifiers.normalize(v.identifier_raw) == v.identifier for v in by_status["active"])
    assert sum(not identifiers.is_locally_administered(i) for i in active_ids) > 0.8 * len(active_ids)
    assert all(v.identifier is None and v.paired_at is None for v in by_status["pending"])
    retired = {v.id: v for v in by_status["retired"]}
    replacements = [v for v in vehicles if v.replaces_id]
    assert replacements
    for new in replacements:
        old = retired[new.replaces_id]
        assert old.user_id == new.user_id and new.paired_at == old.retired_at
    current_plates = [v.plate_key for v in vehicles if v.status != "retired"]
    assert len(current_plates) == len(set(current_plates))
    assert all(normalize_plate(v.plate).key == v.plate_key for v in vehicles)


def test_sessions_match_their_users_vehicles_cards_and_app_starts(demo):
    vehicles = {v.id: v for v in rows(Vehicle)}
    tags = defaultdict(set)
    for tag in rows(RfidTag):
        tags[tag.user_id].add(tag.tag)
    chargers = {c.id: c for c in rows(Charger)}
    remote = {r.transaction_id: r for r in rows(RemoteStart)}
    for tx in rows(Transaction):
        charger = chargers[tx.charger_id]
        assert charger.registration == "accepted"
        assert (tx.id_token_type is None) == (charger.ocpp_version == "1.6")
        if tx.origin == "autocharge":
            vehicle = vehicles[tx.vehicle_id]
            assert vehicle.user_id == tx.user_id and charger.autocharge == "supported"
            assert identifiers.from_token(tx.id_token, tx.id_token_type).canonical == vehicle.identifier
            assert vehicle.paired_at <= tx.start_time and (
                vehicle.retired_at is None or tx.start_time < vehicle.retired_at
            )
        elif tx.origin == "rfid":
            assert tx.vehicle_id is None and tx.id_token in tags[tx.user_id]
        else:
            assert tx.vehicle_id is None
            start = remote[tx.id]
            assert (start.user_id, start.id_token, start.charger_id) == (tx.user_id, tx.id_token, tx.charger_id)


def test_sessions_are_complete_and_never_overlap_on_a_connector(demo):
    by_connector = defaultdict(list)
    for tx in rows(Transaction):
        assert UNTIL - timedelta(days=366) <= tx.start_time <= UNTIL
        if tx.status == "completed":
            assert tx.stop_time > tx.start_time and tx.meter_stop - tx.meter_start == tx.energy_wh > 0
            assert tx.stop_reason
        else:
            assert tx.stop_time is None and tx.meter_stop is None
        by_connector[(tx.charger_id, tx.evse_id, tx.connector_id)].append(tx)
    for txs in by_connector.values():
        for before, after in zip(txs, txs[1:], strict=False):  # ids follow start times
            assert before.start_time <= after.start_time
            assert before.stop_time is not None and before.stop_time <= after.start_time
            assert before.meter_stop <= after.meter_start
    busy = {(t.charger_id, t.evse_id, t.connector_id) for t in rows(Transaction) if t.status == "active"}
    for connector in rows(Connector):
        charging = connector.status in ("Charging", "Occupied")
        assert charging == ((connector.charger_id, connector.evse_id, connector.connector_id) in busy)


def test_meter_samples(demo):
    samples = defaultdict(list)
    for s in db.session.scalars(sa.select(MeterSample).order_by(MeterSample.transaction_id, MeterSample.timestamp)):
        samples[s.transaction_id].append(s)
    txs = rows(Transaction)
    recent = [t for t in txs if t.start_time >= UNTIL - timedelta(days=30)]
    assert recent and all(t.id in samples for t in recent)
    assert len(samples) < len(txs)  # only a fraction of older sessions
    for tx in txs:
        readings = samples.get(tx.id, [])
        if not readings:
            continue
        end = tx.stop_time or UNTIL
        assert readings[0].timestamp == tx.start_time and readings[-1].timestamp <= end
        gaps = {(b.timestamp - a.timestamp).total_seconds() for a, b in zip(readings, readings[1:], strict=False)}
        assert all(g <= 15 * 60 for g in gaps)
        energies = [s.energy_wh for s in readings]
        assert energies == sorted(energies) and energies[0] == pytest.approx(tx.meter_start, abs=1)
        if tx.status == "completed":
            assert energies[-1] == pytest.approx(tx.meter_stop, abs=2)
        assert all(s.power_w is not None and s.power_w >= 0 for s in readings)


def test_a_second_run_adds_more_and_ids_keep_working(demo, runner):
    result = runner.invoke(args=["demo-data", "--users", "30", "--transactions", "100", "--chargers", "3"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 130
    assert db.session.scalar(sa.select(sa.func.count(Transaction.id))) == 700
    # PostgreSQL's sequences moved past the explicit ids: ordinary inserts still work.
    user = users.add_user("Late Comer", "late.comer@example.com")
    assert user.id == 131


def digest(url: str) -> str:
    """Return a fingerprint of the demo data in a database."""
    app = make_app(url)
    with app.app_context():
        h = hashlib.sha256()
        for model in (Charger, User, RfidTag, Vehicle, Transaction, RemoteStart):
            for row in db.session.execute(sa.select(model.__table__).order_by(model.__table__.c.id)):
                h.update(repr(tuple(row)).encode())
        for row in db.session.execute(
            sa.select(
                MeterSample.transaction_id, MeterSample.timestamp, MeterSample.energy_wh, MeterSample.power_w
            ).order_by(MeterSample.transaction_id, MeterSample.timestamp)
        ):
            h.update(repr(tuple(row)).encode())
        db.engine.dispose()
    return h.hexdigest()


def test_same_seed_same_data(tmp_path, sqlite_template):
    urls = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.sqlite"
        shutil.copy(sqlite_template, path)
        urls.append(f"sqlite:///{path}")
        app = make_app(urls[-1])
        result = app.test_cli_runner().invoke(args=ARGS)
        assert result.exit_code == 0, result.output
        with app.app_context():
            db.engine.dispose()
    assert digest(urls[0]) == digest(urls[1])
