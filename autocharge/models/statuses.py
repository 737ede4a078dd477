"""The closed sets of values that status columns hold, defined once for models, services, csms and templates.

Each is a StrEnum, so a member is the very string stored (`TransactionStatus.ACTIVE == "active"`) and templates may
keep comparing to the text. The column type (`stored_as`) keeps the VARCHAR of before, reads rows back as members and
adds a named CHECK constraint (`ck_<table>_<column>`, migration d5a1f3b7c9e4), so the database refuses anything else.
The CHECKs of the columns a charger's messages write (connector.status; transaction.status, origin, auth_status) are
written as comparisons joined by OR in the database, not as the IN list declared here: the same values, but SQLite
builds a temporary b-tree for an IN list at every write of the column (migration e9c4a2f7b1d3).
"""

from enum import StrEnum

import sqlalchemy as sa


class _Status(sa.Enum):
    """sa.Enum converting with one dict look-up each way: the OCPP hot path binds and reads statuses every message.

    sa.Enum's own conversions go through three Python calls per value (~1 us each way on this machine, a few per
    TransactionEvent); these are C-level dict look-ups (~0.15 us). A value outside the set is a KeyError.
    """

    cache_ok = True

    def bind_processor(self, dialect):
        """Return the conversion of a member or its value to the stored value (a plain str)."""
        if super(sa.Enum, self).bind_processor(dialect) is not None:  # String needs one of its own: keep both
            return super().bind_processor(dialect)
        stored = {member.value: member.value for member in self.enum_class} | {None: None}
        return stored.__getitem__

    def result_processor(self, dialect, coltype):
        """Return the conversion of a stored value to its member."""
        if super(sa.Enum, self).result_processor(dialect, coltype) is not None:
            return super().result_processor(dialect, coltype)
        members = {member.value: member for member in self.enum_class} | {None: None}
        return members.__getitem__


def stored_as(enum: type[StrEnum], length: int, column: str) -> sa.Enum:
    """Return the column type of a status: its values in a VARCHAR(length) with a CHECK named after the column."""
    return _Status(
        enum,
        name=column,  # the naming convention makes it ck_<table>_<column>
        length=length,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,  # a typo in a query is an error (KeyError), not a silently empty result
        values_callable=lambda members: [m.value for m in members],  # store the values, not the member names
    )


class Registration(StrEnum):
    """Whether a charger may use the back office (the BootNotification answer)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class AutochargeSupport(StrEnum):
    """Whether a charger sends the vehicle's identifier (Auto Charge)."""

    SUPPORTED = "supported"
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"


class ConnectorStatus(StrEnum):
    """A connector's last reported status: OCPP 1.6 ChargePointStatus and 2.0.1 ConnectorStatusEnumType, as sent.

    The schema of each version refuses any other value in StatusNotification; a 2.0.1 NotifyEvent's
    AvailabilityState is free text, and a value outside this set is stored as UNKNOWN (see `reported`).
    """

    AVAILABLE = "Available"
    PREPARING = "Preparing"  # 1.6: plugged in, not charging yet
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"
    OCCUPIED = "Occupied"  # 2.0.1: a cable is plugged in
    UNKNOWN = "Unknown"  # nothing reported yet, or a value of no OCPP version

    @classmethod
    def reported(cls, value: str | None) -> "ConnectorStatus":
        """Return the member a charger's value names, UNKNOWN for a value outside the set (a vendor's own)."""
        return _CONNECTOR_STATUSES.get(value or "", cls.UNKNOWN)


_CONNECTOR_STATUSES = {status.value: status for status in ConnectorStatus}


class CommandState(StrEnum):
    """Where a command for a charger held by another process stands (the outbox)."""

    PENDING = "pending"
    SENT = "sent"
    ANSWERED = "answered"
    FAILED = "failed"


class PairingState(StrEnum):
    """Where a pairing stands: waiting, or how it ended."""

    WAITING = "waiting"
    PAIRED = "paired"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class IdentifierKind(StrEnum):
    """What a refused identifier was."""

    VEHICLE = "vehicle"
    RFID = "rfid"


class RefusalReason(StrEnum):
    """Why an identifier was refused."""

    UNKNOWN = "unknown"  # nobody has it
    RETIRED = "retired"  # a retired vehicle had it


class TransactionStatus(StrEnum):
    """Whether a session runs."""

    ACTIVE = "active"
    COMPLETED = "completed"


class Origin(StrEnum):
    """How a session was started and attributed."""

    AUTOCHARGE = "autocharge"
    RFID = "rfid"
    APP = "app"


class AuthStatus(StrEnum):
    """The authorization status we answered a token with (names shared by OCPP 1.6 and 2.0.1)."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    INVALID = "Invalid"


class EndReason(StrEnum):
    """The stop reasons the back office writes itself.

    transaction.stop_reason is not a closed set and has no CHECK: a charger's own reason is stored as it sent it
    (1.6 Reason, 2.0.1 ReasonEnumType, each checked by its version's schema, and later versions add more).
    """

    CHARGER_REBOOTED = "ChargerRebooted"
    ENDED_BY_HAND = "EndedByHand"


class UserStatus(StrEnum):
    """Whether a driver may charge."""

    ACTIVE = "active"
    BLOCKED = "blocked"


class VehicleStatus(StrEnum):
    """A vehicle's life: added, paired (its identifier starts charging), retired."""

    PENDING = "pending"
    ACTIVE = "active"
    RETIRED = "retired"


class Role(StrEnum):
    """An admin's role, least first: each may do everything the ones before it may."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


class Actor(StrEnum):
    """Who acted in an audit event."""

    ADMIN = "admin"
    SYSTEM = "system"  # expiry, the command line
    CHARGER = "charger"  # it registered itself, it reported an identifier


class ChargerEventKind(StrEnum):
    """What a charger event on its page records."""

    BOOT = "boot"  # a BootNotification
    REFUSED = "refused"  # a connect refused (wrong or missing password, unknown charge box id)
    CALL_ERROR = "call_error"  # the charger answered a back-office command with a CallError
    COMMAND = "command"  # a back-office command and how the charger answered it
    EVENT = "event"  # a 2.0.1 NotifyEvent
    SECURITY = "security"  # a SecurityEventNotification
    REPORT = "report"  # a device model report (NotifyReport) arrived, or was asked for


class EventLevel(StrEnum):
    """How much a charger event matters: the log level it was logged at."""

    INFO = "info"
    WARNING = "warning"
