"""The audit trail."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from .statuses import Actor, stored_as

if TYPE_CHECKING:
    from .admin import Admin


class AuditEvent(db.Model):
    """Who did what to which record, and when."""

    # The audit screen shows newest first, filtered by at most a few of these: each index ends in (at, id), so a
    # filtered page is read in order from the index and stops after one page.
    __table_args__ = (
        Index("ix_audit_at", "at", "id"),
        Index("ix_audit_admin_at", "admin_id", "at", "id"),
        Index("ix_audit_actor_at", "actor", "at", "id"),
        Index("ix_audit_action_at", "action", "at", "id"),
        Index("ix_audit_type_at", "subject_type", "at", "id"),
        Index("ix_audit_subject", "subject_type", "subject_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin.id", ondelete="SET NULL"))
    actor: Mapped[Actor] = mapped_column(stored_as(Actor, 10, "actor"), default=Actor.SYSTEM, server_default="system")
    action: Mapped[str] = mapped_column(String(40))  # e.g. "pairing.completed"
    subject_type: Mapped[str] = mapped_column(String(20))  # "vehicle", "charger", "admin", ...
    subject_id: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(Text)

    admin: Mapped["Admin | None"] = relationship()
