"""What a simulated charger does without its back office: a local authorization list, and messages queued to replay.

The CSMS fills the list with SendLocalList (Full or Differential) and reads its version with GetLocalListVersion.
While disconnected the charger decides from the list alone (start_offline), keeps the StartTransaction /
StopTransaction (1.6) or TransactionEvents (2.0.1, offline=true) it would have sent, and sends them in order once
it is back (replay): a 1.6 StopTransaction then carries the transactionId the CSMS gave the replayed start.
"""

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import schemas
from .link import SimulatorError
from .state import Session, Token, now_iso

if TYPE_CHECKING:
    from .core import Simulator


@dataclass
class LocalList:
    """The charger's local authorization list: token key -> status, and its version (0: empty, never sent)."""

    max_entries: int = 50
    per_message: int = 20
    version: int = 0
    entries: dict[str, str] = field(default_factory=dict)

    def apply(self, version: int, full: bool, items: list[tuple[str, str | None]]) -> str:
        """Apply a SendLocalList; return Accepted, Failed (too many entries) or VersionMismatch."""
        if len(items) > self.per_message:
            return "Failed"
        if not full and version <= self.version:
            return "VersionMismatch"
        entries = {} if full else dict(self.entries)
        for key, status in items:
            if status is None:
                entries.pop(key, None)
            else:
                entries[key] = status
        if len(entries) > self.max_entries:
            return "Failed"
        self.entries, self.version = entries, version
        return "Accepted"

    def status(self, key: str) -> str | None:
        """Return a token's status in the list, or None when it is not listed."""
        return self.entries.get(key)


def key(version: str, token: Token) -> str:
    """Return how the list keys a token: the 1.6 idTag, or the 2.0.1 type and idToken (both without case)."""
    return token.value.upper() if version == "1.6" else f"{token.type}:{token.value.upper()}"


@dataclass
class Queued:
    """A message kept while offline, and the session it belongs to (its 1.6 transactionId comes at replay)."""

    action: str
    payload: dict
    session: Session


class Offline:
    """The simulator's offline behaviour (one per Simulator, as sim.offline)."""

    def __init__(self, sim: "Simulator"):
        self.sim = sim
        self.queue: list[Queued] = []
        self.sent: list[Queued] = []  # what replay() sent, as sent (a test may send it again, as a retrying charger)

    def status(self, token: Token) -> str | None:
        """Return what the local list says of a token."""
        return self.sim.local_list.status(key(self.sim.version, token))

    def start(self, connector_id: int, token: Token, meter_start: int) -> bool:
        """Authorize from the local list alone; when Accepted, start charging and queue the start. Tell which."""
        sim = self.sim
        if sim.connected:
            raise SimulatorError("The simulator is connected: start_transaction() asks the CSMS.")
        if sim.transaction is not None:
            raise SimulatorError("A transaction is already running on the simulator.")
        status = self.status(token)
        sim.say(f"Offline: {token} is {status or 'not in the local list'}")
        if status != "Accepted":
            return False
        connector = sim.dialect.connector(connector_id)
        connector.plugged, connector.status = True, "Charging" if sim.version == "1.6" else "Occupied"
        sim.meter_wh = meter_start
        tx_id = None if sim.version == "1.6" else str(uuid.uuid4())
        sim.transaction = tx = Session(connector_id, tx_id, meter_start, token, authorized=True)
        if sim.version == "1.6":
            payload = {"connectorId": connector_id, "idTag": token.value, "meterStart": meter_start}
            self._keep("StartTransaction", {**payload, "timestamp": now_iso()}, tx)
        else:
            self._keep("TransactionEvent", self._event(tx, "Started", "Authorized", meter_start, token=token), tx)
        return True

    def stop(self, meter_stop: int, reason: str = "Local") -> None:
        """End the running transaction while offline; queue its stop."""
        sim, tx = self.sim, self.sim.transaction
        if tx is None:
            raise SimulatorError("No transaction is running on the simulator.")
        sim.meter_wh, sim.transaction = meter_stop, None
        if sim.version == "1.6":
            payload = {"meterStop": meter_stop, "timestamp": now_iso(), "transactionId": 0, "reason": reason}
            self._keep("StopTransaction", {**payload, "idTag": tx.token.value}, tx)
        else:
            self._keep("TransactionEvent", self._event(tx, "Ended", "StopAuthorized", meter_stop, reason=reason), tx)
        sim.say(f"Offline: transaction stopped at {meter_stop} Wh ({reason}); kept for the CSMS")

    def replay(self) -> list[dict]:
        """Send what was kept, in order, once connected again; return the CSMS's answers."""
        answers = []
        while self.queue:
            item = self.queue[0]
            if item.action == "StopTransaction":
                item.payload["transactionId"] = item.session.transaction_id
            answer = self.sim.call(item.action, item.payload)
            if item.action == "StartTransaction":
                item.session.transaction_id = answer["transactionId"]
            self.sim.say(f"Replayed {item.action} -> {answer}")
            self.sent.append(self.queue.pop(0))
            answers.append(answer)
        return answers

    def _keep(self, action: str, payload: dict, tx: Session) -> None:
        """Queue one message, checked against its schema now (a 1.6 stop's transactionId is filled at replay)."""
        schemas.validate(
            self.sim.version, action, {**payload, "transactionId": 1} if action == "StopTransaction" else payload
        )
        self.queue.append(Queued(action, payload, tx))

    def _event(self, tx: Session, kind: str, trigger: str, meter: int, token=None, reason=None) -> dict:
        """Return a 2.0.1 TransactionEvent of an offline transaction (offline: true; Begin/End reading)."""
        context = "Transaction.Begin" if kind == "Started" else "Transaction.End"
        reading = {"value": float(meter), "context": context, "measurand": "Energy.Active.Import.Register"}
        info: dict = {
            "transactionId": str(tx.transaction_id),
            "chargingState": "Charging" if kind == "Started" else "EVConnected",
        }
        if reason:
            info["stoppedReason"] = reason
        payload = {
            "eventType": kind,
            "timestamp": now_iso(),
            "triggerReason": trigger,
            "seqNo": tx.next_seq(),
            "offline": True,
            "transactionInfo": info,
            "meterValue": [{"timestamp": now_iso(), "sampledValue": [reading]}],
            "evse": dict(zip(("id", "connectorId"), self.sim.dialect.evse_of(tx.connector_id), strict=True)),
        }
        if token is not None:
            payload["idToken"] = {"idToken": token.value, "type": token.type}
        return payload
