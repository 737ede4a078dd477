"""Back-office administrators."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db
from .statuses import Role, stored_as

# The roles, least first: each may do everything the ones before it may. A viewer reads; an operator also runs
# chargers, commands, users, vehicles and pairing; an admin also manages admins and reads the audit trail.
ROLES = tuple(Role)


class Admin(UserMixin, db.Model):
    """A person who logs into the back office."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(stored_as(Role, 20, "role"), default=Role.ADMIN)
    # Screen preferences such as which optional columns are shown, kept server-side so they
    # follow the admin to another browser.
    preferences: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while the admin may not sign in; their sessions were ended when it was set.
    disabled_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        """Tell Flask-Login whether this admin may be logged in at all."""
        return self.disabled_at is None
