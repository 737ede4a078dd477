"""Drivers and their RFID tags."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from .statuses import UserStatus, stored_as

USER_STATUSES = tuple(UserStatus)


class User(db.Model):
    """A driver: charges with RFID tags or paired vehicles."""

    __table_args__ = (
        # The Users table's sorts (migration b7e2c41d9a10); name's index also holds the email so a
        # search scans that index alone.
        Index("ix_user_name_id", "name", "id", "email"),
        Index("ix_user_email_id", "email", "id"),
        Index("ix_user_created_id", "created_at", "id"),
        Index("ix_user_status_name", "status", "name", "id"),
        # PostgreSQL only (migration d5e8a1c3f7b2): trigram indexes for "name/email contains ..." searches.
        *(
            Index(
                f"ix_user_{column}_trgm", column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}
            ).ddl_if(dialect="postgresql")
            for column in ("name", "email")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    status: Mapped[UserStatus] = mapped_column(stored_as(UserStatus, 10, "status"), default=UserStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tags: Mapped[list["RfidTag"]] = relationship(back_populates="user", order_by="RfidTag.id")

    @property
    def active(self) -> bool:
        """Tell whether the user may charge."""
        return self.status == UserStatus.ACTIVE


class RfidTag(db.Model):
    """An RFID card's idTag, stored upper-case because OCPP compares idTags without case."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="tags")
