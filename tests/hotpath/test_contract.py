"""The hot path against SQLAlchemy: the canary for SQLAlchemy upgrades (autocharge/hotpath/internals.py).

Every prebuilt statement runs twice on the same seeded database, each time rolled back: through the hot path (the
connection autocharge.hotpath.runner picks) and through SQLAlchemy on the ORM session's connection. Both must send
the same SQL and the same bound values (after the types' bind processors: datetimes, booleans), fill in the same
column defaults and onupdates, return the same rows with the same Python types (result processors), count the
same rows and leave the same stored rows, read raw from the driver.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from autocharge.db import utcnow
from autocharge.extensions import db
from autocharge.hotpath import chargers, pairing, runner, tokens, transactions  # noqa: F401  (they register PREBUILT)
from autocharge.models import (
    Charger,
    Connector,
    MeterSample,
    PairingSession,
    RemoteStart,
    RfidTag,
    Transaction,
    User,
    Vehicle,
)

T0 = datetime(2024, 5, 1, 10, 0)  # no microseconds: a datetime not converted by SQLAlchemy is stored differently
T1 = datetime(2024, 5, 1, 10, 7, 30, 250000)
NOW = "<now>"  # a Python-side default (utcnow) of this run, which differs between the two runs


class Status(StrEnum):
    """A status as a StrEnum member, as the services pass them."""

    CHARGING = "Charging"


@dataclass(frozen=True)
class Case:
    """One run of a prebuilt statement: its parameters (a list: executemany) and the tables it may change."""

    params: dict | list
    tables: tuple[str, ...] = ()
    changes: bool = True  # False: the statement must match no row (a late socket, no register)


OWNER = {
    "p_tx": 1,
    "p_id_token": "TAG2",
    "p_id_token_type": "ISO14443",
    "p_auth_status": "Accepted",
    "p_user_id": 1,
    "p_vehicle_id": 1,
    "p_origin": "rfid",
}
NEW_TRANSACTION = {
    "charger_id": 1,
    "connector_id": 2,
    "dedupe_key": "2|TAG1|2024-05-01T10:07:30Z",
    "ocpp_tx_id": None,
    "start_time": T1,
    "meter_start": 500,
    "id_token": "TAG1",
    "id_token_type": None,
    "auth_status": "Accepted",
    "user_id": 1,
    "vehicle_id": None,
    "origin": "rfid",
}
ENDED_TRANSACTION = {  # a 2.0.1 transaction first heard of in its Ended event: one INSERT (services.transaction_plan)
    "charger_id": 2,
    "evse_id": 2,
    "connector_id": 1,
    "dedupe_key": "tx-ended",
    "ocpp_tx_id": "tx-ended",
    "start_time": T0,
    "meter_start": 100,
    "counted_from": T0,
    "energy_wh": 400,
    "status": "completed",
    "stop_time": T1,
    "meter_stop": 500,
    "stop_reason": "EVDisconnected",
}
SAMPLES = [  # the first is stored already (a retry): skipped
    {"transaction_id": 1, "timestamp": T0 + timedelta(minutes=1), "energy_wh": 1100.0, "power_w": None, "soc": None},
    {"transaction_id": 1, "timestamp": T1, "energy_wh": 1750.5, "power_w": 7200.25, "soc": 41.0},
    {"transaction_id": 1, "timestamp": T1 + timedelta(seconds=1), "energy_wh": None, "power_w": 7100.0, "soc": None},
]
READINGS = {  # SAMPLES as the readings statements take them: one JSON array of objects, ISO 8601 times
    "p_samples": json.dumps(
        [{name: sample[name] for name in ("timestamp", "energy_wh", "power_w", "soc")} for sample in SAMPLES],
        default=datetime.isoformat,
    )
}

CASES: dict[str, list[Case]] = {
    "chargers.boot": [
        Case(
            {
                "charger_id": 1,
                "p_vendor": "Vendor",
                "p_model": "Model",
                "p_serial": None,
                "p_firmware": "1.2",
                "p_version": "2.0.1",
                "now": T1,
            },
            ("charger",),
        ),
        Case(
            {
                **dict.fromkeys(("p_vendor", "p_model", "p_serial", "p_firmware", "p_version")),
                "charger_id": 99,
                "now": T1,
            }
        ),
    ],
    "chargers.connected": [
        Case({"charger_id": 2, "p_connection": "socket-2", "p_version": None, "now": T0}, ("charger",)),
        Case({"charger_id": 2, "p_connection": "socket-2", "p_version": "1.6", "now": T1}, ("charger",)),
    ],
    "chargers.disconnected": [
        Case({"charger_id": 1, "p_connection": "socket-1", "now": T1}, ("charger",)),
        Case({"charger_id": 1, "p_connection": "an-old-socket", "now": T1}, ("charger",), changes=False),
    ],
    "chargers.heartbeat_seen": [
        Case([{"charger_id": 1, "now": T1}, {"charger_id": 2, "now": T0}, {"charger_id": 1, "now": T0}], ("charger",))
    ],
    "chargers.update_connector_status": [
        Case(
            {
                "charger_id": 1,
                "evse_id": None,
                "connector_id": 1,
                "status": Status.CHARGING,
                "error_code": None,
                "updated_at": T1,
            },
            ("connector",),
        ),
        Case(
            {
                "charger_id": 1,
                "evse_id": None,
                "connector_id": 2,
                "status": "Faulted",
                "error_code": "GroundFailure",
                "updated_at": T0,
            },
            ("connector",),
        ),
    ],
    "chargers.update_connector_status_existing": [  # connector 1 is stored; connector 2 is not: no row
        Case(
            {"p_charger": 1, "p_connector": 1, "p_status": "Faulted", "p_error": "GroundFailure", "p_now": T1},
            ("connector",),
        ),
        Case(
            {"p_charger": 1, "p_connector": 2, "p_status": Status.CHARGING, "p_error": None, "p_now": T1},
            ("connector",),
            changes=False,
        ),
    ],
    "chargers.update_evse_status": [  # EVSE 1's connector 1 is stored: updated; its connector 2 is new
        Case(
            {
                "charger_id": 2,
                "evse_id": 1,
                "connector_id": 1,
                "status": "Occupied",
                "error_code": None,
                "updated_at": T1,
            },
            ("connector",),
        ),
        Case(
            {
                "charger_id": 2,
                "evse_id": 1,
                "connector_id": 2,
                "status": "Available",
                "error_code": None,
                "updated_at": T0,
            },
            ("connector",),
        ),
    ],
    "pairing.waiting_pairing_id": [Case({"p_charger": 1}), Case({"p_charger": 2})],
    "tokens.active_vehicle": [Case({"p_ident": "0A1B2C3D4E5F"}), Case({"p_ident": "FFFFFFFFFFFF"})],
    "tokens.any_vehicle_id": [Case({"p_ident": "111111111111"})],
    "tokens.remote_start_by_token": [Case({"p_token": "REMOTE1"})],
    "tokens.remote_start_by_id": [Case({"p_id": 1}), Case({"p_id": 2})],
    "tokens.user_by_tag": [Case({"p_tag": "TAG1"})],
    "tokens.active_vehicle_ids": [Case({"p_user": 1})],
    "transactions.find_by_key": [Case({"charger_id": 1, "key": "1|TAG1|2024-05-01T10:00:00Z"})],
    "transactions.find_by_id": [Case({"charger_id": 1, "tx_id": 1}), Case({"charger_id": 2, "tx_id": 1})],
    "transactions.active_on": [Case({"charger_id": 1, "connector_id": 1})],
    "transactions.active_on_evse": [Case({"charger_id": 2, "evse_id": 2}), Case({"charger_id": 2, "evse_id": 1})],
    "transactions.insert_transaction": [
        Case(NEW_TRANSACTION, ("transaction",)),
        Case({"charger_id": 2, "dedupe_key": "tx-201", "ocpp_tx_id": "tx-201", "start_time": T0}, ("transaction",)),
        Case(ENDED_TRANSACTION, ("transaction",)),
    ],
    "transactions.complete": [
        Case(
            {"p_tx": 1, "p_time": T1, "p_stop": 2500, "p_energy": 1500, "p_reason": "EVDisconnected"}, ("transaction",)
        )
    ],
    "transactions.record_register_by_id": [
        Case({"p_tx": 1, "p_charger": 1, "p_register": 1800}, ("transaction",)),
        Case({"p_tx": 1, "p_charger": 1, "p_register": None}, ("transaction",), changes=False),
    ],
    "transactions.record_register_by_key": [
        Case({"p_charger": 1, "p_key": "1|TAG1|2024-05-01T10:00:00Z", "p_register": 2000}, ("transaction",))
    ],
    # On PostgreSQL the register's UPDATE with the samples' insert (arrays); on SQLite the UPDATE alone.
    "transactions.record_readings_by_id": [
        Case({"p_tx": 1, "p_charger": 1, "p_register": 1800, "p_now": T1, **READINGS}, ("transaction", "meter_sample")),
        Case(
            {"p_tx": 1, "p_charger": 2, "p_register": 1800, "p_now": T1, **READINGS}, ("meter_sample",), changes=False
        ),
    ],
    "transactions.store_readings_by_id": [
        Case({"p_tx": 1, "p_charger": 1, "p_register": 1800, "p_now": T1, **READINGS}, ("transaction", "meter_sample")),
        Case(
            {"p_tx": 1, "p_charger": 2, "p_register": 1800, "p_now": T1, **READINGS}, ("meter_sample",), changes=False
        ),
    ],
    "transactions.record_readings_by_key": [
        Case(
            {"p_charger": 1, "p_key": "1|TAG1|2024-05-01T10:00:00Z", "p_register": 2000, "p_now": T1, **READINGS},
            ("transaction", "meter_sample"),
        ),
        Case(
            {"p_charger": 2, "p_key": "tx-evse", "p_register": 2000, "p_now": T1, **READINGS},
            ("meter_sample",),
            changes=False,
        ),
    ],
    "transactions.raise_energy": [Case({"tx_id": 1, "energy": 900}, ("transaction",))],
    "transactions.set_owner": [Case(OWNER, ("transaction",))],
    "transactions.set_meter": [
        Case({"p_tx": 1, "p_start": 1200, "p_energy": 300, "p_from": T1}, ("transaction",)),
        Case({"p_tx": 1, "p_start": 900, "p_energy": 0, "p_from": None}, ("transaction",)),
    ],
    "transactions.has_energy_sample": [Case({"tx_id": 1}), Case({"tx_id": 2})],
    "transactions.link_remote_start": [Case({"p_remote": 1, "p_tx": 1}, ("remote_start",))],
    "transactions.insert_samples": [Case(SAMPLES, ("meter_sample",))],
}


@pytest.fixture
def seeded(app):
    """Store what the statements find: two chargers, a user with a tag and vehicles, a transaction, a start."""
    session = db.session
    session.add_all(
        [
            Charger(charge_box_id="CP-1", online=True, connection_id="socket-1", last_seen=T0, ocpp_version="1.6"),
            Charger(charge_box_id="CP-2", registration="pending"),
            User(name="Jane Doe", email="jane@example.com"),
        ]
    )
    session.flush()
    session.add_all(
        [
            RfidTag(user_id=1, tag="TAG1"),
            Vehicle(user_id=1, plate="AB 123", plate_key="AB123", identifier="0A1B2C3D4E5F", status="active"),
            Vehicle(user_id=1, plate="OLD 1", plate_key="OLD1", identifier="111111111111", status="retired"),
            Connector(charger_id=1, connector_id=1, status="Preparing", updated_at=T0),
            Connector(charger_id=2, evse_id=1, connector_id=1, status="Available", updated_at=T0),
            Transaction(charger_id=1, dedupe_key="1|TAG1|2024-05-01T10:00:00Z", start_time=T0, meter_start=1000),
            Transaction(
                charger_id=2, evse_id=2, connector_id=1, dedupe_key="tx-evse", ocpp_tx_id="tx-evse", start_time=T0
            ),
        ]
    )
    session.flush()
    session.add_all(
        [
            MeterSample(transaction_id=1, timestamp=T0 + timedelta(minutes=1), energy_wh=1100.0),
            RemoteStart(charger_id=1, user_id=1, id_token="REMOTE1", expires_at=T1),
            PairingSession(vehicle_id=1, charger_id=1, deadline=T1),
        ]
    )
    session.commit()
    return app


def _cases():
    """Yield (statement name, case number) for every case."""
    for name, cases in CASES.items():
        for number in range(len(cases)):
            yield pytest.param(name, number, id=f"{name}-{number}")


def test_every_prebuilt_statement_has_a_case():
    assert set(CASES) == set(runner.PREBUILT)


def _partial_index_columns() -> set[tuple[str, str]]:
    """Return (table, column) of every column the WHERE of a partial index reads on SQLite."""
    found = set()
    for table in db.metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"].get("where")
            if where is not None:
                found.update((table.name, name) for name in re.findall(r"(\w+) *(?:=|!=|<>|IS\b)", str(where)))
    return found


def test_no_prebuilt_statement_binds_what_a_partial_index_tests():
    # SQLite prepares such a statement again at every run, its plan depending on the value (a read of ~1 us
    # took ~7): the statement writes the value in with runner.constant().
    columns = _partial_index_columns()
    assert ("pairing_session", "state") in columns  # the check sees the indexes
    for name, build in runner.PREBUILT.items():
        sql = str(build("sqlite").compile(dialect=sqlite.dialect()))
        for table, column in columns:
            assert not re.search(rf'\b"?{table}"?\.{column} *(=|!=|<>) *\?', sql), (name, table, column)


@pytest.mark.parametrize(("name", "number"), list(_cases()))
def test_hot_path_runs_like_sqlalchemy(seeded, name, number):
    case = CASES[name][number]
    statement = runner.PREBUILT[name](db.engine.dialect.name)
    hot, core = _through_hot_path(statement, case), _through_sqlalchemy(statement, case)
    assert hot == core
    if case.tables:  # the run changed what it should (or nothing, when it should not)
        assert (hot.stored != _stored(case.tables)) == case.changes


@dataclass
class Outcome:
    """What one run sent and what it left."""

    sent: list  # (SQL, parameters) per cursor call
    rows: list
    rowcount: int | None  # None for a statement that returns rows: those are compared instead
    stored: dict


class _Recording:
    """A DBAPI connection that records what its cursors are given."""

    def __init__(self, dbapi, sent: list):
        self._dbapi, self._sent = dbapi, sent

    def cursor(self):
        """Return a cursor of the connection that records its calls."""
        return _RecordingCursor(self._dbapi.cursor(), self._sent)


class _RecordingCursor:
    """A DBAPI cursor that records execute() and executemany() calls."""

    def __init__(self, cursor, sent: list):
        self._cursor, self._sent = cursor, sent

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def execute(self, sql, params=()):
        self._sent.append((sql, _bound(params)))
        return self._cursor.execute(sql, params)

    def executemany(self, sql, params):
        params = list(params)
        self._sent.append((sql, [_bound(p) for p in params]))
        return self._cursor.executemany(sql, params)


def _through_hot_path(statement, case: Case) -> Outcome:
    """Run a case through the hot path, record it and roll it back."""
    sent: list = []
    if db.engine.dialect.name == "postgresql":
        db.session.connection()  # the hot path joins the session's transaction (not autocommit): the case rolls back
    conn = runner.connection()
    _restart_ids(case.tables, conn.dbapi)
    recording = runner.Connection(_Recording(conn.dbapi, sent), conn.dialect)
    try:
        result = recording.execute(statement, case.params)
        rows = [_typed(tuple(row)) for row in result.all()]
        return Outcome(sent, rows, _rowcount(statement, result), _stored(case.tables, conn.dbapi))
    finally:
        conn.dbapi.rollback()
        db.session.rollback()
        runner.end_write()  # this write ends here, not in a db.writing()


def _through_sqlalchemy(statement, case: Case) -> Outcome:
    """Run a case through the ORM session's connection (SQLAlchemy's own execution), record it, roll it back."""
    sent: list = []

    def record(_conn, _cursor, sql, params, _context, executemany):
        sent.append((sql, [_bound(p) for p in params] if executemany else _bound(params)))

    conn = db.session.connection()
    _restart_ids(case.tables, conn.connection.dbapi_connection)
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = conn.execute(statement, case.params, execution_options={"preserve_rowcount": True})
        rows = [_typed(tuple(row)) for row in result.all()] if result.returns_rows else []
        return Outcome(sent, rows, _rowcount(statement, result), _stored(case.tables, conn.connection.dbapi_connection))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
        db.session.rollback()


def _restart_ids(tables: tuple[str, ...], dbapi) -> None:
    """Make PostgreSQL's next id of each table follow its last row (a rolled-back insert used one up)."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite takes max(id) + 1
    cursor = dbapi.cursor()
    try:
        for table in tables:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), max(id)) FROM \"{table}\"")
    finally:
        cursor.close()


def _rowcount(statement, result) -> int | None:
    """Return the rows a statement without RETURNING changed (the hot path reads only those counts).

    sqlite3 counts the rows of an UPDATE ... RETURNING only once they are fetched, and SQLAlchemy reads the count
    before: the hot path's count differs, and nothing reads it.
    """
    return None if isinstance(statement, sa.Select) or statement.exported_columns else result.rowcount


def _stored(tables: tuple[str, ...], dbapi=None) -> dict:
    """Return every row of the tables as the driver reads them, no SQLAlchemy type in between."""
    if dbapi is None:
        dbapi = db.session.connection().connection.dbapi_connection
    cursor = dbapi.cursor()
    try:
        stored = {}
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY id')
            stored[table] = [_typed(row) for row in cursor.fetchall()]
        return stored
    finally:
        cursor.close()


def _typed(row) -> list:
    """Return a row's values with their types (True == 1 in Python; a bound 1 is not a bound True)."""
    return [(type(value).__name__, _now_or(value)) for value in row]


def _bound(params):
    """Return DBAPI parameters with their types, the time of this run replaced by NOW."""
    if isinstance(params, dict):
        return {key: (type(value).__name__, _now_or(value)) for key, value in params.items()}
    return _typed(params)


def _now_or(value):
    """Return NOW for a datetime (or SQLite's text of one) within a minute of the clock, else the value."""
    moment = value
    if isinstance(value, str) and len(value) == 26 and value[4] == "-" and value[10] == " ":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(moment, datetime) and abs(moment.replace(tzinfo=None) - utcnow()) < timedelta(minutes=1):
        return f"{NOW} {type(value).__name__}"
    return value
