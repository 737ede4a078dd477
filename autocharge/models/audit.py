"""The audit trail."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db

# Who acted when no admin did: the system itself (expiry, the command line) or a charger (it registered itself).
ACTORS = ("admin", "system", "charger")


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
    actor: Mapped[str] = mapped_column(String(10), default="system", server_default="system")  # one of ACTORS
    action: Mapped[str] = mapped_column(String(40))  # e.g. "pairing.completed"
    subject_type: Mapped[str] = mapped_column(String(20))  # "vehicle", "charger", "admin", ...
    subject_id: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(Text)

    admin = relationship("Admin")
