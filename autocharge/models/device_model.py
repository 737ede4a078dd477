"""A 2.0.1 charging station's device model, as its last complete NotifyReport described it."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DeviceReport(db.Model):
    """Which report a charger's device model comes from, and the one being assembled from its parts."""

    __tablename__ = "device_report"

    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"), primary_key=True)
    last_request_id: Mapped[int] = mapped_column(default=0)  # the last GetBaseReport requestId handed out
    requested_at: Mapped[datetime | None]
    requested_base: Mapped[str | None] = mapped_column(String(30))
    request_id: Mapped[int | None]  # the complete report shown
    generated_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    variables: Mapped[int] = mapped_column(default=0)
    parts: Mapped[int] = mapped_column(default=0)
    pending_request_id: Mapped[int | None]  # a report whose parts are still arriving
    pending_parts: Mapped[int] = mapped_column(default=0)  # parts received of it: the next seqNo expected
    last_result: Mapped[str | None] = mapped_column(String(255))


class DeviceVariable(db.Model):
    """One variable of a component, with its attributes and characteristics (JSON, as the charger sent them)."""

    __tablename__ = "device_variable"
    __table_args__ = (Index("ix_device_variable_report", "charger_id", "request_id", "component", "variable", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"))
    request_id: Mapped[int]
    seq_no: Mapped[int]
    component: Mapped[str] = mapped_column(String(50))
    component_instance: Mapped[str | None] = mapped_column(String(50))
    evse_id: Mapped[int | None]
    connector_id: Mapped[int | None]
    variable: Mapped[str] = mapped_column(String(50))
    variable_instance: Mapped[str | None] = mapped_column(String(50))
    value: Mapped[str | None] = mapped_column(String(2500))  # the Actual attribute's value
    attributes: Mapped[str] = mapped_column(Text)  # JSON list of variableAttribute
    characteristics: Mapped[str | None] = mapped_column(Text)  # JSON of variableCharacteristics
