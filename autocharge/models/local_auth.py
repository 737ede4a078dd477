"""Chargers' local authorization lists: what each charger holds, and the changes still to send to them."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db


class LocalAuthList(db.Model):
    """One charger's local authorization list as the back office last left it, and how its syncing goes.

    `version` is the list version the charger holds after our last accepted update; `synced_change_id` is the last
    LocalAuthChange it has. A row with `needs_full` gets a full list next (or an empty one, when disabled).
    """

    __tablename__ = "local_auth_list"

    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    needs_full: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=0)
    reported_version: Mapped[int | None]  # the charger's last answer to GetLocalListVersion
    synced_change_id: Mapped[int | None]
    entries: Mapped[int] = mapped_column(default=0)
    max_entries: Mapped[int | None]  # 1.6 LocalAuthListMaxLength; 2.0.1 LocalAuthListCtrlr.Entries (MaxSet)
    per_message: Mapped[int | None]  # 1.6 SendLocalListMaxLength; 2.0.1 LocalAuthListCtrlr.ItemsPerMessage
    limits_at: Mapped[datetime | None]  # when the limits were last read from the charger
    last_sync_at: Mapped[datetime | None]
    last_ok: Mapped[bool | None]
    last_result: Mapped[str | None] = mapped_column(String(255))
    failures: Mapped[int] = mapped_column(default=0)  # in a row: the retry waits longer each time
    next_try_at: Mapped[datetime | None]


class LocalAuthChange(db.Model):
    """One change of who may charge, for every charger's list: a token's new status, or its removal (status None).

    One row serves every charger (each remembers the last change it has); rows every enabled charger has are deleted.
    """

    __tablename__ = "local_auth_change"
    # Chargers remember the last change id they have, and delivered rows are deleted: on SQLite a plain rowid would
    # hand a deleted id out again, and a change with it would never be sent. AUTOINCREMENT never reuses one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "vehicle" (12-hex identifier) or "rfid" (upper-case tag)
    value: Mapped[str] = mapped_column(String(36))
    status: Mapped[str | None] = mapped_column(String(10))  # Accepted / Blocked; None: remove from the list
    at: Mapped[datetime] = mapped_column(default=utcnow)
