"""charger events (boots, refused connects, CallErrors, commands, NotifyEvent, security events) and 2.0.1 device models

Revision ID: c7d4e2a9f1b6
Revises: a3c7e1f9d2b6
Create Date: 2026-12-03 14:30:00

New tables only: charger_event, device_report, device_variable.
"""

import sqlalchemy as sa
from alembic import op

revision = "c7d4e2a9f1b6"
down_revision = "a3c7e1f9d2b6"
branch_labels = None
depends_on = None

KINDS = ("boot", "refused", "call_error", "command", "event", "security", "report")
LEVELS = ("info", "warning")


def _check(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    """Return the named CHECK a status column gets (ck_<table>_<column>), as models/statuses.py declares it."""
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f"ck_{table}_{column}"))


def upgrade():
    op.create_table(
        "charger_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=True),
        sa.Column("charge_box_id", sa.String(length=48), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["charger.id"], name=op.f("fk_charger_event_charger_id_charger"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charger_event")),
        _check("charger_event", "kind", KINDS),
        _check("charger_event", "level", LEVELS),
    )
    op.create_index("ix_charger_event_charger", "charger_event", ["charger_id", "id"])
    op.create_index("ix_charger_event_box", "charger_event", ["charge_box_id", "id"])
    op.create_index("ix_charger_event_at", "charger_event", ["at"])
    op.create_table(
        "device_report",
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("last_request_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=True),
        sa.Column("requested_base", sa.String(length=30), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("generated_at", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("variables", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("pending_request_id", sa.Integer(), nullable=True),
        sa.Column("pending_parts", sa.Integer(), nullable=False),
        sa.Column("last_result", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["charger.id"], name=op.f("fk_device_report_charger_id_charger"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("charger_id", name=op.f("pk_device_report")),
    )
    op.create_table(
        "device_variable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("seq_no", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=50), nullable=False),
        sa.Column("component_instance", sa.String(length=50), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("variable", sa.String(length=50), nullable=False),
        sa.Column("variable_instance", sa.String(length=50), nullable=True),
        sa.Column("value", sa.String(length=2500), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("characteristics", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["charger.id"], name=op.f("fk_device_variable_charger_id_charger"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_variable")),
    )
    op.create_index(
        "ix_device_variable_report", "device_variable", ["charger_id", "request_id", "component", "variable", "id"]
    )


def downgrade():
    op.drop_table("device_variable")
    op.drop_table("device_report")
    op.drop_table("charger_event")
