"""What a charger did or said, for its page: boots, refused connects, CallErrors, commands, events."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db
from .statuses import ChargerEventKind, EventLevel, stored_as


class ChargerEvent(db.Model):
    """One thing that happened with a charger, newest shown first on its page.

    A connect refused for an unknown charge box id has no charger yet: it keeps the id it tried, and the charger
    added later under that id takes it over.
    """

    __tablename__ = "charger_event"
    __table_args__ = (
        Index("ix_charger_event_charger", "charger_id", "id"),  # a charger's page of events, newest first
        Index("ix_charger_event_box", "charge_box_id", "id"),
        Index("ix_charger_event_at", "at"),  # the oldest, forgotten after AUTOCHARGE_CHARGER_EVENT_DAYS
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int | None] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"))
    charge_box_id: Mapped[str] = mapped_column(String(48))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[ChargerEventKind] = mapped_column(stored_as(ChargerEventKind, 12, "kind"))
    level: Mapped[EventLevel] = mapped_column(stored_as(EventLevel, 8, "level"), default=EventLevel.INFO)
    summary: Mapped[str] = mapped_column(String(300))
