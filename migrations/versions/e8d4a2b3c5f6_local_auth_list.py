"""local authorization lists and 2.0.1 EVSE ids

Revision ID: e8d4a2b3c5f6
Revises: d7c3f9a1b2e4
Create Date: 2026-11-25 18:45:00

PLACEHOLDER: reserved so parallel work keeps one linear chain; the owner fills in upgrade/downgrade.
"""

revision = "e8d4a2b3c5f6"
down_revision = "d7c3f9a1b2e4"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
