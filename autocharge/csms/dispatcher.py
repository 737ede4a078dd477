"""Turning one received frame into the frame to answer: parse, check, route to on_<action>, map errors.

CallError codes per case (OCPP-J 1.6 section 4.2.3, OCPP 2.0.1 part 4 section 4.3):

    case                                   1.6                            2.0.1
    not valid JSON                         FormationViolation             FormatViolation
    not an array / messageId unreadable    FormationViolation (id "-1")   RpcFrameworkError (id "-1")
    messageId longer than 36 characters    FormationViolation (id "-1")   RpcFrameworkError (id "-1")
    JSON nested too deeply                 FormationViolation             FormatViolation
    unknown MessageTypeId                  FormationViolation             MessageTypeNotSupported
    wrong element count or types           FormationViolation             FormatViolation
    unknown action                         NotImplemented                 NotImplemented
    action we do not handle                NotSupported                   NotSupported
    charger not accepted (not a Boot)      GenericError                   SecurityError
    schema: missing required field         ProtocolError                  OccurrenceConstraintViolation
    schema: too few/many array items       OccurenceConstraintViolation   OccurrenceConstraintViolation
    schema: wrong type, too long           TypeConstraintViolation        TypeConstraintViolation
    schema: enum, pattern, format, range   PropertyConstraintViolation    PropertyConstraintViolation
    schema: additional property            FormationViolation             FormatViolation
    exception in a handler                 InternalError                  InternalError
"""

import logging
import re
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from ..models.statuses import Registration
from ..wire import codec, schemas
from ..wire.codec import CALL, CALL_ERROR, CALL_RESULT, error_frame
from ..wire.schemas import Violation
from . import local_lists, v16, v201
from .errors import CallFailed

log = logging.getLogger("autocharge.ocpp")

LENGTHS = {CALL: 4, CALL_RESULT: 3, CALL_ERROR: 5}
UNREADABLE_ID = "-1"
MAX_ID = 36  # OCPP-J: a messageId is at most 36 characters (a UUID)
# What a frame counts as in the metrics when it is no Call of a known action (handle_named).
INVALID, OTHER = "invalid", "other"
ANSWERS = {CALL_RESULT: "CallResult", CALL_ERROR: "CallError"}
# The messageId of a Call whose JSON could not be read as a whole (nested too deeply, a bug), so it can be answered.
_CALL_ID = re.compile(rb'\s*\[\s*2\s*,\s*"([^"\\]{1,%d})"' % MAX_ID)


@dataclass(frozen=True)
class Protocol:
    """What differs between OCPP versions on the wire."""

    version: str
    handlers: ModuleType
    format_code: str  # the payload or frame is syntactically wrong
    frame_code: str  # not an RPC frame at all: no readable messageId
    type_code: str  # a MessageTypeId we do not know
    refused_code: str  # the charger is not accepted yet


PROTOCOLS = {
    "1.6": Protocol("1.6", v16, "FormationViolation", "FormationViolation", "FormationViolation", "GenericError"),
    "2.0.1": Protocol(
        "2.0.1", v201, "FormatViolation", "RpcFrameworkError", "MessageTypeNotSupported", "SecurityError"
    ),
}


class FrameError(Exception):
    """A frame that cannot be handled; answered with a CallError."""

    def __init__(self, code: str, description: str, unique_id: str = UNREADABLE_ID):
        super().__init__(description)
        self.code, self.description, self.unique_id = code, description, unique_id


def handle(conn, text: str | bytes) -> str | None:
    """Handle one frame from the charger; return the frame to send back, if any."""
    return handle_named(conn, text)[1]


def handle_named(conn, text: str | bytes) -> tuple[str, str | None]:
    """Handle one frame from the charger; return what it counts as in the metrics and the frame to send back.

    It counts as its action when the protocol has one of that name (else "other"), as "CallResult" or "CallError",
    or as "invalid" when it is no readable OCPP-J message: names from a fixed set, however a charger writes frames.
    """
    protocol = PROTOCOLS[conn.version]
    name = INVALID
    try:
        message = parse(protocol, text)
        if message[0] != CALL:
            name = ANSWERS[message[0]]
            _answer_received(conn, message)
            return name, None
        _, unique_id, action, payload = message
        if action not in schemas.known_actions(protocol.version):
            name = OTHER
            raise FrameError("NotImplemented", f"Unknown action {action[:60]}.", unique_id)
        name = action
        result = _call(protocol, conn, unique_id, action, payload)
    except FrameError as exc:
        log.info("%s: %s %s", conn.charge_box_id, exc.code, exc.description)
        return name, error_frame(exc.unique_id, exc.code, exc.description)
    except RecursionError:  # JSON nested deeper than Python recurses: a malformed message, not our failure
        log.info("%s: message nested too deeply", conn.charge_box_id)
        return name, error_frame(call_id(text) or UNREADABLE_ID, protocol.format_code, "Message is nested too deeply.")
    return name, codec.result_frame(unique_id, codec.to_payload(result))


def call_id(text: str | bytes) -> str | None:
    """Return the messageId of a frame that starts like a Call, read without decoding the whole JSON."""
    head = text[:64].encode() if isinstance(text, str) else bytes(text[:64])
    match = _CALL_ID.match(head)
    return match.group(1).decode(errors="replace") if match else None


def internal_error(text: str | bytes) -> str | None:
    """Return the InternalError answer to a Call that failed outside its handler (None if it was no Call)."""
    unique_id = call_id(text)
    return None if unique_id is None else error_frame(unique_id, "InternalError", "Message could not be processed.")


def parse(protocol: Protocol, text: str | bytes) -> list:
    """Decode and check a frame's envelope; raise FrameError with the code to answer."""
    try:
        message = codec.loads(text)
    except (ValueError, TypeError):
        raise FrameError(protocol.format_code, "Message is not valid JSON.") from None
    if not isinstance(message, list) or len(message) < 2:
        raise FrameError(protocol.frame_code, "Message is not an OCPP-J array.")
    type_id, unique_id = message[0], message[1]
    if not isinstance(unique_id, str) or not unique_id:
        raise FrameError(protocol.frame_code, "MessageId is missing or not a string.")
    if len(unique_id) > MAX_ID:
        raise FrameError(protocol.frame_code, f"MessageId is longer than {MAX_ID} characters.")
    if type(type_id) is not int or type_id not in LENGTHS:
        raise FrameError(protocol.type_code, f"MessageTypeId {type_id!r} is not supported.", unique_id)
    if len(message) != LENGTHS[type_id]:
        raise FrameError(
            protocol.format_code,
            f"Message of type {type_id} must have {LENGTHS[type_id]} elements, not {len(message)}.",
            unique_id,
        )
    if type_id == CALL and not (isinstance(message[2], str) and isinstance(message[3], dict)):
        raise FrameError(protocol.format_code, "A Call needs an action name and a payload object.", unique_id)
    return message


def _call(protocol: Protocol, conn, unique_id: str, action: str, payload: dict):
    """Route a Call of a known action (handle_named checks) to its handler and return the handler's call_result;
    raise FrameError."""
    handler = _handler(protocol.version, action)
    if handler is None:
        raise FrameError("NotSupported", f"{action} is not supported by this back office.", unique_id)
    if conn.registration != Registration.ACCEPTED and action != "BootNotification":
        raise FrameError(
            protocol.refused_code,
            f"Charger is {conn.registration}; only BootNotification is answered until an admin accepts it.",
            unique_id,
        )
    try:
        schemas.validate(protocol.version, action, payload)
    except Violation as exc:
        raise FrameError(exc.code, exc.description, unique_id) from None
    try:
        result = handler(conn, **codec.to_kwargs(payload))
    except Exception:
        log.exception("%s: %s %s failed", conn.charge_box_id, action, unique_id)
        raise FrameError("InternalError", f"{action} could not be processed.", unique_id) from None
    if action == "BootNotification":
        local_lists.booted(conn)  # a booted charger may have lost its local list: check it again
    return result


@cache
def _handler(version: str, action: str):
    """Return the on_<action> handler of an action of the version (known_actions), or None if we have none."""
    return getattr(PROTOCOLS[version].handlers, "on_" + codec.snake(action), None)


def _answer_received(conn, message: list) -> None:
    """Hand a CallResult/CallError from the charger to the back-office call awaiting it."""
    if message[0] == CALL_RESULT:
        payload = message[2] if isinstance(message[2], dict) else {}
        found = conn.resolve(message[1], payload=payload)
    else:
        _, unique_id, code, description, details = message
        error = CallFailed(str(code), str(description), details if isinstance(details, dict) else {})
        found = conn.resolve(unique_id, error=error)
    if not found:
        log.info("%s: answer to unknown or timed-out call %s", conn.charge_box_id, message[1])
