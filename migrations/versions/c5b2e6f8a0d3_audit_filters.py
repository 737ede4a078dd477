"""indexes for the audit screen's filters; who acted when no admin did; no identifier or tag in clear

Revision ID: c5b2e6f8a0d3
Revises: b3a1d5e7f9c2
Create Date: 2026-11-25 18:45:00

The audit screen pages newest first, filtered by actor, action, subject and date: each index ends in (at, id), so a
filtered page is read in order from one index and stops after a page. audit_event.actor tells "system" (expiry, the
command line) from "charger" (a charger registered itself) when no admin acted. Details written before this kept
paired identifiers and RFID tags in clear (personal data): they are masked as the app masks them now (the downgrade
keeps them masked). "charger.password" becomes charger.password_set / charger.password_removed.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "c5b2e6f8a0d3"
down_revision = "b3a1d5e7f9c2"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_audit_at", ["at", "id"]),
    ("ix_audit_admin_at", ["admin_id", "at", "id"]),
    ("ix_audit_actor_at", ["actor", "at", "id"]),
    ("ix_audit_action_at", ["action", "at", "id"]),
    ("ix_audit_type_at", ["subject_type", "at", "id"]),
    ("ix_audit_subject", ["subject_type", "subject_id", "at", "id"]),
)
MAC = re.compile(r"\b([0-9A-F]{2}:[0-9A-F]{2}):[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2}:([0-9A-F]{2})\b")
MASK = "••"
audit = sa.table(
    "audit_event",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("detail", sa.Text),
    sa.column("admin_id", sa.Integer),
    sa.column("actor", sa.String),
)


def _mask_tag(tag: str) -> str:
    """Mask an RFID tag as the app does: its first and last two characters."""
    return tag[:2] + MASK * 2 + tag[-2:] if len(tag) > 6 else MASK


def _masked(action: str, detail: str) -> str:
    """Return an old detail with identifiers and tags masked."""
    if action in ("user.tag_added", "user.tag_removed"):
        return f"tag {_mask_tag(detail)}"
    if action == "pairing.completed":
        found = MAC.search(detail)
        shown = f"{found.group(1)}:{MASK}:{MASK}:{MASK}:{found.group(2)}" if found else MASK
        return f"identifier {shown}" + (", randomised MAC" if detail.endswith(", randomised MAC") else "")
    return MAC.sub(lambda m: f"{m.group(1)}:{MASK}:{MASK}:{MASK}:{m.group(2)}", detail)


def _mask_details() -> None:
    """Rewrite the details that held an identifier or a tag in clear."""
    bind = op.get_bind()
    actions = ("user.tag_added", "user.tag_removed", "pairing.completed", "pairing.failed")
    rows = bind.execute(sa.select(audit.c.id, audit.c.action, audit.c.detail).where(audit.c.action.in_(actions)))
    for row_id, action, detail in rows.all():
        if detail:
            bind.execute(sa.update(audit).where(audit.c.id == row_id).values(detail=_masked(action, detail)))


def upgrade():
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("actor", sa.String(length=10), nullable=False, server_default="system"))
        batch.drop_index("ix_audit_subject")
    op.execute(sa.update(audit).where(audit.c.admin_id.is_not(None)).values(actor="admin"))
    with op.batch_alter_table("audit_event") as batch:
        for name, columns in INDEXES:
            batch.create_index(name, columns)
    _mask_details()
    for word in ("set", "removed"):  # one action each, so the screen's action filter tells them apart
        where = sa.and_(audit.c.action == "charger.password", audit.c.detail == word)
        op.execute(sa.update(audit).where(where).values(action=f"charger.password_{word}"))


def downgrade():
    for word in ("set", "removed"):
        where = audit.c.action == f"charger.password_{word}"
        op.execute(sa.update(audit).where(where).values(action="charger.password", detail=word))
    with op.batch_alter_table("audit_event") as batch:
        for name, _ in reversed(INDEXES):
            batch.drop_index(name)
        batch.create_index("ix_audit_subject", ["subject_type", "subject_id"])
        batch.drop_column("actor")
