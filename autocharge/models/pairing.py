"""Pairing sessions and identifiers that matched nothing."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from .statuses import IdentifierKind, PairingState, RefusalReason, stored_as

if TYPE_CHECKING:
    from .admin import Admin
    from .charger import Charger
    from .vehicle import Vehicle


class PairingSession(db.Model):
    """An admin waiting for a charger to report a vehicle's identifier."""

    __table_args__ = (
        # One waiting pairing per charger and per vehicle, enforced by the database so that two
        # admins racing for one charger cannot both win.
        Index(
            "uq_pairing_waiting_charger",
            "charger_id",
            unique=True,
            sqlite_where=text("state = 'waiting'"),
            postgresql_where=text("state = 'waiting'"),
        ),
        Index(
            "uq_pairing_waiting_vehicle",
            "vehicle_id",
            unique=True,
            sqlite_where=text("state = 'waiting'"),
            postgresql_where=text("state = 'waiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), index=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"), index=True)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin.id", ondelete="SET NULL"))
    state: Mapped[PairingState] = mapped_column(stored_as(PairingState, 10, "state"), default=PairingState.WAITING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(String(255))
    preparing_at: Mapped[datetime | None]  # the connector went Preparing
    card_presented_at: Mapped[datetime | None]  # an RFID card came instead of a vehicle id
    received_raw: Mapped[str | None] = mapped_column(String(64))
    received_identifier: Mapped[str | None] = mapped_column(String(12))

    vehicle: Mapped["Vehicle"] = relationship()
    charger: Mapped["Charger"] = relationship()
    admin: Mapped["Admin | None"] = relationship()


class UnknownIdentifier(db.Model):
    """An identifier that tried to authenticate and was refused: when, where, how often."""

    __table_args__ = (
        UniqueConstraint("kind", "value"),
        Index("ix_unknown_identifier_kind_seen", "kind", "last_seen", "id"),  # its screen's pages, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[IdentifierKind] = mapped_column(stored_as(IdentifierKind, 10, "kind"))
    value: Mapped[str] = mapped_column(String(64))  # canonical 12-hex for vehicles, upper-case tag for RFID
    raw: Mapped[str] = mapped_column(String(64))  # the last raw form seen
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=1)
    charger_id: Mapped[int | None] = mapped_column(ForeignKey("charger.id", ondelete="SET NULL"))
    reason: Mapped[RefusalReason | None] = mapped_column(stored_as(RefusalReason, 20, "reason"))

    charger: Mapped["Charger | None"] = relationship()
