"""Failed admin logins, shared by every server process (the login throttle)."""

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db


class LoginFailure(db.Model):
    """One failed login for an email from a client address.

    A row per failure, never updated: two failures arriving together are two inserts, so they cannot
    conflict on any database. Rows older than the lock window are deleted, so the table stays small.
    """

    __table_args__ = (Index("ix_login_failure_email_address_at", "email", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
