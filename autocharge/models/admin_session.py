"""Admin login sessions: the server-side truth of who is signed in, so a session can be ended for good."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db

if TYPE_CHECKING:
    from .admin import Admin


class AdminSession(db.Model):
    """One browser's login: the session cookie carries a random token, this row only its SHA-256.

    A row that is ended, or whose idle or absolute lifetime has passed, no longer opens any page, whatever
    cookie a browser (or someone who copied it) still holds.
    """

    __table_args__ = (Index("ix_admin_session_admin_id_ended_at", "admin_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))  # "signed out", "password changed", "disabled"...
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(120), default="")

    admin: Mapped["Admin"] = relationship()
