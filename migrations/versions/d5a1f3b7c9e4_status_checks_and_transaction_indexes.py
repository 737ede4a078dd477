"""CHECK constraints on the status columns; three redundant transaction indexes gone

Revision ID: d5a1f3b7c9e4
Revises: 2f70108b1b08
Create Date: 2026-12-03 08:00:00

Every status column holds one of a closed set of values (autocharge/models/statuses.py): a named CHECK
(ck_<table>_<column>) now keeps it so. The stored values do not change. Before adding them the upgrade looks for
values outside the sets: a connector's status is only the last one its charger reported (the next StatusNotification
replaces it), so an odd one becomes 'Unknown'; anything else stops the upgrade, before any change, with the rows to
fix. transaction.stop_reason gets no CHECK: a charger's reason is stored as sent, and OCPP versions add reasons.

The transaction table loses three of its thirteen indexes, each paid on every insert: (origin) and (user_id) are
prefixes of (origin, start_time, id) and (user_id, start_time, id); (start_time, id) and (start_time, energy_wh)
become one (start_time, id, energy_wh), which still gives pages in start order and sums a day's or a month's energy
from the index alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "d5a1f3b7c9e4"
down_revision = "2f70108b1b08"
branch_labels = None
depends_on = None

# The sets as they are at this revision (the models' enums may grow later, with a migration of their own).
CHECKS = {
    "admin": {"role": ("viewer", "operator", "admin")},
    "audit_event": {"actor": ("admin", "system", "charger")},
    "charger": {
        "registration": ("pending", "accepted", "rejected"),
        "autocharge": ("supported", "unsupported", "unknown"),
    },
    "charger_command": {"state": ("pending", "sent", "answered", "failed")},
    "connector": {
        "status": (
            "Available",
            "Preparing",
            "Charging",
            "SuspendedEVSE",
            "SuspendedEV",
            "Finishing",
            "Reserved",
            "Unavailable",
            "Faulted",
            "Occupied",
            "Unknown",
        )
    },
    "pairing_session": {"state": ("waiting", "paired", "failed", "expired", "cancelled")},
    "transaction": {
        "status": ("active", "completed"),
        "origin": ("autocharge", "rfid", "app"),
        "auth_status": ("Accepted", "Blocked", "Invalid"),
    },
    "unknown_identifier": {"kind": ("vehicle", "rfid"), "reason": ("unknown", "retired")},
    "user": {"status": ("active", "blocked")},
    "vehicle": {"status": ("pending", "active", "retired")},
}
# Values that may be replaced instead of refused: what the column holds is refreshed by the charger anyway.
REPLACED = {("connector", "status"): "Unknown"}

DROPPED_INDEXES = {
    "ix_transaction_origin": ["origin"],
    "ix_transaction_user_id": ["user_id"],
    "ix_transaction_start_id": ["start_time", "id"],
    "ix_transaction_start_energy": ["start_time", "energy_wh"],
}
MERGED_INDEX = ("ix_transaction_start_id_energy", ["start_time", "id", "energy_wh"])


def _quoted(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _outside(table: str, column: str, values) -> sa.TextClause:
    return sa.text(
        f'SELECT "{column}", count(*) FROM "{table}" WHERE "{column}" NOT IN ({_quoted(values)}) '
        f'GROUP BY "{column}" ORDER BY "{column}"'
    )


def _check_values() -> None:
    """Replace what may be replaced; refuse the upgrade, changing nothing, if other columns hold odd values."""
    bind = op.get_bind()
    wrong = []
    for table, columns in CHECKS.items():
        for column, values in columns.items():
            found = bind.execute(_outside(table, column, values)).all()
            if found and (table, column) not in REPLACED:
                shown = ", ".join(f"{value!r} ({count} rows)" for value, count in found)
                wrong.append(f"  {table}.{column}: {shown}; allowed: {', '.join(values)}")
    if wrong:
        raise RuntimeError(
            "Migration d5a1f3b7c9e4 adds CHECK constraints, but these columns hold values outside their set. "
            "Nothing was changed; update or delete those rows, then upgrade again:\n" + "\n".join(wrong)
        )
    for (table, column), value in REPLACED.items():
        allowed = _quoted(CHECKS[table][column])
        bind.execute(sa.text(f"UPDATE \"{table}\" SET \"{column}\" = '{value}' WHERE \"{column}\" NOT IN ({allowed})"))


def upgrade():
    _check_values()
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                batch.create_check_constraint(op.f(f"ck_{table}_{column}"), sa.text(f'"{column}" IN ({_quoted(values)})'))
            if table == "transaction":
                batch.create_index(*MERGED_INDEX)
                for name in DROPPED_INDEXES:
                    batch.drop_index(name)


def downgrade():
    for table, columns in reversed(CHECKS.items()):
        with op.batch_alter_table(table) as batch:
            if table == "transaction":
                for name, index_columns in DROPPED_INDEXES.items():
                    batch.create_index(name, index_columns)
                batch.drop_index(MERGED_INDEX[0])
            for column in reversed(columns):
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
