"""charger passwords through a real KDF

Revision ID: d7c3f9a1b2e4
Revises: c5b2e6f8a0d3
Create Date: 2026-11-25 18:45:00

PLACEHOLDER: reserved so parallel work keeps one linear chain; the owner fills in upgrade/downgrade.
"""

revision = "d7c3f9a1b2e4"
down_revision = "c5b2e6f8a0d3"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
