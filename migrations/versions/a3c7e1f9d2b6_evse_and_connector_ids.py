"""2.0.1 EVSE and connector ids kept apart: connector.evse_id and transaction.evse_id

Revision ID: a3c7e1f9d2b6
Revises: e6b2a4c8d0f5
Create Date: 2026-12-03 14:30:00

OCPP 2.0.1 names a connector by its EVSE and its number on that EVSE; the back office stored the evseId as the
connector id and assumed connector 1. The rows of 2.0.1 chargers (connectors) and of 2.0.1 transactions (those with a
charger-named transactionId) move their number to evse_id and take connector 1, which is what they were sent (the
back office and its simulator knew no other). 1.6 rows keep evse_id NULL: 1.6 has no EVSEs.

A connector row is unique per (charger, connector) for 1.6 and per (charger, EVSE, connector) for 2.0.1: NULLs never
collide in a unique index, so the 1.6 one is partial (WHERE evse_id IS NULL; both databases have partial indexes).
Down again, an EVSE keeps only its first connector's row (the next StatusNotification reports the others anyway).
Neither table has triggers (those of e6b2a4c8d0f5 are on vehicle and remote_start), so batch mode loses nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "a3c7e1f9d2b6"
down_revision = "e6b2a4c8d0f5"
branch_labels = None
depends_on = None

V16_ONLY = {f"{dialect}_where": sa.text("evse_id IS NULL") for dialect in ("sqlite", "postgresql")}


def upgrade():
    op.add_column("transaction", sa.Column("evse_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("connector") as batch:
        batch.add_column(sa.Column("evse_id", sa.Integer(), nullable=True))
        batch.drop_constraint("uq_connector_charger_id", type_="unique")
    op.execute(
        "UPDATE connector SET evse_id = connector_id, connector_id = 1 WHERE connector_id > 0 AND charger_id IN "
        "(SELECT id FROM charger WHERE ocpp_version = '2.0.1')"
    )
    op.execute('UPDATE "transaction" SET evse_id = connector_id, connector_id = 1 WHERE ocpp_tx_id IS NOT NULL')
    op.create_index("uq_connector_v16", "connector", ["charger_id", "connector_id"], unique=True, **V16_ONLY)
    op.create_index("uq_connector_evse", "connector", ["charger_id", "evse_id", "connector_id"], unique=True)


def downgrade():
    op.drop_index("uq_connector_evse", table_name="connector")
    op.drop_index("uq_connector_v16", table_name="connector")
    # One row per number again: an EVSE's first connector stands for it, and a 1.6 row of the same number gives way.
    op.execute(
        "DELETE FROM connector WHERE evse_id IS NOT NULL AND EXISTS (SELECT 1 FROM connector AS other WHERE "
        "other.charger_id = connector.charger_id AND other.evse_id = connector.evse_id "
        "AND other.connector_id < connector.connector_id)"
    )
    op.execute(
        "DELETE FROM connector WHERE evse_id IS NULL AND EXISTS (SELECT 1 FROM connector AS other WHERE "
        "other.charger_id = connector.charger_id AND other.evse_id = connector.connector_id)"
    )
    op.execute("UPDATE connector SET connector_id = evse_id WHERE evse_id IS NOT NULL")
    op.execute('UPDATE "transaction" SET connector_id = evse_id WHERE evse_id IS NOT NULL')
    with op.batch_alter_table("connector") as batch:
        batch.drop_column("evse_id")
        batch.create_unique_constraint("uq_connector_charger_id", ["charger_id", "connector_id"])
    with op.batch_alter_table("transaction") as batch:
        batch.drop_column("evse_id")
