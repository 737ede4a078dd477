"""Typed SQLAlchemy models: the data, no rules."""

from .admin import Admin
from .admin_session import AdminSession
from .audit import AuditEvent
from .charger import Charger, Connector
from .charger_command import ChargerCommand
from .charger_event import ChargerEvent
from .device_model import DeviceReport, DeviceVariable
from .local_auth import LocalAuthChange, LocalAuthList
from .login_failure import LoginFailure
from .pairing import PairingSession, UnknownIdentifier
from .process_lease import ProcessLease
from .remote_start import RemoteStart
from .transaction import MeterSample, Transaction
from .user import RfidTag, User
from .vehicle import Vehicle

__all__ = [
    "Admin",
    "AdminSession",
    "AuditEvent",
    "Charger",
    "ChargerCommand",
    "ChargerEvent",
    "Connector",
    "DeviceReport",
    "DeviceVariable",
    "LocalAuthChange",
    "LocalAuthList",
    "LoginFailure",
    "MeterSample",
    "PairingSession",
    "ProcessLease",
    "RemoteStart",
    "RfidTag",
    "Transaction",
    "UnknownIdentifier",
    "User",
    "Vehicle",
]
