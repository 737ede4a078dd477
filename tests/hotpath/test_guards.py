"""Write-once columns are guarded by the database (migration e6b2a4c8d0f5), for hot-path and ORM writes alike."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.hotpath import runner
from autocharge.hotpath import transactions as hot_transactions
from autocharge.models import Charger, RemoteStart, Transaction, User, Vehicle
from autocharge.services.vehicles import IdentifierReadOnly

PAIRED, PENDING = 1, 2


@pytest.fixture
def stored(app):
    """Store a paired and a pending vehicle, two transactions and a back-office start linked to the first."""
    db.session.add_all([User(name="Jane Doe", email="jane@example.com"), Charger(charge_box_id="CP-1")])
    db.session.flush()
    db.session.add_all(
        [
            Vehicle(user_id=1, plate="AB 1", plate_key="AB1", identifier="0A1B2C3D4E5F", status="active"),
            Vehicle(user_id=1, plate="CD 2", plate_key="CD2"),
            Transaction(charger_id=1, dedupe_key="first"),
            Transaction(charger_id=1, dedupe_key="second"),
        ]
    )
    db.session.flush()
    db.session.add(RemoteStart(charger_id=1, user_id=1, id_token="R1", expires_at=utcnow(), transaction_id=1))
    db.session.commit()
    db.session.remove()
    return app


def _hot(statement) -> None:
    """Run an UPDATE on the hot path, in its own write."""
    with writing():
        runner.run(statement)


def _orm(statement) -> None:
    """Run an UPDATE through the ORM session (a bulk UPDATE: no attribute event sees it), in its own write."""
    with writing() as session:
        session.execute(statement)


def _identifier(vehicle_id: int, value: str | None):
    """Return an UPDATE of a vehicle's identifier."""
    return sa.update(Vehicle).where(Vehicle.id == vehicle_id).values(identifier=value)


def _link(remote_start_id: int, tx_id: int | None):
    """Return an UPDATE of the transaction a back-office start began."""
    return sa.update(RemoteStart).where(RemoteStart.id == remote_start_id).values(transaction_id=tx_id)


@pytest.mark.parametrize("write", [_hot, _orm], ids=["hot", "orm"])
@pytest.mark.parametrize("value", ["FFFFFFFFFFFF", None], ids=["another", "none"])
def test_a_paired_identifier_cannot_change(stored, write, value):
    with pytest.raises(sa.exc.IntegrityError, match="write-once"):
        write(_identifier(PAIRED, value))
    assert db.session.get(Vehicle, PAIRED).identifier == "0A1B2C3D4E5F"


@pytest.mark.parametrize("write", [_hot, _orm], ids=["hot", "orm"])
def test_an_identifier_is_set_once_and_may_be_written_again_unchanged(stored, write):
    write(_identifier(PENDING, "0A1B2C3D4E60"))
    write(_identifier(PENDING, "0A1B2C3D4E60"))
    assert db.session.get(Vehicle, PENDING).identifier == "0A1B2C3D4E60"


def test_the_orm_event_still_answers_first(stored):
    with pytest.raises(IdentifierReadOnly), writing() as session:
        session.get(Vehicle, PAIRED).identifier = "FFFFFFFFFFFF"


@pytest.mark.parametrize("write", [_hot, _orm], ids=["hot", "orm"])
def test_a_remote_start_keeps_its_transaction(stored, write):
    with pytest.raises(sa.exc.IntegrityError, match="write-once"):
        write(_link(1, 2))
    assert db.session.get(RemoteStart, 1).transaction_id == 1


def test_the_hot_link_leaves_a_linked_start_alone(stored):
    with writing():
        hot_transactions.link_remote_start(1, 2)  # its WHERE finds nothing to change: no error
    assert db.session.get(RemoteStart, 1).transaction_id == 1


def test_a_deleted_transaction_unlinks_its_remote_start(stored):
    with writing() as session:
        session.execute(sa.delete(Transaction).where(Transaction.id == 1))
    assert db.session.get(RemoteStart, 1).transaction_id is None


def test_the_migration_downgrades_and_upgrades(stored):
    try:
        downgrade(revision="2f70108b1b08")
        _hot(_identifier(PAIRED, "FFFFFFFFFFFF"))  # no guard below this migration
        _hot(_identifier(PAIRED, "0A1B2C3D4E5F"))
    finally:
        upgrade()
    with pytest.raises(sa.exc.IntegrityError, match="write-once"):
        _hot(_identifier(PAIRED, "FFFFFFFFFFFF"))
