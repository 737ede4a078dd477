"""The simulator's side of the shared schema loader (autocharge.wire.schemas): violations as SimulatorErrors."""

from ..wire import schemas
from .link import SimulatorError


class SchemaViolation(SimulatorError):
    """A payload that its OCPP JSON schema does not allow: `code` is the CallError code a receiver answers with."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def validate(version: str, action: str, payload: dict, response: bool = False) -> None:
    """Raise SchemaViolation unless `payload` is a valid request (or response) of `action`."""
    try:
        schemas.validate(version, action, payload, response)
    except schemas.Violation as exc:
        if exc.code == "NotImplemented":
            raise SchemaViolation(exc.description, exc.code) from exc
        kind = "response" if response else "request"
        raise SchemaViolation(f"Invalid {action} {kind}: {exc.description}", exc.code) from exc


def is_action(version: str, action: str) -> bool:
    """Tell whether `action` exists in an OCPP version."""
    return action in schemas.known_actions(version)
