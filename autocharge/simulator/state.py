"""What a simulated charger remembers (connectors, the running transaction) and what both OCPP dialects share."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..wire import codec
from ..wire.codec import now_iso

if TYPE_CHECKING:
    from .core import Simulator


def to_payload(message: Any) -> dict:
    """Return an `ocpp` call/call_result dataclass as a camelCase JSON payload without empty fields."""
    return codec.to_payload(message)


@dataclass
class Token:
    """An identifier as the charger sends it: the text, and (2.0.1) its idToken type."""

    value: str
    type: str = "ISO14443"

    def __str__(self) -> str:
        return self.value


def make_token(version: str, id_tag: str | None, vid: str | None, token_type: str | None = None) -> Token:
    """Return the token for an RFID tag or a vehicle identifier, the way a charger of `version` sends it."""
    if (id_tag is None) == (vid is None):
        raise ValueError("Give exactly one of id_tag (an RFID tag) and vid (a vehicle identifier).")
    if id_tag is not None:
        return Token(id_tag, token_type or "ISO14443")
    # Deliberately no validation: odd forms (separators, DIN 16-hex ids) are there to test the CSMS with.
    if version == "1.6":
        return Token(vid if vid.upper().startswith("VID:") else f"VID:{vid}", "MacAddress")
    return Token(vid, token_type or "MacAddress")


@dataclass
class Connector:
    """One connector (1.6) or EVSE (2.0.1) of the simulated charger."""

    status: str = "Available"
    plugged: bool = False


@dataclass
class Session:
    """The transaction running on the simulated charger (one at a time)."""

    connector_id: int
    transaction_id: int | str | None
    meter_start: int
    token: Token | None = None
    authorized: bool = False
    seq_no: int = 0
    started_at: str = field(default_factory=now_iso)

    def next_seq(self) -> int:
        """Return the next 2.0.1 TransactionEvent seqNo (0 for Started)."""
        value = self.seq_no
        self.seq_no += 1
        return value


class Refusal(Exception):
    """A CSMS Call the simulator answers with a CallError."""

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class Answer:
    """The simulator's answer to a CSMS Call, and what it then does (in the background, in order)."""

    payload: dict
    then: Callable[[], None] | None = None
    summary: str = ""


class Dialect:
    """The OCPP-version-specific part of the simulator: its messages and its answers to the CSMS."""

    version = ""
    heartbeat_key = ""

    def __init__(self, sim: "Simulator"):
        self.sim = sim

    def answer(self, action: str, payload: dict) -> Answer:
        """Answer one CSMS Call; raise Refusal for a CallError."""
        handler = getattr(self, f"on_{action}", None)
        if handler is None:
            raise Refusal("NotSupported", f"The simulator does not support {action}.")  # known, not supported
        return handler(payload)

    def connector(self, connector_id: int) -> Connector:
        """Return a connector, creating it on first use."""
        return self.sim.connectors.setdefault(connector_id, Connector())

    def running(self, connector_id: int | None = None) -> Session | None:
        """Return the running transaction (on `connector_id`, if given)."""
        tx = self.sim.transaction
        if tx is None or (connector_id is not None and tx.connector_id != connector_id):
            return None
        return tx
