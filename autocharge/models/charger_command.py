"""Commands waiting for the server process that holds the charger's socket (the multi-process outbox)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db
from .statuses import CommandState, stored_as


class ChargerCommand(db.Model):
    """A call for a charger whose socket another process holds: that process sends it and stores the outcome.

    The process that asked waits for the outcome and then deletes the row, so the table stays small.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[CommandState] = mapped_column(
        stored_as(CommandState, 10, "state"), default=CommandState.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime]
    answer: Mapped[dict | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(30))  # the CallError code, "Timeout" or "Closed"
    error: Mapped[str | None] = mapped_column(String(255))
