"""chargers' local authorization lists (local_auth_list) and the changes still to send to them (local_auth_change)

Revision ID: b3e9d1f5a7c2
Revises: d5a1f3b7c9e4
Create Date: 2026-12-03 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b3e9d1f5a7c2"
down_revision = "d5a1f3b7c9e4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "local_auth_list",
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("needs_full", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reported_version", sa.Integer(), nullable=True),
        sa.Column("synced_change_id", sa.Integer(), nullable=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("max_entries", sa.Integer(), nullable=True),
        sa.Column("per_message", sa.Integer(), nullable=True),
        sa.Column("limits_at", sa.DateTime(), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.Column("last_ok", sa.Boolean(), nullable=True),
        sa.Column("last_result", sa.String(length=255), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["charger.id"], name=op.f("fk_local_auth_list_charger_id_charger"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("charger_id", name=op.f("pk_local_auth_list")),
    )
    op.create_table(
        "local_auth_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_auth_change")),
        sqlite_autoincrement=True,  # ids never come back after the delivered rows are deleted (see the model)
    )


def downgrade():
    op.drop_table("local_auth_change")
    op.drop_table("local_auth_list")
