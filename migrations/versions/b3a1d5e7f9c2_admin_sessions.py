"""admin sessions that can be revoked; disabled admins

Revision ID: b3a1d5e7f9c2
Revises: a9c3e5f7b1d4
Create Date: 2026-11-25 18:45:00

PLACEHOLDER: reserved so parallel work keeps one linear chain; the owner fills in upgrade/downgrade.
"""

revision = "b3a1d5e7f9c2"
down_revision = "a9c3e5f7b1d4"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
