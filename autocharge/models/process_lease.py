"""Server processes that are alive: each one renews its lease every few seconds (csms/lease.py)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db


class ProcessLease(db.Model):
    """A running server process: the chargers and commands it holds are its own while the lease runs."""

    process_id: Mapped[str] = mapped_column(String(12), primary_key=True)  # csms.registry.PROCESS_ID
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
