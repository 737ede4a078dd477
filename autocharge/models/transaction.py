"""Charging transactions and their meter samples."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from .charger import place
from .statuses import AuthStatus, EndReason, Origin, TransactionStatus, stored_as

if TYPE_CHECKING:
    from .charger import Charger
    from .user import User
    from .vehicle import Vehicle

ORIGINS = {Origin.AUTOCHARGE: "Auto charge", Origin.RFID: "RFID", Origin.APP: "App"}
# Stop reasons the back office writes itself (services/session_ends.py), in words; a charger's own are shown as sent.
STOP_REASONS = {EndReason.CHARGER_REBOOTED: "Charger rebooted", EndReason.ENDED_BY_HAND: "Ended by hand"}


class Transaction(db.Model):
    """A charging session; its id is the OCPP 1.6 transactionId."""

    __table_args__ = (
        # A retried StartTransaction / TransactionEvent finds its row by this key instead of
        # creating a second one (1.6: connector|idTag|timestamp; 2.0.1: the charger's transactionId).
        UniqueConstraint("charger_id", "dedupe_key"),
        Index("ix_transaction_charger_status", "charger_id", "status"),
        # The Transactions table's filters and sorts (migration b7e2c41d9a10): each ends in (start_time, id)
        # or id so a filtered, ordered page is read straight from one index. No index is a prefix of another
        # (migration d5a1f3b7c9e4): each costs every insert. The first also holds energy_wh, so the Home screen
        # sums the energy of the sessions started in a day or a month from the index alone.
        Index("ix_transaction_start_id_energy", "start_time", "id", "energy_wh"),
        Index("ix_transaction_status_start", "status", "start_time", "id"),
        Index("ix_transaction_origin_start", "origin", "start_time", "id"),
        Index("ix_transaction_user_start", "user_id", "start_time", "id"),
        Index("ix_transaction_charger_start", "charger_id", "start_time", "id"),
        Index("ix_transaction_energy_id", "energy_wh", "id"),
        Index("ix_transaction_stop_id", "stop_time", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"))
    evse_id: Mapped[int | None]  # OCPP 2.0.1 evse.id; None for 1.6 (migration a3c7e1f9d2b6)
    connector_id: Mapped[int] = mapped_column(default=1)  # 1.6 connectorId; 2.0.1 evse.connectorId (1 if not sent)
    dedupe_key: Mapped[str] = mapped_column(String(120))
    ocpp_tx_id: Mapped[str | None] = mapped_column(String(36))  # 2.0.1 transactionId
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id", ondelete="SET NULL"), index=True)
    origin: Mapped[Origin | None] = mapped_column(stored_as(Origin, 12, "origin"))
    id_token: Mapped[str | None] = mapped_column(String(64))  # raw, as the charger sent it
    id_token_type: Mapped[str | None] = mapped_column(String(20))
    auth_status: Mapped[AuthStatus | None] = mapped_column(stored_as(AuthStatus, 20, "auth_status"))
    status: Mapped[TransactionStatus] = mapped_column(
        stored_as(TransactionStatus, 10, "status"), default=TransactionStatus.ACTIVE
    )
    start_time: Mapped[datetime] = mapped_column(default=utcnow)
    stop_time: Mapped[datetime | None]
    meter_start: Mapped[int] = mapped_column(BigInteger, default=0)  # Wh
    # Set when the charger never reported the register at the start (a 2.0.1 Started event without a reading): the
    # time of the first reading, which meter_start then holds, so energy counts only what the charger proved.
    counted_from: Mapped[datetime | None]
    meter_stop: Mapped[int | None] = mapped_column(BigInteger)  # Wh
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    stop_reason: Mapped[str | None] = mapped_column(String(40))  # as the charger sent it, or an EndReason: no CHECK
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    charger: Mapped["Charger"] = relationship()
    user: Mapped["User | None"] = relationship()
    vehicle: Mapped["Vehicle | None"] = relationship()
    samples: Mapped[list["MeterSample"]] = relationship(
        back_populates="transaction", order_by="MeterSample.timestamp", cascade="all, delete-orphan"
    )

    @property
    def place_label(self) -> str:
        """Return where it ran in a sentence: "EVSE 1 · connector 2" (2.0.1), "connector 2" (1.6)."""
        return place(self.evse_id, self.connector_id)

    @property
    def connector_label(self) -> str:
        """Return where it ran in a Connector column: "EVSE 1 · connector 2" (2.0.1), "2" (1.6)."""
        return str(self.connector_id) if self.evse_id is None else place(self.evse_id, self.connector_id)

    @property
    def origin_label(self) -> str:
        """Return the origin as the screens show it."""
        return ORIGINS.get(self.origin or "", "")

    @property
    def stop_reason_label(self) -> str:
        """Return the stop reason as the screens show it."""
        return STOP_REASONS.get(self.stop_reason or "", self.stop_reason or "")


class MeterSample(db.Model):
    """One meter reading of a transaction: what the session chart plots."""

    __table_args__ = (UniqueConstraint("transaction_id", "timestamp"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transaction.id", ondelete="CASCADE"))
    timestamp: Mapped[datetime]
    energy_wh: Mapped[float | None]  # Energy.Active.Import.Register
    power_w: Mapped[float | None]  # Power.Active.Import
    soc: Mapped[float | None]

    transaction: Mapped[Transaction] = relationship(back_populates="samples")
