"""indexes for the Users and Transactions tables (filters, sorts, paging at 1M rows)

Revision ID: b7e2c41d9a10
Revises: 830511abbc8e
Create Date: 2026-11-23 21:10:00

Each transaction index ends with (start_time, id) so a filtered page is read in the table's default
order (newest first) straight from the index, with no sort; the user indexes serve the sortable columns.
"""

from alembic import op

revision = "b7e2c41d9a10"
down_revision = "830511abbc8e"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_transaction_start_id", "transaction", ["start_time", "id"]),
    ("ix_transaction_status_start", "transaction", ["status", "start_time", "id"]),
    ("ix_transaction_origin_start", "transaction", ["origin", "start_time", "id"]),
    ("ix_transaction_user_start", "transaction", ["user_id", "start_time", "id"]),
    ("ix_transaction_charger_start", "transaction", ["charger_id", "start_time", "id"]),
    ("ix_transaction_energy_id", "transaction", ["energy_wh", "id"]),
    ("ix_transaction_stop_id", "transaction", ["stop_time", "id"]),
    ("ix_user_name_id", "user", ["name", "id", "email"]),  # email too: a search scans only this index
    ("ix_user_email_id", "user", ["email", "id"]),
    ("ix_user_created_id", "user", ["created_at", "id"]),
    ("ix_user_status_name", "user", ["status", "name", "id"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
