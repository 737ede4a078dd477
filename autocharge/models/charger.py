"""Chargers and their connectors."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from .statuses import AutochargeSupport, ConnectorStatus, Registration, stored_as

REGISTRATIONS = tuple(Registration)
AUTOCHARGE_SUPPORT = tuple(AutochargeSupport)


class Charger(db.Model):
    """A charge point known to the back office."""

    # The Chargers list's and the Pair screen's filters, in their charge box id order (migration e6f2b9c4a1d8).
    __table_args__ = (
        Index("ix_charger_registration_box", "registration", "charge_box_id"),
        Index("ix_charger_autocharge_box", "autocharge", "charge_box_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_box_id: Mapped[str] = mapped_column(String(48), unique=True)
    vendor: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(50))
    serial: Mapped[str | None] = mapped_column(String(50))
    firmware: Mapped[str | None] = mapped_column(String(50))
    ocpp_version: Mapped[str | None] = mapped_column(String(8))  # "1.6" or "2.0.1"
    registration: Mapped[Registration] = mapped_column(
        stored_as(Registration, 10, "registration"), default=Registration.ACCEPTED
    )
    autocharge: Mapped[AutochargeSupport] = mapped_column(
        stored_as(AutochargeSupport, 12, "autocharge"), default=AutochargeSupport.UNKNOWN
    )
    # scrypt, with cheaper parameters than the admins' hash: checked at every connect (services/charger_passwords.py);
    # a legacy salted SHA-256 is still read and replaced at the charger's next good connect. Fits in 128.
    password_hash: Mapped[str | None] = mapped_column(String(128))
    online: Mapped[bool] = mapped_column(default=False)
    connection_id: Mapped[str | None] = mapped_column(String(32))  # which socket owns "online"
    last_seen: Mapped[datetime | None]
    last_boot: Mapped[datetime | None]
    # The last connect refused for a wrong or missing password, and from which address (never the password).
    login_refused_at: Mapped[datetime | None]
    login_refused_from: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    connectors: Mapped[list["Connector"]] = relationship(
        back_populates="charger", order_by="Connector.connector_id", cascade="all, delete-orphan"
    )


class Connector(db.Model):
    """One connector's last reported status (connector 0 is the charger itself)."""

    __table_args__ = (
        UniqueConstraint("charger_id", "connector_id"),
        Index("ix_connector_status_charger", "status", "charger_id"),  # the Chargers list's faulted filter
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"))
    # OCPP 1.6 connectorId; for 2.0.1 the evseId (one connector per EVSE, as on nearly all hardware).
    connector_id: Mapped[int]
    status: Mapped[ConnectorStatus] = mapped_column(
        stored_as(ConnectorStatus, 20, "status"), default=ConnectorStatus.UNKNOWN
    )
    error_code: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    charger: Mapped[Charger] = relationship(back_populates="connectors")
