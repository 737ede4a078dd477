"""Migrations that move data or constraints, on both databases: upgraded with data in place, checked, and back down."""

import os
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from alembic import command
from conftest import BACKENDS  # the root conftest (tests/ is on sys.path)
from flask import current_app

from autocharge import create_app
from autocharge.extensions import db

BEFORE, CHECKS = "2f70108b1b08", "d5a1f3b7c9e4"
NOW = "2026-12-01 10:00:00"
# One row of each table with a status column, with every status set (parents first, for the foreign keys).
ROWS = (
    ("admin", {"id": 1, "email": "a@example.com", "password_hash": "x", "role": "operator", "preferences": "{}"}),
    ("audit_event", {"id": 1, "actor": "charger", "action": "charger.added", "subject_type": "charger"}),
    ("charger", {"id": 1, "charge_box_id": "CP-1", "registration": "pending", "autocharge": "supported"}),
    ("connector", {"id": 1, "charger_id": 1, "connector_id": 1, "status": "SuspendedEVSE"}),
    ("connector", {"id": 2, "charger_id": 1, "connector_id": 2, "status": "VendorBusy"}),  # a vendor's own
    ("charger_command", {"id": 1, "charger_id": 1, "action": "Reset", "payload": "{}", "state": "sent"}),
    ("user", {"id": 1, "name": "Jane", "email": "j@example.com", "status": "blocked"}),
    ("vehicle", {"id": 1, "user_id": 1, "plate": "B-1", "plate_key": "B1", "status": "retired"}),
    ("pairing_session", {"id": 1, "vehicle_id": 1, "charger_id": 1, "state": "expired"}),
    ("unknown_identifier", {"id": 1, "kind": "rfid", "value": "04AA", "raw": "04aa", "reason": "retired"}),
    (
        "transaction",
        {"id": 1, "charger_id": 1, "dedupe_key": "k", "status": "completed", "origin": "app", "auth_status": "Blocked"},
    ),
)
# Columns every row needs that ROWS leaves out.
FILLED = {
    "admin": {"created_at": NOW},
    "audit_event": {"at": NOW},
    "charger": {"online": False, "created_at": NOW},
    "connector": {"updated_at": NOW},
    "charger_command": {"created_at": NOW, "deadline": NOW},
    "user": {"created_at": NOW},
    "vehicle": {"randomized_mac": False, "created_at": NOW},
    "pairing_session": {"created_at": NOW, "deadline": NOW},
    "unknown_identifier": {"first_seen": NOW, "last_seen": NOW, "attempts": 1},
    "transaction": {"connector_id": 1, "start_time": NOW, "meter_start": 0, "energy_wh": 0, "updated_at": NOW},
}
STATUS_COLUMNS = [
    ("admin", "role"),
    ("audit_event", "actor"),
    ("charger", "registration"),
    ("charger", "autocharge"),
    ("connector", "status"),
    ("charger_command", "state"),
    ("user", "status"),
    ("vehicle", "status"),
    ("pairing_session", "state"),
    ("unknown_identifier", "kind"),
    ("unknown_identifier", "reason"),
    ("transaction", "status"),
    ("transaction", "origin"),
    ("transaction", "auth_status"),
]
OLD_INDEXES = {
    "ix_transaction_origin",
    "ix_transaction_user_id",
    "ix_transaction_start_id",
    "ix_transaction_start_energy",
}
NEW_INDEX = "ix_transaction_start_id_energy"


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path) -> str:
    """Return the URL of a database with no tables: a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"autocharge_migration_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migrate(empty_url):
    """Return a function moving the database to a revision, up or down (alembic's errors raised as they are)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_url, "SECRET_KEY": "test"})

    def to(revision: str, down: bool = False) -> None:
        with app.app_context():
            config = current_app.extensions["migrate"].migrate.get_config()
            try:
                (command.downgrade if down else command.upgrade)(config, revision)
            finally:  # a refused upgrade too: a pooled connection left open is a ResourceWarning in a later test
                db.engine.dispose()

    yield to


@contextmanager
def connected(url: str):
    """Yield a connection in a transaction on the database, then close it."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def insert(url: str, rows=ROWS) -> None:
    """Insert rows given as (table, values), with the columns they leave out filled."""
    with connected(url) as conn:
        for table, values in rows:
            values = {**FILLED[table], **values}
            columns = ", ".join(f'"{c}"' for c in values)
            conn.execute(
                sa.text(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join(f":{c}" for c in values)})'), values
            )


def statuses(url: str) -> dict:
    """Return {(table, column): the values stored, in id order}."""
    with connected(url) as conn:
        return {(t, c): conn.scalars(sa.text(f'SELECT "{c}" FROM "{t}" ORDER BY id')).all() for t, c in STATUS_COLUMNS}


def transaction_indexes(url: str) -> set[str]:
    """Return the names of the transaction table's indexes (its unique constraint's included on PostgreSQL)."""
    engine = sa.create_engine(url)
    try:
        return {index["name"] for index in sa.inspect(engine).get_indexes("transaction")}
    finally:
        engine.dispose()


def accepts(url: str, table: str, column: str, value: str) -> bool:
    """Tell whether the database lets a row's status column take a value."""
    try:
        with connected(url) as conn:
            conn.execute(sa.text(f'UPDATE "{table}" SET "{column}" = :v'), {"v": value})
    except sa.exc.IntegrityError:
        return False
    return True


def test_upgrade_keeps_the_values_and_the_checks_refuse_others_until_downgraded(migrate, empty_url):
    migrate(BEFORE)
    insert(empty_url)
    stored = statuses(empty_url)

    migrate(CHECKS)
    # Nothing changes but the vendor's connector status, which the next StatusNotification replaces anyway.
    assert statuses(empty_url) == {**stored, ("connector", "status"): ["SuspendedEVSE", "Unknown"]}
    indexes = transaction_indexes(empty_url)
    assert NEW_INDEX in indexes and not indexes & OLD_INDEXES
    for table, column in STATUS_COLUMNS:
        assert not accepts(empty_url, table, column, "bogus"), (table, column)
    assert accepts(empty_url, "transaction", "stop_reason", "AnyReasonOfAFutureOcpp")  # no CHECK there

    migrate(BEFORE, down=True)
    assert accepts(empty_url, "transaction", "status", "bogus")
    indexes = transaction_indexes(empty_url)
    assert indexes >= OLD_INDEXES and NEW_INDEX not in indexes


def test_upgrade_refuses_odd_values_and_changes_nothing(migrate, empty_url):
    migrate(BEFORE)
    insert(empty_url)
    with connected(empty_url) as conn:
        conn.execute(sa.text("""UPDATE "user" SET status = 'deleted'"""))
        conn.execute(sa.text("""UPDATE "transaction" SET status = 'Active'"""))
    before = statuses(empty_url)

    with pytest.raises(RuntimeError) as refused:
        migrate(CHECKS)
    message = str(refused.value)
    assert "user.status: 'deleted' (1 rows)" in message
    assert "transaction.status: 'Active' (1 rows)" in message
    assert "Nothing was changed" in message
    assert statuses(empty_url) == before  # not even the connector's odd status was replaced
    assert accepts(empty_url, "vehicle", "status", "bogus")
    assert transaction_indexes(empty_url) >= OLD_INDEXES


GUARDS, EVSES = "e6b2a4c8d0f5", "a3c7e1f9d2b6"
# A 1.6 charger and a 2.0.1 one, as stored before EVSEs: the 2.0.1 evseId in connector_id.
CHARGERS = (
    (
        "charger",
        {"id": 1, "charge_box_id": "CP-16", "registration": "accepted", "autocharge": "unknown", "ocpp_version": "1.6"},
    ),
    (
        "charger",
        {
            "id": 2,
            "charge_box_id": "CP-201",
            "registration": "accepted",
            "autocharge": "unknown",
            "ocpp_version": "2.0.1",
        },
    ),
    ("connector", {"id": 1, "charger_id": 1, "connector_id": 0, "status": "Available"}),
    ("connector", {"id": 2, "charger_id": 1, "connector_id": 2, "status": "Charging"}),
    ("connector", {"id": 3, "charger_id": 2, "connector_id": 1, "status": "Available"}),
    ("connector", {"id": 4, "charger_id": 2, "connector_id": 2, "status": "Occupied"}),
    ("transaction", {"id": 1, "charger_id": 1, "connector_id": 2, "dedupe_key": "2|TAG|t", "status": "active"}),
    (
        "transaction",
        {"id": 2, "charger_id": 2, "connector_id": 2, "dedupe_key": "tx", "ocpp_tx_id": "tx", "status": "active"},
    ),
)


def places(url: str) -> dict:
    """Return {table: [(charger_id, evse_id, connector_id) in id order]} of connectors and transactions."""
    with connected(url) as conn:
        return {
            table: [
                tuple(row)
                for row in conn.execute(sa.text(f'SELECT charger_id, evse_id, connector_id FROM "{table}" ORDER BY id'))
            ]
            for table in ("connector", "transaction")
        }


def test_evse_ids_move_out_of_the_connector_ids_of_2_0_1_rows_and_back(migrate, empty_url):
    migrate(GUARDS)
    insert(empty_url, CHARGERS)

    migrate(EVSES)
    assert places(empty_url) == {
        "connector": [(1, None, 0), (1, None, 2), (2, 1, 1), (2, 2, 1)],
        "transaction": [(1, None, 2), (2, 2, 1)],
    }
    # EVSE 2 gains a second connector; a 1.6 number and a 2.0.1 one no longer collide, but a repeat does.
    insert(
        empty_url, [("connector", {"id": 5, "charger_id": 2, "evse_id": 2, "connector_id": 2, "status": "Available"})]
    )
    insert(empty_url, [("connector", {"id": 6, "charger_id": 2, "connector_id": 1, "status": "Available"})])
    for evse_id in (None, 2):
        with pytest.raises(sa.exc.IntegrityError):
            row = {
                "id": 7,
                "charger_id": 2 - (evse_id is None),
                "evse_id": evse_id,
                "connector_id": 2,
                "status": "Unknown",
            }
            insert(empty_url, [("connector", row)])

    migrate(GUARDS, down=True)
    with connected(empty_url) as conn:
        rows = conn.execute(sa.text("SELECT id, charger_id, connector_id FROM connector ORDER BY id")).all()
        transactions = conn.execute(sa.text('SELECT charger_id, connector_id FROM "transaction" ORDER BY id')).all()
    # EVSE 2 keeps its first connector's row; the 1.6-style row 6 gives way to EVSE 1.
    assert [tuple(r) for r in rows] == [(1, 1, 0), (2, 1, 2), (3, 2, 1), (4, 2, 2)]
    assert [tuple(t) for t in transactions] == [(1, 2), (2, 2)]
    with pytest.raises(sa.exc.IntegrityError):
        insert(empty_url, [("connector", {"id": 8, "charger_id": 2, "connector_id": 1, "status": "Unknown"})])


COMPARISONS = "e9c4a2f7b1d3"
# The CHECKs it writes as comparisons, a value each accepts, and what the column held.
HOT_CHECKS = {
    ("connector", "status"): "Occupied",
    ("transaction", "status"): "active",
    ("transaction", "origin"): "rfid",
    ("transaction", "auth_status"): "Invalid",
}


def check_sql(url: str, table: str) -> str:
    """Return the text of a table's status CHECKs as the database holds them."""
    with connected(url) as conn:
        if conn.dialect.name == "sqlite":
            return conn.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table})
        query = (
            "SELECT string_agg(pg_get_constraintdef(oid), ' ') FROM pg_constraint"
            " WHERE conrelid = CAST(:t AS regclass) AND contype = 'c'"
        )
        return conn.scalar(sa.text(query), {"t": f'"{table}"'})


def test_the_hot_status_checks_become_comparisons_that_allow_the_same_values(migrate, empty_url):
    migrate(EVSES)
    insert(empty_url, [row for row in ROWS if row[0] in ("charger", "connector", "transaction")][:2])
    insert(empty_url, [ROWS[-1]])
    stored = {key: statuses_of(empty_url, *key) for key in HOT_CHECKS}

    migrate(COMPARISONS)
    assert {key: statuses_of(empty_url, *key) for key in HOT_CHECKS} == stored
    for table in ("connector", "transaction"):
        assert " IN (" not in check_sql(empty_url, table).replace("= ANY", " IN ("), table
    for (table, column), allowed in HOT_CHECKS.items():
        assert not accepts(empty_url, table, column, "bogus"), (table, column)
        assert not accepts(empty_url, table, column, allowed.upper()), (table, column)
        assert accepts(empty_url, table, column, allowed), (table, column)
    assert not accepts(empty_url, "charger", "registration", "bogus")  # the others unchanged

    migrate(EVSES, down=True)
    assert " IN (" in check_sql(empty_url, "connector").replace("= ANY", " IN (")
    for table, column in HOT_CHECKS:
        assert not accepts(empty_url, table, column, "bogus"), (table, column)


def statuses_of(url: str, table: str, column: str) -> list:
    """Return the values of one status column, in id order."""
    with connected(url) as conn:
        return conn.scalars(sa.text(f'SELECT "{column}" FROM "{table}" ORDER BY id')).all()
