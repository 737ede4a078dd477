"""The audit trail."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db


class AuditEvent(db.Model):
    """Who did what to which record, and when."""

    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # e.g. "pairing.completed"
    subject_type: Mapped[str] = mapped_column(String(20))  # "vehicle", "charger", "admin", ...
    subject_id: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(Text)

    admin = relationship("Admin")
