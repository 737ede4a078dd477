"""Transactions and meter samples on the hot path: meter values arrive every few seconds per charger.

Rows read here (`find_by_key`, `find_by_id`, `active_on`, `active_on_evse`) have the columns of ROW, by name and in that order.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..db import utcnow
from ..models import MeterSample, RemoteStart, Transaction
from ..models.statuses import TransactionStatus
from ..wire.codec import dumps
from . import runner
from .pggroup import run_blind
from .runner import connection, prebuilt, prebuilt_per_dialect, run

ROW = (
    Transaction.id,
    Transaction.status,
    Transaction.meter_start,
    Transaction.energy_wh,
    Transaction.id_token,
    Transaction.auth_status,
    Transaction.origin,
    Transaction.counted_from,
)
OWNER_COLUMNS = ("id_token", "id_token_type", "auth_status", "user_id", "vehicle_id", "origin")


class Reading(Protocol):
    """A meter reading as the services hold it (services.transactions.Sample)."""

    timestamp: datetime
    energy_wh: float | None
    power_w: float | None
    soc: float | None


_BY_KEY = prebuilt(
    "transactions.find_by_key",
    sa.select(*ROW).where(
        Transaction.charger_id == sa.bindparam("charger_id"), Transaction.dedupe_key == sa.bindparam("key")
    ),
)
_BY_ID = prebuilt(
    "transactions.find_by_id",
    sa.select(*ROW).where(
        Transaction.charger_id == sa.bindparam("charger_id"), Transaction.id == sa.bindparam("tx_id")
    ),
)
_ACTIVE_ON = prebuilt(
    "transactions.active_on",
    sa.select(*ROW)
    .where(
        Transaction.charger_id == sa.bindparam("charger_id"),
        Transaction.connector_id == sa.bindparam("connector_id"),
        Transaction.status == TransactionStatus.ACTIVE,
    )
    .order_by(Transaction.id.desc())
    .limit(1),
)
# A 2.0.1 MeterValues names the EVSE only.
_ACTIVE_ON_EVSE = prebuilt(
    "transactions.active_on_evse",
    sa.select(*ROW)
    .where(
        Transaction.charger_id == sa.bindparam("charger_id"),
        Transaction.evse_id == sa.bindparam("evse_id"),
        Transaction.status == TransactionStatus.ACTIVE,
    )
    .order_by(Transaction.id.desc())
    .limit(1),
)
# SQLite tells the new row's id without RETURNING (lastrowid), which doubled the cost of its statements.
_INSERT = prebuilt_per_dialect(
    "transactions.insert_transaction",
    lambda dialect_name: (
        sa.insert(Transaction).returning(Transaction.id) if dialect_name == "postgresql" else sa.insert(Transaction)
    ),
)
_COMPLETE = prebuilt(
    "transactions.complete",
    sa.update(Transaction)
    .where(Transaction.id == sa.bindparam("p_tx"), Transaction.status == TransactionStatus.ACTIVE)
    .values(
        status=TransactionStatus.COMPLETED,
        stop_time=sa.bindparam("p_time"),
        meter_stop=sa.bindparam("p_stop"),
        energy_wh=sa.bindparam("p_energy"),
        stop_reason=sa.bindparam("p_reason"),
    ),
)
# A meter register raises a running transaction's energy in the same statement that finds it (the register only
# grows); RETURNING tells whether it matched.
_REGISTER = sa.bindparam("p_register", type_=sa.BigInteger)


def _raised_energy(*conditions):
    """Return the energy a meter register gives a running transaction, never lower than it has (SQL CASE)."""
    grows = _REGISTER - Transaction.meter_start > Transaction.energy_wh
    return sa.case(
        (
            sa.and_(Transaction.status == TransactionStatus.ACTIVE, *conditions, grows),
            _REGISTER - Transaction.meter_start,
        ),
        else_=Transaction.energy_wh,
    )


def _record_by_id() -> sa.Update:
    """Return a new UPDATE raising the energy of the charger's transaction with this id.

    New each time: SQLAlchemy keeps a statement's columns once asked, and a copy made by .returning() keeps them too.
    """
    return (
        sa.update(Transaction)
        .where(Transaction.id == sa.bindparam("p_tx"), Transaction.charger_id == sa.bindparam("p_charger"))
        .values(energy_wh=_raised_energy())
    )


# Without RETURNING: the row count tells whether it matched, and on SQLite RETURNING doubled the statement's cost.
_RECORD_BY_ID = prebuilt("transactions.record_register_by_id", _record_by_id())
# The same for a 2.0.1 transaction named by the charger's transactionId. A transaction whose Started event had no
# reading (meter_start and energy both 0) is left alone: services.transactions counts from its first reading.
_RECORD_BY_KEY = prebuilt(
    "transactions.record_register_by_key",
    sa.update(Transaction)
    .where(Transaction.charger_id == sa.bindparam("p_charger"), Transaction.dedupe_key == sa.bindparam("p_key"))
    .values(energy_wh=_raised_energy(sa.or_(Transaction.meter_start != 0, Transaction.energy_wh != 0)))
    .returning(Transaction.id, Transaction.meter_start, Transaction.energy_wh),
)
# A late, older reading (queued while offline) must not lower the energy.
_RAISE_ENERGY = prebuilt(
    "transactions.raise_energy",
    sa.update(Transaction)
    .where(Transaction.id == sa.bindparam("tx_id"), Transaction.energy_wh < sa.bindparam("energy"))
    .values(energy_wh=sa.bindparam("energy")),
)
_SET_OWNER = prebuilt(
    "transactions.set_owner",
    sa.update(Transaction)
    .where(Transaction.id == sa.bindparam("p_tx"))
    .values({name: sa.bindparam(f"p_{name}") for name in OWNER_COLUMNS}),
)
_SET_METER = prebuilt(
    "transactions.set_meter",
    sa.update(Transaction)
    .where(Transaction.id == sa.bindparam("p_tx"))
    .values(
        meter_start=sa.bindparam("p_start"), energy_wh=sa.bindparam("p_energy"), counted_from=sa.bindparam("p_from")
    ),
)
_HAS_ENERGY = prebuilt(
    "transactions.has_energy_sample",
    sa.select(MeterSample.id)
    .where(MeterSample.transaction_id == sa.bindparam("tx_id"), MeterSample.energy_wh.is_not(None))
    .limit(1),
)
_LINK_REMOTE = prebuilt(
    "transactions.link_remote_start",
    sa.update(RemoteStart)
    .where(RemoteStart.id == sa.bindparam("p_remote"), RemoteStart.transaction_id.is_(None))
    .values(transaction_id=sa.bindparam("p_tx")),
)


# The readings of a meter values message in the statement that records its register (PostgreSQL: one round trip, so
# the write needs no BEGIN and COMMIT): the samples travel as one JSON text (orjson writes it in C; as arrays,
# psycopg's and SQLAlchemy's array handling in Python took a tenth of a frame), and are inserted only for the
# transaction the statement finds. SQLite runs the register's statement, then the sample insert.
_SAMPLE_COLUMNS = {"timestamp": sa.DateTime, "energy_wh": sa.Float, "power_w": sa.Float, "soc": sa.Float}
_NOW = sa.bindparam("p_now", type_=sa.DateTime)  # with a CTE, SQLAlchemy computes no onupdate: updated_at is given


def _readings():
    """Return the samples given as a JSON array of objects (PostgreSQL's json_to_recordset), as a FROM of the sample
    columns."""
    text = sa.cast(sa.bindparam("p_samples", type_=sa.Text), postgresql.JSON)
    columns = [sa.column(name, kind) for name, kind in _SAMPLE_COLUMNS.items()]
    return sa.func.json_to_recordset(text).table_valued(*columns).render_derived(name="s", with_types=True)


def _insert_readings(select):
    """Return a CTE inserting the rows of `select` (transaction id, then the sample columns), retries skipped."""
    insert = postgresql.insert(MeterSample).from_select(["transaction_id", *_SAMPLE_COLUMNS], select)
    return insert.on_conflict_do_nothing(index_elements=["transaction_id", "timestamp"]).cte("samples")


def _readings_by_id(dialect_name: str, returning: bool = True):
    """Return record_register_by_id's UPDATE, on PostgreSQL with the samples' insert (and the id it raised, unless
    `returning` is false)."""
    if dialect_name != "postgresql":
        return _RECORD_BY_ID
    found = sa.exists().where(
        Transaction.id == sa.bindparam("p_tx"), Transaction.charger_id == sa.bindparam("p_charger")
    )
    src = _readings()
    rows = sa.select(sa.bindparam("p_tx", type_=sa.Integer), *[src.c[name] for name in _SAMPLE_COLUMNS]).where(found)
    update = _record_by_id().values(updated_at=_NOW)
    return (update.returning(Transaction.id) if returning else update).add_cte(_insert_readings(rows))


def _readings_by_key(dialect_name: str):
    """Return record_register_by_key's UPDATE, on PostgreSQL with the samples' insert (if it has a start reading)."""
    if dialect_name != "postgresql":
        return _RECORD_BY_KEY
    src = _readings()
    rows = (
        sa.select(Transaction.id, *[src.c[name] for name in _SAMPLE_COLUMNS])
        .join(src, sa.true())
        .where(
            Transaction.charger_id == sa.bindparam("p_charger"),
            Transaction.dedupe_key == sa.bindparam("p_key"),
            sa.or_(Transaction.meter_start != 0, Transaction.energy_wh != 0),
        )
    )
    return _RECORD_BY_KEY.values(updated_at=_NOW).add_cte(_insert_readings(rows))


_READINGS_BY_ID = prebuilt_per_dialect("transactions.record_readings_by_id", _readings_by_id)
# The same that tells nothing: on PostgreSQL a blind write (pggroup.py), sent with other frames' in one round trip.
_STORE_BY_ID = prebuilt_per_dialect(
    "transactions.store_readings_by_id", lambda dialect_name: _readings_by_id(dialect_name, returning=False)
)
_READINGS_BY_KEY = prebuilt_per_dialect("transactions.record_readings_by_key", _readings_by_key)


def _samples_insert(dialect_name: str):
    """Return the INSERT of meter samples that skips those a retried message already stored, for one dialect."""
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(MeterSample)
    return insert.on_conflict_do_nothing(index_elements=["transaction_id", "timestamp"])


_INSERT_SAMPLES = prebuilt_per_dialect("transactions.insert_samples", _samples_insert)


def find_by_key(charger_id: int, dedupe_key: str):
    """Return the charger's transaction row (ROW) with this dedupe key, or None."""
    return run(_BY_KEY, {"charger_id": charger_id, "key": dedupe_key}).first()


def find_by_id(charger_id: int, tx_id: int):
    """Return the charger's transaction row (ROW) with this id, or None."""
    return run(_BY_ID, {"charger_id": charger_id, "tx_id": tx_id}).first()


def active_on(charger_id: int, connector_id: int):
    """Return the row (ROW) of the latest transaction running on a connector, or None."""
    return run(_ACTIVE_ON, {"charger_id": charger_id, "connector_id": connector_id}).first()


def active_on_evse(charger_id: int, evse_id: int):
    """Return the row (ROW) of the latest transaction running on a 2.0.1 EVSE, or None."""
    return run(_ACTIVE_ON_EVSE, {"charger_id": charger_id, "evse_id": evse_id}).first()


def insert_transaction(columns: dict) -> int:
    """Insert a transaction with these column values (the rest take their defaults); return its id."""
    conn = connection()
    result = conn.execute(_INSERT(conn.dialect.name), columns)
    return result.scalar_one() if conn.dialect.name == "postgresql" else result.lastrowid


def complete(tx_id: int, stop_time: datetime, meter_stop: int, energy_wh: int, reason: str) -> None:
    """Complete a running transaction (a completed one is left as it is)."""
    params = {"p_tx": tx_id, "p_time": stop_time, "p_stop": meter_stop, "p_energy": energy_wh, "p_reason": reason}
    run(_COMPLETE, params)


def record_register_by_id(charger_id: int, tx_id: int, register: int | None) -> bool:
    """Raise a running transaction's energy to what its meter register shows; tell whether it is the charger's."""
    params = {"p_tx": tx_id, "p_charger": charger_id, "p_register": register}
    return run(_RECORD_BY_ID, params).rowcount > 0


def record_register_by_key(charger_id: int, dedupe_key: str, register: int | None):
    """Raise the energy of the transaction with this key (if it has a start reading); return (id, meter_start,
    energy_wh) as they were before, or None when the charger has no such transaction."""
    return run(_RECORD_BY_KEY, {"p_charger": charger_id, "p_key": dedupe_key, "p_register": register}).first()


def record_readings_by_id(charger_id: int, tx_id: int, register: int | None, samples: Iterable[Reading]) -> bool:
    """Do record_register_by_id, then store the samples if the transaction is the charger's; tell whether it was.

    On PostgreSQL one statement, run alone: it must be all that its db.writing() writes (see runner.run).
    """
    samples = list(samples)
    if runner.dialect_name() != "postgresql":
        return _record_readings_apart(charger_id, tx_id, register, samples)
    params = _readings_params(charger_id, tx_id, register, samples)
    return run(_READINGS_BY_ID("postgresql"), params, alone=True).first() is not None


def store_readings_by_id(charger_id: int, tx_id: int, register: int | None, samples: Iterable[Reading]) -> None:
    """Do record_readings_by_id without telling whether the transaction is the charger's.

    On PostgreSQL one statement, a blind write: it must be all that its db.writing() writes (see pggroup.py).
    """
    samples = list(samples)
    if runner.dialect_name() != "postgresql":
        _record_readings_apart(charger_id, tx_id, register, samples)
        return
    run_blind(_STORE_BY_ID("postgresql"), _readings_params(charger_id, tx_id, register, samples))


def _record_readings_apart(charger_id: int, tx_id: int, register: int | None, samples: list[Reading]) -> bool:
    """SQLite's record_readings_by_id: the register's UPDATE, then the samples' INSERT if it matched."""
    if not record_register_by_id(charger_id, tx_id, register):
        return False
    insert_samples(tx_id, samples)
    return True


def _readings_params(charger_id: int, tx_id: int, register: int | None, samples: list[Reading]) -> dict:
    """Return the parameters of PostgreSQL's readings-by-id statements."""
    return {"p_tx": tx_id, "p_charger": charger_id, "p_register": register, "p_now": utcnow(), **_json(samples)}


def record_readings_by_key(charger_id: int, dedupe_key: str, register: int | None, samples: Iterable[Reading]):
    """Do record_register_by_key, then store the samples if the transaction has a start reading; return its row.

    On PostgreSQL one statement, run alone: it must be all that its db.writing() writes (see runner.run).
    """
    samples = list(samples)
    if runner.dialect_name() != "postgresql":
        row = record_register_by_key(charger_id, dedupe_key, register)
        if row is not None and (row.meter_start or row.energy_wh):
            insert_samples(row.id, samples)
        return row
    params = {"p_charger": charger_id, "p_key": dedupe_key, "p_register": register, "p_now": utcnow()}
    params.update(_json(samples))
    return run(_READINGS_BY_KEY("postgresql"), params, alone=True).first()


def _json(samples: list[Reading]) -> dict:
    """Return the samples as the readings statements' one parameter: a JSON array of objects, one per sample."""
    rows = [{name: getattr(s, name) for name in _SAMPLE_COLUMNS} for s in samples]
    return {"p_samples": dumps(rows)}


def raise_energy(tx_id: int, energy_wh: int) -> None:
    """Raise a transaction's energy to `energy_wh`; never lower it."""
    run(_RAISE_ENERGY, {"tx_id": tx_id, "energy": energy_wh})


def set_owner(tx_id: int, owner: dict) -> None:
    """Write whom a transaction belongs to (the OWNER_COLUMNS, by name)."""
    run(_SET_OWNER, {"p_tx": tx_id, **{f"p_{name}": owner[name] for name in OWNER_COLUMNS}})


def set_meter(tx_id: int, meter_start: int, energy_wh: int, counted_from: datetime | None) -> None:
    """Write a transaction's start register, energy and the time energy is counted from."""
    run(_SET_METER, {"p_tx": tx_id, "p_start": meter_start, "p_energy": energy_wh, "p_from": counted_from})


def has_energy_sample(tx_id: int) -> bool:
    """Tell whether a transaction already has a sample with an energy register."""
    return run(_HAS_ENERGY, {"tx_id": tx_id}).first() is not None


def link_remote_start(remote_start_id: int, tx_id: int) -> None:
    """Mark a back-office start as used by a transaction, unless another transaction used it first."""
    run(_LINK_REMOTE, {"p_remote": remote_start_id, "p_tx": tx_id})


def insert_samples(tx_id: int, samples: Iterable[Reading]) -> None:
    """Insert meter samples of a transaction, skipping those a retried message already stored."""
    rows = [
        {
            "transaction_id": tx_id,
            "timestamp": s.timestamp,
            "energy_wh": s.energy_wh,
            "power_w": s.power_w,
            "soc": s.soc,
        }
        for s in samples
    ]
    if rows:
        conn = connection()
        conn.execute(_INSERT_SAMPLES(conn.dialect.name), rows)
