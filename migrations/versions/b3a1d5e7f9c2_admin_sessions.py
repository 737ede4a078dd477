"""admin sessions that can be revoked; disabled admins

Revision ID: b3a1d5e7f9c2
Revises: a9c3e5f7b1d4
Create Date: 2026-11-25 18:45:00

A login was only a signed cookie, so a copied cookie outlived logout and password changes. Each login is now an
admin_session row (the cookie holds a random token, the row its SHA-256) that logout, a password change or
disabling the admin ends. admin.disabled_at keeps a disabled admin from signing in.
"""

import sqlalchemy as sa
from alembic import op

revision = "b3a1d5e7f9c2"
down_revision = "a9c3e5f7b1d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admin.id"], name=op.f("fk_admin_session_admin_id_admin"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_admin_session_token_hash")),
    )
    with op.batch_alter_table("admin_session", schema=None) as batch_op:
        batch_op.create_index("ix_admin_session_admin_id_ended_at", ["admin_id", "ended_at"], unique=False)
    with op.batch_alter_table("admin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("admin", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("admin_session", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_session_admin_id_ended_at")
    op.drop_table("admin_session")
