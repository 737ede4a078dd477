"""Starts requested from the back office, waiting for the charger to begin the transaction."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db

if TYPE_CHECKING:
    from .user import User


class RemoteStart(db.Model):
    """A one-time idToken the back office sent with RemoteStart/RequestStartTransaction for a user.

    The charger echoes the token when it starts the transaction; finding it here is how that
    transaction gets origin App and its user.
    """

    id: Mapped[int] = mapped_column(primary_key=True)  # also the 2.0.1 remoteStartId
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"))
    connector_id: Mapped[int | None]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin.id", ondelete="SET NULL"))
    id_token: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transaction.id", ondelete="SET NULL"))

    user: Mapped["User"] = relationship()
