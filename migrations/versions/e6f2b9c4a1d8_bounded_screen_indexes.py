"""indexes for the Chargers list's filters, the Pair screen's tiers and the Unknown identifiers pages

Revision ID: e6f2b9c4a1d8
Revises: d5e8a1c3f7b2
Create Date: 2026-11-24 10:00:00

Each charger index ends with charge_box_id, the order both screens show, so a filtered page is read in order
from the index and stops after one page; connectors are found by status (faulted, unavailable) without reading
every charger's; refused identifiers of one kind are paged newest first straight from their index.
"""

from alembic import op

revision = "e6f2b9c4a1d8"
down_revision = "d5e8a1c3f7b2"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_charger_registration_box", "charger", ["registration", "charge_box_id"]),
    ("ix_charger_autocharge_box", "charger", ["autocharge", "charge_box_id"]),
    ("ix_connector_status_charger", "connector", ["status", "charger_id"]),
    ("ix_unknown_identifier_kind_seen", "unknown_identifier", ["kind", "last_seen", "id"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        with op.batch_alter_table(table) as batch:
            batch.create_index(name, columns)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(name)
