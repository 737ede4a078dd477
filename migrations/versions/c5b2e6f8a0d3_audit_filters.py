"""indexes for the audit screen's filters

Revision ID: c5b2e6f8a0d3
Revises: b3a1d5e7f9c2
Create Date: 2026-11-25 18:45:00

PLACEHOLDER: reserved so parallel work keeps one linear chain; the owner fills in upgrade/downgrade.
"""

revision = "c5b2e6f8a0d3"
down_revision = "b3a1d5e7f9c2"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
