"""Vehicles and their Auto Charge identifiers."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from .statuses import VehicleStatus, stored_as

if TYPE_CHECKING:
    from .charger import Charger
    from .user import User


class Vehicle(db.Model):
    """A driver's EV; its identifier is empty until paired and never edited after."""

    __table_args__ = (
        # The database, not only the service, guarantees an identifier is active on one vehicle.
        Index(
            "uq_vehicle_active_identifier",
            "identifier",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "uq_vehicle_current_plate",
            "plate_key",
            unique=True,
            sqlite_where=text("status != 'retired'"),
            postgresql_where=text("status != 'retired'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(20))
    plate_key: Mapped[str] = mapped_column(String(20), index=True)  # upper-case, no spaces or dashes
    identifier: Mapped[str | None] = mapped_column(String(12), index=True)  # 12 upper-case hex
    identifier_raw: Mapped[str | None] = mapped_column(String(64))  # as the charger sent it
    randomized_mac: Mapped[bool] = mapped_column(default=False)
    status: Mapped[VehicleStatus] = mapped_column(stored_as(VehicleStatus, 10, "status"), default=VehicleStatus.PENDING)
    paired_at: Mapped[datetime | None]
    paired_charger_id: Mapped[int | None] = mapped_column(ForeignKey("charger.id", ondelete="SET NULL"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id", ondelete="SET NULL"))
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped["User"] = relationship()
    paired_charger: Mapped["Charger | None"] = relationship()
    replaces: Mapped["Vehicle | None"] = relationship(remote_side=[id])
