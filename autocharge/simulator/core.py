"""A simulated OCPP charger (1.6J or 2.0.1) for trying and testing the CSMS without hardware.

    sim = Simulator("ws://127.0.0.1:5000/ocpp", "CP-1", version="1.6")
    sim.connect(); sim.boot(); sim.plug_in(); sim.authorize(vid="001A2B3C4D5E")
    sim.start_transaction(vid="001A2B3C4D5E"); sim.meter_values(1500, 11000); sim.stop_transaction(3000); sim.unplug()

Everything is synchronous; a reader thread answers the CSMS's Calls while the caller waits for its own answers.
"""

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from . import device, schemas
from .link import CallTimeout, ConnectionLost, Link, SimulatorError
from .offline import LocalList, Offline
from .state import Answer, Connector, Dialect, Refusal, Session, make_token, to_payload
from .v16 import Ocpp16
from .v201 import Ocpp201

DIALECTS: dict[str, type[Dialect]] = {"1.6": Ocpp16, "2.0.1": Ocpp201}


class Simulator:
    """One simulated charger: its WebSocket link to the CSMS, its connectors and its transaction."""

    def __init__(
        self,
        url: str,
        charge_box_id: str,
        version: str = "1.6",
        password: str | None = None,
        *,
        timeout: float = 10,
        connectors: int = 1,
        connectors_per_evse: int = 1,
        vendor: str = "Autocharge",
        model: str = "Simulator",
        serial: str | None = None,
        firmware: str = "sim-1.0",
        strict: bool = True,
        auto_answer: bool = True,
        log: Callable[[str], None] | None = None,
        trace: Callable[[str], None] | None = None,
        local_list_max: int = 50,
        local_list_per_message: int = 20,
        report_part_size: int = 5,
    ):
        if version not in DIALECTS:
            raise ValueError(f"Unsupported OCPP version {version!r}; use 1.6 or 2.0.1.")
        self.charge_box_id, self.version, self.timeout = charge_box_id, version, timeout
        self.vendor, self.model, self.firmware = vendor, model, firmware
        self.serial = serial or f"SIM-{charge_box_id}"[:25]
        self.strict, self.auto_answer, self.log = strict, auto_answer, log
        self.connector_count = connectors
        self.report_part_size = report_part_size  # variables per NotifyReport part (2.0.1)
        self.connectors_per_evse = max(1, connectors_per_evse)  # 2.0.1: how its connectors group into EVSEs
        self.connectors: dict[int, Connector] = {n: Connector() for n in range(1, connectors + 1)}
        self.transaction: Session | None = None
        self.meter_wh = 0
        self.registration: str | None = None
        self.boot_reason = "PowerUp"
        self.received: list[tuple[str, Any]] = []
        self.errors: list[BaseException] = []  # failures of background follow-ups (e.g. the start after RemoteStart)
        self.local_list = LocalList(local_list_max, local_list_per_message)
        self.offline = Offline(self)
        self.dialect = DIALECTS[version](self)
        self.configuration = self.dialect.default_configuration()
        self.link = Link(url, charge_box_id, version, password, self._on_call, trace)
        self._received_changed = threading.Condition()
        self._jobs: queue.Queue = queue.Queue()
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._flow = threading.RLock()  # one composite step (e.g. stop + status) at a time, caller or follow-up
        self._worker: threading.Thread | None = None
        self._closing = False

    # Connection

    @property
    def connected(self) -> bool:
        """Tell whether the socket is open."""
        return self.link.connected

    @property
    def url(self) -> str:
        """Return the WebSocket URL the simulator connects to."""
        return self.link.url

    @property
    def heartbeat_interval(self) -> int:
        """Return the heartbeat interval in seconds (from BootNotification, or as the CSMS configured it)."""
        try:
            return max(1, int(self.configuration[self.dialect.heartbeat_key][0]))
        except ValueError:
            return 300

    @heartbeat_interval.setter
    def heartbeat_interval(self, seconds: int) -> None:
        self.configuration[self.dialect.heartbeat_key] = (str(int(seconds)), False)

    @property
    def transaction_id(self) -> int | str | None:
        """Return the running transaction's id (1.6: the CSMS's integer; 2.0.1: the simulator's uuid)."""
        return self.transaction.transaction_id if self.transaction else None

    def connect(self) -> "Simulator":
        """Open the WebSocket; raise ConnectRefused (with .status) when the CSMS refuses the upgrade."""
        self.link.open(self.timeout)
        self._closing = False
        self.say(f"Connected to {self.url} (OCPP {self.version})")
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(
                target=self._work_loop, name=f"sim-worker-{self.charge_box_id}", daemon=True
            )
            self._worker.start()
        return self

    def close(self) -> None:
        """Close the WebSocket (the simulator may connect again)."""
        self._closing = True
        if self.link.connected:
            self.say("Disconnected")
        self.link.close()
        if self._worker is not None:
            self._jobs.put(None)  # the worker ends after the follow-ups queued before
            self._worker = None

    def __enter__(self) -> "Simulator":
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Raw OCPP

    def call(self, action: str, payload: dict, timeout: float | None = None) -> dict:
        """Send any Call as is and return the response payload; raise CallErrorReceived for a CallError."""
        answer = self.link.call(action, payload, timeout or self.timeout)
        if self.strict and schemas.is_action(self.version, action):
            schemas.validate(self.version, action, answer, response=True)
        return answer

    def request(self, message: Any) -> dict:
        """Send an `ocpp` call dataclass after checking it against its schema; return the response payload."""
        action = type(message).__name__
        payload = to_payload(message)
        schemas.validate(self.version, action, payload)
        return self.call(action, payload)

    def send_raw(self, text: str) -> None:
        """Send one text frame as is (e.g. a malformed one)."""
        self.link.send_raw(text)

    def recv_raw(self, timeout: float = 5) -> str:
        """Return the next frame that answered nothing of ours (e.g. the reply to send_raw)."""
        return self.link.recv_raw(timeout)

    # The charger's steps

    def boot(self) -> dict:
        """Send BootNotification; remember the registration status and heartbeat interval."""
        with self._flow:
            answer = self.dialect.boot()
        self.registration = answer["status"]
        if answer.get("interval"):
            self.heartbeat_interval = answer["interval"]
        self.say(f"BootNotification -> {answer['status']} (heartbeat every {self.heartbeat_interval} s)")
        return answer

    def heartbeat(self) -> dict:
        """Send Heartbeat."""
        answer = self.request(self._module("call").Heartbeat())
        self.say(f"Heartbeat -> {answer.get('currentTime')}")
        return answer

    def status(self, connector_id: int = 1, status: str = "Available") -> dict:
        """Send StatusNotification for a connector (1.6) or EVSE (2.0.1)."""
        with self._flow:
            return self.dialect.status(connector_id, status)

    def plug_in(self, connector_id: int = 1) -> dict:
        """Plug a vehicle in (1.6: Preparing; 2.0.1: Occupied and TransactionEvent Started, CablePluggedIn)."""
        with self._flow:
            return self.dialect.plug_in(connector_id)

    def authorize(self, id_tag: str | None = None, vid: str | None = None, token_type: str | None = None) -> dict:
        """Send Authorize for an RFID tag or a vehicle identifier (1.6: idTag "VID:..."; 2.0.1: MacAddress)."""
        with self._flow:
            return self.dialect.authorize(make_token(self.version, id_tag, vid, token_type))

    def start_transaction(
        self,
        connector_id: int = 1,
        id_tag: str | None = None,
        vid: str | None = None,
        meter_start: int = 0,
        token_type: str | None = None,
    ) -> dict:
        """Start charging (1.6 StartTransaction; 2.0.1 TransactionEvent with the idToken); stop if not Accepted."""
        with self._flow:
            return self.dialect.start_transaction(
                connector_id, make_token(self.version, id_tag, vid, token_type), meter_start
            )

    def meter_values(self, energy_wh: float, power_w: float | None = None, connector_id: int = 1) -> dict:
        """Report the energy register (Wh) and power (W)."""
        with self._flow:
            return self.dialect.meter_values(energy_wh, power_w, connector_id)

    def meter_values_of(self, tx: Any, energy_wh: float, power_w: float | None = None) -> bool:
        """Report the register of `tx` only while it still runs (not after an unplug meanwhile); tell whether sent."""
        with self._flow:
            if self.transaction is not tx:
                return False
            self.dialect.meter_values(energy_wh, power_w, tx.connector_id)
            return True

    def stop_transaction(self, meter_stop: int, reason: str = "Local") -> dict:
        """Stop the running transaction (1.6 StopTransaction; 2.0.1 TransactionEvent Ended)."""
        with self._flow:
            return self.dialect.stop_transaction(meter_stop, reason)

    def unplug(self, connector_id: int = 1) -> None:
        """Unplug the vehicle (stopping a running transaction); the connector becomes Available."""
        with self._flow:
            self.dialect.unplug(connector_id)

    def reboot(self, reason: str) -> None:
        """Behave like a reset charger: stop the transaction, boot again, report every connector."""
        with self._flow:
            if self.transaction is not None:
                self.dialect.stop_transaction(self.meter_wh, reason)
            self.boot_reason = "RemoteReset"
            self.boot()
            for connector_id, connector in self.connectors.items():
                self.dialect.status(connector_id, connector.status)

    def notify_event(self, component: str, variable: str, value: str, **details: Any) -> dict:
        """Send a 2.0.1 NotifyEvent of one event (details: trigger, evse_id, cleared, tech_code, tech_info)."""
        return device.notify_event(self, component, variable, value, **details)

    def security_event(self, kind: str, tech_info: str | None = None) -> dict:
        """Send SecurityEventNotification (e.g. kind "SettingSystemTime", "InvalidFirmwareSignature")."""
        return device.security_event(self, kind, tech_info)

    # Without the CSMS: the local authorization list, and what is replayed once connected again

    def local_status(
        self, id_tag: str | None = None, vid: str | None = None, token_type: str | None = None
    ) -> str | None:
        """Return the status the local list gives a tag or vehicle identifier (None: not in the list)."""
        return self.offline.status(make_token(self.version, id_tag, vid, token_type))

    def start_offline(
        self,
        connector_id: int = 1,
        id_tag: str | None = None,
        vid: str | None = None,
        meter_start: int = 0,
        token_type: str | None = None,
    ) -> bool:
        """While disconnected: authorize from the local list and, if Accepted, start charging (queued for later)."""
        with self._flow:
            token = make_token(self.version, id_tag, vid, token_type)
            return self.offline.start(connector_id, token, meter_start)

    def stop_offline(self, meter_stop: int, reason: str = "Local") -> None:
        """While disconnected: stop the running transaction (queued for later)."""
        with self._flow:
            self.offline.stop(meter_stop, reason)

    def replay(self) -> list[dict]:
        """Once connected again: send the messages kept while offline, in order; return the CSMS's answers."""
        with self._flow:
            return self.offline.replay()

    # Waiting for the CSMS

    def wait_for(self, action: str, timeout: float = 10, count: int = 1) -> Any:
        """Wait until the CSMS has sent `count` Calls of `action`; return the payload of the latest one."""
        deadline = time.monotonic() + timeout
        with self._received_changed:
            while True:
                seen = [payload for name, payload in self.received if name == action]
                if len(seen) >= count:
                    return seen[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CallTimeout(f"The CSMS did not send {action} within {timeout:g} s.")
                self._received_changed.wait(min(left, 0.5))

    def wait_idle(self, timeout: float = 10) -> None:
        """Wait until the follow-ups of the CSMS's Calls (e.g. the start after a remote start) are done."""
        deadline = time.monotonic() + timeout
        while self._busy or not self._jobs.empty():
            if time.monotonic() > deadline:
                raise CallTimeout(f"The simulator was still busy after {timeout:g} s.")
            time.sleep(0.02)
        if self.errors:
            error, self.errors = self.errors[-1], []
            raise SimulatorError(f"A follow-up failed: {error}") from error

    def say(self, text: str) -> None:
        """Tell the person watching (the CLI prints it)."""
        if self.log:
            self.log(text)

    # Internals

    def _module(self, name: str) -> Any:
        """Return ocpp.v16.<name> or ocpp.v201.<name> for this simulator's version."""
        import importlib

        return importlib.import_module(f"ocpp.{'v16' if self.version == '1.6' else 'v201'}.{name}")

    def _on_call(self, unique_id: str, action: str, payload: Any) -> bool:
        """Record and answer one CSMS Call (on the reader thread); queue what the charger then does."""
        if not self.auto_answer:
            self.link.raw.put(json.dumps([2, unique_id, action, payload]))
            return True
        with self._received_changed:
            self.received.append((action, payload))
            self._received_changed.notify_all()
        try:
            answer = self._answer(action, payload)
        except Refusal as exc:
            self.say(f"CSMS asked {action} {_brief(payload)} -> CallError {exc.code}")
            with contextlib.suppress(ConnectionLost):  # a closed socket is noticed by whoever waits on it next
                self.link.reply_error(unique_id, exc.code, exc.description)
            return True
        self.say(f"CSMS asked {action} {_brief(payload)} -> {answer.summary or _brief(answer.payload)}")
        if answer.then is not None:
            with self._busy_lock:  # counted before the reply leaves, so wait_idle() after the CSMS's answer sees it
                self._busy += 1
            self._jobs.put(answer.then)
        with contextlib.suppress(ConnectionLost):
            self.link.reply(unique_id, answer.payload)
        return True

    def _answer(self, action: str, payload: Any) -> Answer:
        """Validate a CSMS Call like a charger would and build the answer; raise Refusal."""
        if not schemas.is_action(self.version, action):
            raise Refusal("NotImplemented", f"Unknown action {action}.")  # OCPP-J: "not known by receiver"
        try:
            schemas.validate(self.version, action, payload)
        except schemas.SchemaViolation as exc:
            raise Refusal(exc.code, str(exc)) from exc
        try:
            answer = self.dialect.answer(action, payload)
            schemas.validate(self.version, action, answer.payload, response=True)
        except Refusal:
            raise
        except Exception as exc:  # a simulator bug must not kill the reader thread
            raise Refusal("InternalError", f"{type(exc).__name__}: {exc}") from exc
        return answer

    def _work_loop(self) -> None:
        """Run follow-ups one after the other (a remote start's StartTransaction, a remote stop's Stop...)."""
        while (job := self._jobs.get()) is not None:
            try:
                with self._flow:
                    job()
            except ConnectionLost as exc:
                if not self._closing:  # after close() a follow-up failing to send is expected
                    self.errors.append(exc)
                    self.say(f"Follow-up failed: {exc}")
            except Exception as exc:  # kept for wait_idle() and shown; the simulator keeps running
                self.errors.append(exc)
                self.say(f"Follow-up failed: {exc}")
            finally:
                with self._busy_lock:
                    self._busy -= 1


def _brief(payload: Any, limit: int = 160) -> str:
    """Return a payload as short JSON for a log line."""
    text = json.dumps(payload, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 3] + "..."
