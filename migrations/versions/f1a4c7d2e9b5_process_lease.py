"""process lease (which server processes are alive; a live one sweeps up after dead ones)

Revision ID: f1a4c7d2e9b5
Revises: f1a7c3e9b5d2
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f1a4c7d2e9b5"
down_revision = "f1a7c3e9b5d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "process_lease",
        sa.Column("process_id", sa.String(length=12), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("process_id", name=op.f("pk_process_lease")),
    )
    with op.batch_alter_table("process_lease", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_process_lease_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("process_lease", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_lease_expires_at"))
    op.drop_table("process_lease")
