"""A simulated OCPP 1.6J / 2.0.1 charger, for trying and testing the CSMS without hardware."""

from .core import Simulator
from .link import CallErrorReceived, CallTimeout, ConnectionLost, ConnectRefused, NothingListening, SimulatorError
from .schemas import SchemaViolation

__all__ = [
    "CallErrorReceived",
    "CallTimeout",
    "ConnectRefused",
    "ConnectionLost",
    "NothingListening",
    "SchemaViolation",
    "Simulator",
    "SimulatorError",
]
