"""transaction.counted_from (a 2.0.1 start reading the charger never reported) and a charger's last refused login

Revision ID: 2f70108b1b08
Revises: d8f3a6c1b9e4
Create Date: 2026-12-05 10:00:00

transaction.counted_from is set when a charger did not report the register at a session's start: energy is then
counted from the first reading, taken at that time, and the transaction page says so. charger.login_refused_at and
login_refused_from keep the last connect refused for a wrong or missing password, for the charger's page.
"""

import sqlalchemy as sa
from alembic import op

revision = "2f70108b1b08"
down_revision = "d8f3a6c1b9e4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("transaction") as batch:
        batch.add_column(sa.Column("counted_from", sa.DateTime(), nullable=True))
    with op.batch_alter_table("charger") as batch:
        batch.add_column(sa.Column("login_refused_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("login_refused_from", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("charger") as batch:
        batch.drop_column("login_refused_from")
        batch.drop_column("login_refused_at")
    with op.batch_alter_table("transaction") as batch:
        batch.drop_column("counted_from")
