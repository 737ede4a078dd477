"""The CHECKs of the status columns a charger's messages write, as comparisons instead of IN lists

Revision ID: e9c4a2f7b1d3
Revises: c7d4e2a9f1b6
Create Date: 2026-12-06 06:00:00

SQLite evaluates a CHECK (status IN ('Available', ...)) of more than two values by building a temporary b-tree of
the list at every statement that writes the column: it doubled the cost of a StatusNotification's UPDATE (18-24 us
against 11 us, measured on a copy of a bench database). The same set written as comparisons joined by OR allows and
refuses exactly the same values and costs a few comparisons. Only the columns the OCPP hot path writes change:
connector.status (every StatusNotification) and transaction.status, origin and auth_status (a transaction's start,
owner and stop). The other status CHECKs stay as migration d5a1f3b7c9e4 made them; the models still declare IN lists
(models/statuses.py), which mean the same.

On SQLite each table is rebuilt (copied) to change its CHECKs: on a large transaction table the upgrade takes a while.
"""

import sqlalchemy as sa
from alembic import op

revision = "e9c4a2f7b1d3"
down_revision = "c7d4e2a9f1b6"
branch_labels = None
depends_on = None

# The sets as they are at this revision (models/statuses.py).
CHECKS = {
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
    "transaction": {
        "status": ("active", "completed"),
        "origin": ("autocharge", "rfid", "app"),
        "auth_status": ("Accepted", "Blocked", "Invalid"),
    },
}


def _as_comparisons(column: str, values) -> sa.TextClause:
    return sa.text("(" + " OR ".join(f"\"{column}\" = '{value}'" for value in values) + ")")


def _as_list(column: str, values) -> sa.TextClause:
    return sa.text(f'"{column}" IN (' + ", ".join(f"'{value}'" for value in values) + ")")


def _replace(written) -> None:
    """Drop each CHECK of CHECKS and create it again as `written` gives it."""
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                name = op.f(f"ck_{table}_{column}")
                batch.drop_constraint(name, type_="check")
                batch.create_check_constraint(name, written(column, values))


def upgrade():
    _replace(_as_comparisons)


def downgrade():
    _replace(_as_list)
