"""charger command outbox (commands for a charger whose socket another process holds)

Revision ID: c4d1f0a7e2b3
Revises: b7e2c41d9a10
Create Date: 2026-11-23 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4d1f0a7e2b3"
down_revision = "b7e2c41d9a10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "charger_command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("error_code", sa.String(length=30), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["charger.id"], name=op.f("fk_charger_command_charger_id_charger"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charger_command")),
    )
    with op.batch_alter_table("charger_command", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charger_command_state"), ["state"], unique=False)


def downgrade():
    with op.batch_alter_table("charger_command", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charger_command_state"))
    op.drop_table("charger_command")
