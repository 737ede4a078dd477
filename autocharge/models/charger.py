"""Chargers and their connectors."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from .statuses import AutochargeSupport, ConnectorStatus, Registration, stored_as

REGISTRATIONS = tuple(Registration)
AUTOCHARGE_SUPPORT = tuple(AutochargeSupport)


def place(evse_id: int | None, connector_id: int) -> str:
    """Return a connector as OCPP names it: "EVSE 1 · connector 2" for 2.0.1, "connector 2" for 1.6."""
    return f"EVSE {evse_id} · connector {connector_id}" if evse_id is not None else f"connector {connector_id}"


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
        back_populates="charger", order_by="[Connector.evse_id, Connector.connector_id]", cascade="all, delete-orphan"
    )


class Connector(db.Model):
    """One connector's last reported status: a 1.6 connector (0 is the charger itself), or a 2.0.1 EVSE's connector."""

    # One row per 1.6 connector and per 2.0.1 (EVSE, connector): the hot path's upserts name these (migration
    # a3c7e1f9d2b6). A 1.6 row has no EVSE, and NULLs never collide in a unique index, hence the partial one.
    __table_args__ = (
        Index(
            "uq_connector_v16",
            "charger_id",
            "connector_id",
            unique=True,
            **{f"{dialect}_where": text("evse_id IS NULL") for dialect in ("sqlite", "postgresql")},
        ),
        Index("uq_connector_evse", "charger_id", "evse_id", "connector_id", unique=True),
        Index("ix_connector_status_charger", "status", "charger_id"),  # the Chargers list's faulted filter
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"))
    evse_id: Mapped[int | None]  # OCPP 2.0.1 evseId; None for 1.6, which has no EVSEs
    connector_id: Mapped[int]  # OCPP 1.6 connectorId; 2.0.1 connectorId, numbered within its EVSE
    status: Mapped[ConnectorStatus] = mapped_column(
        stored_as(ConnectorStatus, 20, "status"), default=ConnectorStatus.UNKNOWN
    )
    error_code: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    charger: Mapped[Charger] = relationship(back_populates="connectors")

    @property
    def label(self) -> str:
        """Return the connector's name in a list or on a badge: "2" (1.6), "EVSE 1 · connector 2" (2.0.1)."""
        return str(self.connector_id) if self.evse_id is None else place(self.evse_id, self.connector_id)

    @property
    def choice(self) -> str:
        """Return the value that names it in a command form: "2" (1.6), "1.2" (2.0.1: EVSE 1, connector 2)."""
        return str(self.connector_id) if self.evse_id is None else f"{self.evse_id}.{self.connector_id}"
