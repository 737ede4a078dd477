"""OCPP 2.0.1 as the simulated charger speaks it: its messages, and its answers to the CSMS's Calls.

The simulated station starts a transaction when the cable is plugged in (TxStartPoint EVConnected), authorizes it
with TransactionEvent Updated (Authorized), and ends it on stop or unplug. The simulator numbers its connectors
1, 2, ... as a 1.6 charger would; on the wire connector n is an EVSE and a connector of it (evse_of()): with one
connector per EVSE (the default) n is EVSE n, connector 1; with two, 1 and 2 are EVSE 1's connectors 1 and 2.
"""

import uuid

from ocpp.v201 import call, call_result, datatypes, enums

from . import device
from .link import SimulatorError
from .state import Answer, Dialect, Session, Token, make_token, now_iso, to_payload

ACCEPTED = enums.AuthorizationStatusEnumType.accepted
TRIGGERS = {  # stoppedReason -> the triggerReason of the Ended event
    "Local": enums.TriggerReasonEnumType.stop_authorized,
    "Remote": enums.TriggerReasonEnumType.remote_stop,
    "EVDisconnected": enums.TriggerReasonEnumType.ev_communication_lost,
    "DeAuthorized": enums.TriggerReasonEnumType.deauthorized,
    "ImmediateReset": enums.TriggerReasonEnumType.reset_command,
    "EnergyLimitReached": enums.TriggerReasonEnumType.energy_limit_reached,
    "TimeLimitReached": enums.TriggerReasonEnumType.time_limit_reached,
}


def sample(energy_wh: float, power_w: float | None, context: str) -> datatypes.MeterValueType:
    """Return one 2.0.1 meter value: the energy register and, if given, the power."""
    values = [
        datatypes.SampledValueType(
            value=float(int(energy_wh)),
            context=context,
            measurand=enums.MeasurandEnumType.energy_active_import_register,
        )
    ]
    if power_w is not None:
        values.append(
            datatypes.SampledValueType(
                value=float(power_w), context=context, measurand=enums.MeasurandEnumType.power_active_import
            )
        )
    return datatypes.MeterValueType(timestamp=now_iso(), sampled_value=values)


def id_token(token: Token) -> datatypes.IdTokenType:
    """Return a token as a 2.0.1 IdTokenType."""
    return datatypes.IdTokenType(id_token=token.value, type=token.type)


class Ocpp201(Dialect):
    """The simulated charger's OCPP 2.0.1 behaviour."""

    version = "2.0.1"

    heartbeat_key = "OCPPCommCtrlr/HeartbeatInterval"

    def default_configuration(self) -> dict[str, tuple[str, bool]]:
        """Return the variables GetVariables reports: "Component/Variable" -> (value, read-only)."""
        return {
            "OCPPCommCtrlr/HeartbeatInterval": ("300", False),
            "AuthCtrlr/AuthorizeRemoteStart": ("false", False),
            "AuthCtrlr/LocalPreAuthorize": ("false", False),
            "AuthCacheCtrlr/Enabled": ("true", False),
            "TxCtrlr/TxStartPoint": ("EVConnected", False),
            "TxCtrlr/TxStopPoint": ("EVConnected", False),
            "TxCtrlr/StopTxOnInvalidId": ("true", False),
            "SampledDataCtrlr/TxUpdatedInterval": ("60", False),
            "SampledDataCtrlr/TxUpdatedMeasurands": ("Energy.Active.Import.Register,Power.Active.Import", False),
            "ChargingStation/Model": (self.sim.model, True),
            "ChargingStation/VendorName": (self.sim.vendor, True),
            # Off, as on many stations out of the box: the CSMS turns it on with SetVariables.
            "LocalAuthListCtrlr/Enabled": ("false", False),
            "LocalAuthListCtrlr/Entries": ("0", True),
            "LocalAuthListCtrlr/Entries#MaxSet": (str(self.sim.local_list.max_entries), True),
            "LocalAuthListCtrlr/ItemsPerMessage": (str(self.sim.local_list.per_message), True),
        }

    def evse_of(self, connector_id: int) -> tuple[int, int]:
        """Return (evseId, connectorId) of the simulator's connector n."""
        per = self.sim.connectors_per_evse
        return (connector_id - 1) // per + 1, (connector_id - 1) % per + 1

    def number_of(self, evse_id: int | None, connector_id: int | None = None) -> int | None:
        """Return the simulator's number of an EVSE's connector (its plugged or first one when none is named)."""
        if not evse_id:
            return None
        if connector_id:
            return (evse_id - 1) * self.sim.connectors_per_evse + connector_id
        mine = [n for n in sorted(self.sim.connectors) if self.evse_of(n)[0] == evse_id]
        plugged = [n for n in mine if self.sim.connectors[n].plugged]
        return (plugged or mine or [(evse_id - 1) * self.sim.connectors_per_evse + 1])[0]

    def boot(self) -> dict:
        """Send BootNotification (reason PowerUp)."""
        sim = self.sim
        station = datatypes.ChargingStationType(
            vendor_name=sim.vendor, model=sim.model, serial_number=sim.serial, firmware_version=sim.firmware
        )
        return sim.request(call.BootNotification(charging_station=station, reason=sim.boot_reason))

    def status(self, connector_id: int, status: str, error_code: str | None = None) -> dict:
        """Send StatusNotification for a connector (of its EVSE) and remember its status."""
        self.connector(connector_id).status = status
        evse, number = self.evse_of(connector_id)
        self.sim.say(f"StatusNotification EVSE {evse} connector {number}: {status}")
        return self.sim.request(
            call.StatusNotification(timestamp=now_iso(), connector_status=status, evse_id=evse, connector_id=number)
        )

    def event(
        self,
        kind: str,
        trigger: str,
        tx: Session,
        *,
        token: Token | None = None,
        state: str | None = None,
        meter: list | None = None,
        stopped: str | None = None,
        remote_start_id: int | None = None,
        note: str = "",
    ) -> dict:
        """Send one TransactionEvent of the running transaction (`note` is added to the log line)."""
        info = datatypes.TransactionType(
            transaction_id=str(tx.transaction_id),
            charging_state=state,
            stopped_reason=stopped,
            remote_start_id=remote_start_id,
        )
        answer = self.sim.request(
            call.TransactionEvent(
                event_type=kind,
                timestamp=now_iso(),
                trigger_reason=trigger,
                seq_no=tx.next_seq(),
                transaction_info=info,
                meter_value=meter,
                id_token=id_token(token) if token else None,
                evse=datatypes.EVSEType(*self.evse_of(tx.connector_id)),
            )
        )
        status = answer.get("idTokenInfo", {}).get("status")
        self.sim.say(
            f"TransactionEvent {kind} ({trigger}{', ' + str(token) if token else ''}){note}"
            + (f" -> {status}" if status else "")
        )
        return answer

    def begin(
        self,
        connector_id: int,
        trigger: str,
        token: Token | None = None,
        state: str = enums.ChargingStateEnumType.ev_connected,
        remote_start_id: int | None = None,
    ) -> dict:
        """Start a transaction with TransactionEvent Started."""
        tx = Session(connector_id, str(uuid.uuid4()), self.sim.meter_wh, token)
        self.sim.transaction = tx
        meter = [sample(self.sim.meter_wh, None, enums.ReadingContextEnumType.transaction_begin)]
        return self.event(
            enums.TransactionEventEnumType.started,
            trigger,
            tx,
            token=token,
            meter=meter,
            state=state,
            remote_start_id=remote_start_id,
            note=f" transaction {tx.transaction_id}",
        )

    def plug_in(self, connector_id: int) -> dict:
        """Plug a vehicle in: EVSE Occupied, and a transaction starts (CablePluggedIn)."""
        self.connector(connector_id).plugged = True
        answer = self.status(connector_id, enums.ConnectorStatusEnumType.occupied)
        if self.running() is None:
            return self.begin(connector_id, enums.TriggerReasonEnumType.cable_plugged_in)
        return answer

    def authorize(self, token: Token) -> dict:
        """Send Authorize for an idToken."""
        answer = self.sim.request(call.Authorize(id_token=id_token(token)))
        self.sim.say(f"Authorize {token} ({token.type}) -> {answer['idTokenInfo']['status']}")
        return answer

    def start_transaction(
        self,
        connector_id: int,
        token: Token,
        meter_start: int,
        trigger: str = enums.TriggerReasonEnumType.authorized,
        remote_start_id: int | None = None,
    ) -> dict:
        """Authorize the transaction (plugging in first if needed); end it when the CSMS does not accept the token."""
        tx = self.running()
        if tx is not None and tx.authorized:
            raise SimulatorError("A transaction is already running on the simulator.")
        charging = enums.ChargingStateEnumType.charging
        if tx is None and not self.connector(connector_id).plugged:
            self.sim.meter_wh = meter_start
            self.plug_in(connector_id)
            tx = self.running()
        if tx is None:  # still plugged in after an ended transaction: this authorization starts the next one
            answer = self.begin(connector_id, trigger, token, charging, remote_start_id)
            tx = self.running()
        else:
            tx.token = token
            answer = self.event(
                enums.TransactionEventEnumType.updated,
                trigger,
                tx,
                token=token,
                state=charging,
                remote_start_id=remote_start_id,
            )
        tx.authorized = answer.get("idTokenInfo", {}).get("status", ACCEPTED) == ACCEPTED
        if not tx.authorized:
            self.stop_transaction(self.sim.meter_wh, enums.ReasonEnumType.de_authorized)
        return answer

    def meter_values(self, energy_wh: float, power_w: float | None, connector_id: int) -> dict:
        """Send the meter: TransactionEvent Updated (MeterValuePeriodic) during a transaction, else MeterValues."""
        self.sim.meter_wh = int(energy_wh)
        tx = self.running(connector_id)
        meter = [sample(energy_wh, power_w, enums.ReadingContextEnumType.sample_periodic)]
        if tx is None:
            evse = self.evse_of(connector_id)[0]
            self.sim.say(f"MeterValues EVSE {evse}: {int(energy_wh)} Wh")
            return self.sim.request(call.MeterValues(evse_id=evse, meter_value=meter))
        state = enums.ChargingStateEnumType.charging if tx.authorized else enums.ChargingStateEnumType.ev_connected
        power = f", {int(power_w)} W" if power_w is not None else ""
        return self.event(
            enums.TransactionEventEnumType.updated,
            enums.TriggerReasonEnumType.meter_value_periodic,
            tx,
            meter=meter,
            state=state,
            note=f": {int(energy_wh)} Wh{power}",
        )

    def stop_transaction(self, meter_stop: int, reason: str) -> dict:
        """End the transaction with TransactionEvent Ended."""
        tx = self.running()
        if tx is None:
            raise SimulatorError("No transaction is running on the simulator.")
        self.sim.meter_wh = meter_stop
        plugged = self.connector(tx.connector_id).plugged
        meter = [sample(meter_stop, None, enums.ReadingContextEnumType.transaction_end)]
        trigger = TRIGGERS.get(reason, enums.TriggerReasonEnumType.abnormal_condition)
        self.sim.transaction = None
        return self.event(
            enums.TransactionEventEnumType.ended,
            trigger,
            tx,
            meter=meter,
            stopped=reason,
            token=tx.token if trigger == enums.TriggerReasonEnumType.stop_authorized else None,
            state=enums.ChargingStateEnumType.ev_connected if plugged else enums.ChargingStateEnumType.idle,
            note=f": {meter_stop} Wh ({reason})",
        )

    def unplug(self, connector_id: int) -> None:
        """Unplug: end a running transaction (EVDisconnected); the EVSE becomes Available."""
        self.connector(connector_id).plugged = False
        if self.running(connector_id) is not None:
            self.stop_transaction(self.sim.meter_wh, enums.ReasonEnumType.ev_disconnected)
        self.status(connector_id, enums.ConnectorStatusEnumType.available)

    # The CSMS's Calls. Each answers at once; what the station then does runs afterwards, in order.

    def on_RequestStartTransaction(self, payload: dict) -> Answer:  # noqa: N802 - named after the OCPP action
        """Accept unless an authorized transaction runs; then authorize (or start) one with the given idToken."""
        tx = self.running()
        if tx is not None and tx.authorized:
            return Answer(
                to_payload(call_result.RequestStartTransaction(enums.RequestStartStopStatusEnumType.rejected))
            )
        given = payload["idToken"]
        token = make_token("2.0.1", given["idToken"], None, given["type"])
        evse = self.number_of(payload.get("evseId")) or (tx.connector_id if tx else 1)
        answer = call_result.RequestStartTransaction(
            enums.RequestStartStopStatusEnumType.accepted, transaction_id=str(tx.transaction_id) if tx else None
        )
        return Answer(
            to_payload(answer),
            lambda: self.start_transaction(
                evse, token, self.sim.meter_wh, enums.TriggerReasonEnumType.remote_start, payload.get("remoteStartId")
            ),
        )

    def on_RequestStopTransaction(self, payload: dict) -> Answer:  # noqa: N802
        """Accept for the running transaction and end it (Remote); reject any other id."""
        tx = self.running()
        if tx is None or str(tx.transaction_id) != payload.get("transactionId"):
            return Answer(to_payload(call_result.RequestStopTransaction(enums.RequestStartStopStatusEnumType.rejected)))
        return Answer(
            to_payload(call_result.RequestStopTransaction(enums.RequestStartStopStatusEnumType.accepted)),
            lambda: self.stop_transaction(self.sim.meter_wh, enums.ReasonEnumType.remote),
        )

    def on_ClearCache(self, payload: dict) -> Answer:  # noqa: N802
        """Accept (the simulator keeps no authorization cache)."""
        return Answer(to_payload(call_result.ClearCache(enums.ClearCacheStatusEnumType.accepted)))

    def on_Reset(self, payload: dict) -> Answer:  # noqa: N802
        """Immediate: end a transaction and boot again; OnIdle: the same, or Scheduled while a transaction runs."""
        if payload.get("type") == "OnIdle" and self.running() is not None:
            return Answer(to_payload(call_result.Reset(enums.ResetStatusEnumType.scheduled)))
        return Answer(
            to_payload(call_result.Reset(enums.ResetStatusEnumType.accepted)),
            lambda: self.sim.reboot(enums.ReasonEnumType.immediate_reset),
        )

    def on_GetVariables(self, payload: dict) -> Answer:  # noqa: N802
        """Return each requested variable, or UnknownComponent/UnknownVariable."""
        config, results = self.sim.configuration, []
        for item in payload.get("getVariableData", []):
            component, variable = item["component"], item["variable"]
            key = f"{component['name']}/{variable['name']}"
            if item.get("attributeType") not in (None, "Actual"):
                key += "#" + item["attributeType"]
            if key in config:
                status, value = enums.GetVariableStatusEnumType.accepted, config[key][0]
            elif any(k.startswith(component["name"] + "/") for k in config):
                status, value = enums.GetVariableStatusEnumType.unknown_variable, None
            else:
                status, value = enums.GetVariableStatusEnumType.unknown_component, None
            results.append(
                {
                    "attributeStatus": status,
                    "component": component,
                    "variable": variable,
                    **({"attributeValue": value} if value is not None else {}),
                }
            )
        return Answer({"getVariableResult": results})

    def on_SetVariables(self, payload: dict) -> Answer:  # noqa: N802
        """Set writable variables; Rejected for read-only ones, UnknownComponent/UnknownVariable otherwise."""
        config, results = self.sim.configuration, []
        for item in payload.get("setVariableData", []):
            component, variable = item["component"], item["variable"]
            key = f"{component['name']}/{variable['name']}"
            if key not in config:
                known = any(k.startswith(component["name"] + "/") for k in config)
                status = (
                    enums.SetVariableStatusEnumType.unknown_variable
                    if known
                    else enums.SetVariableStatusEnumType.unknown_component
                )
            elif config[key][1]:
                status = enums.SetVariableStatusEnumType.rejected
            else:
                config[key] = (str(item["attributeValue"]), False)
                status = enums.SetVariableStatusEnumType.accepted
            results.append({"attributeStatus": status, "component": component, "variable": variable})
        return Answer({"setVariableResult": results})

    def on_TriggerMessage(self, payload: dict) -> Answer:  # noqa: N802
        """Accept the messages the simulator can send, then send it."""
        named = payload.get("evse") or {}
        message, evse = payload.get("requestedMessage"), self.number_of(named.get("id"), named.get("connectorId")) or 1
        tx = self.running()
        sends = {
            "BootNotification": self.sim.boot,
            "Heartbeat": self.sim.heartbeat,
            "StatusNotification": lambda: self.status(evse, self.connector(evse).status),
            "MeterValues": lambda: self.meter_values(self.sim.meter_wh, None, evse),
            "FirmwareStatusNotification": lambda: self.sim.request(call.FirmwareStatusNotification(status="Idle")),
            "LogStatusNotification": lambda: self.sim.request(call.LogStatusNotification(status="Idle")),
        }
        if tx is not None:
            sends["TransactionEvent"] = lambda: self.event(
                enums.TransactionEventEnumType.updated, enums.TriggerReasonEnumType.trigger, tx
            )
        if message not in sends:
            return Answer(to_payload(call_result.TriggerMessage(enums.TriggerMessageStatusEnumType.not_implemented)))
        return Answer(
            to_payload(call_result.TriggerMessage(enums.TriggerMessageStatusEnumType.accepted)), sends[message]
        )

    def on_UnlockConnector(self, payload: dict) -> Answer:  # noqa: N802
        """Unlock, unless an authorized transaction runs there."""
        tx = self.running(self.number_of(payload.get("evseId"), payload.get("connectorId")))
        status = (
            enums.UnlockStatusEnumType.ongoing_authorized_transaction
            if tx is not None and tx.authorized
            else enums.UnlockStatusEnumType.unlocked
        )
        return Answer(to_payload(call_result.UnlockConnector(status)))

    def on_ChangeAvailability(self, payload: dict) -> Answer:  # noqa: N802
        """Accept."""
        return Answer(to_payload(call_result.ChangeAvailability(enums.ChangeAvailabilityStatusEnumType.accepted)))

    def on_DataTransfer(self, payload: dict) -> Answer:  # noqa: N802
        """Answer that no vendor extension is known."""
        return Answer(to_payload(call_result.DataTransfer(enums.DataTransferStatusEnumType.unknown_vendor_id)))

    def on_SendLocalList(self, payload: dict) -> Answer:  # noqa: N802
        """Apply a full or differential list (Failed while LocalAuthListCtrlr.Enabled is false)."""
        config = self.sim.configuration
        if config["LocalAuthListCtrlr/Enabled"][0].lower() != "true":
            return Answer({"status": "Failed"}, summary="Failed: the local list is off")
        items = [
            (
                f"{item['idToken']['type']}:{item['idToken']['idToken'].upper()}",
                (item.get("idTokenInfo") or {}).get("status"),
            )
            for item in payload.get("localAuthorizationList", [])
        ]
        status = self.sim.local_list.apply(payload["versionNumber"], payload["updateType"] == "Full", items)
        config["LocalAuthListCtrlr/Entries"] = (str(len(self.sim.local_list.entries)), True)
        return Answer({"status": status}, summary=f"{status}, {len(self.sim.local_list.entries)} entries")

    def on_GetBaseReport(self, payload: dict) -> Answer:  # noqa: N802
        """Accept a Full or Configuration inventory, then send it in NotifyReport parts."""
        return device.base_report(self.sim, payload)

    def on_GetLocalListVersion(self, payload: dict) -> Answer:  # noqa: N802
        """Return the list's version (0: no list)."""
        return Answer({"versionNumber": self.sim.local_list.version})
