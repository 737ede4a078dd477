"""OCPP 1.6J as the simulated charger speaks it: its messages, and its answers to the CSMS's Calls."""

from ocpp.v16 import call, call_result, datatypes, enums

from .link import SimulatorError
from .state import Answer, Dialect, Session, Token, make_token, now_iso, to_payload

ACCEPTED = enums.AuthorizationStatus.accepted


def sample(energy_wh: float, power_w: float | None, context: str) -> datatypes.MeterValue:
    """Return one 1.6 meter value: the energy register and, if given, the power."""
    values = [
        datatypes.SampledValue(
            value=str(int(energy_wh)),
            context=context,
            location=enums.Location.outlet,
            measurand=enums.Measurand.energy_active_import_register,
            unit=enums.UnitOfMeasure.wh,
        )
    ]
    if power_w is not None:
        values.append(
            datatypes.SampledValue(
                value=str(int(power_w)),
                context=context,
                measurand=enums.Measurand.power_active_import,
                unit=enums.UnitOfMeasure.w,
            )
        )
    return datatypes.MeterValue(timestamp=now_iso(), sampled_value=values)


class Ocpp16(Dialect):
    """The simulated charger's OCPP 1.6 behaviour."""

    version = "1.6"

    heartbeat_key = "HeartbeatInterval"

    def default_configuration(self) -> dict[str, tuple[str, bool]]:
        """Return the configuration keys GetConfiguration reports: key -> (value, read-only)."""
        return {
            "AuthorizeRemoteTxRequests": ("false", False),
            "AuthorizationCacheEnabled": ("true", False),
            "ClockAlignedDataInterval": ("0", False),
            "ConnectionTimeOut": ("60", False),
            "HeartbeatInterval": ("300", False),
            "LocalAuthorizeOffline": ("true", False),
            "LocalPreAuthorize": ("false", False),
            "MeterValueSampleInterval": ("60", False),
            "MeterValuesSampledData": ("Energy.Active.Import.Register,Power.Active.Import", False),
            "NumberOfConnectors": (str(self.sim.connector_count), True),
            "StopTransactionOnInvalidId": ("true", False),
            "SupportedFeatureProfiles": ("Core,RemoteTrigger,LocalAuthListManagement", True),
            "LocalAuthListEnabled": ("true", False),
            "LocalAuthListMaxLength": (str(self.sim.local_list.max_entries), True),
            "SendLocalListMaxLength": (str(self.sim.local_list.per_message), True),
        }

    def boot(self) -> dict:
        """Send BootNotification."""
        sim = self.sim
        return sim.request(
            call.BootNotification(
                charge_point_model=sim.model,
                charge_point_vendor=sim.vendor,
                charge_point_serial_number=sim.serial,
                charge_box_serial_number=sim.serial,
                firmware_version=sim.firmware,
            )
        )

    def status(self, connector_id: int, status: str, error_code: str = "NoError") -> dict:
        """Send StatusNotification and remember the connector's status."""
        self.connector(connector_id).status = status
        self.sim.say(f"StatusNotification connector {connector_id}: {status}")
        return self.sim.request(
            call.StatusNotification(
                connector_id=connector_id, error_code=error_code, status=status, timestamp=now_iso()
            )
        )

    def plug_in(self, connector_id: int) -> dict:
        """Plug a vehicle in: the connector becomes Preparing."""
        self.connector(connector_id).plugged = True
        return self.status(connector_id, enums.ChargePointStatus.preparing)

    def authorize(self, token: Token) -> dict:
        """Send Authorize for an idTag."""
        answer = self.sim.request(call.Authorize(id_tag=token.value))
        self.sim.say(f"Authorize {token} -> {answer['idTagInfo']['status']}")
        return answer

    def start_transaction(self, connector_id: int, token: Token, meter_start: int) -> dict:
        """Send StartTransaction; when idTagInfo is not Accepted, stop again (StopTransactionOnInvalidId)."""
        if self.running() is not None:
            raise SimulatorError("A transaction is already running on the simulator.")
        if not self.connector(connector_id).plugged:
            self.plug_in(connector_id)
        self.sim.meter_wh = meter_start
        answer = self.sim.request(
            call.StartTransaction(
                connector_id=connector_id, id_tag=token.value, meter_start=meter_start, timestamp=now_iso()
            )
        )
        status = answer["idTagInfo"]["status"]
        self.sim.say(
            f"StartTransaction connector {connector_id}, {token}, meter {meter_start} Wh"
            f" -> transaction {answer['transactionId']}, {status}"
        )
        self.sim.transaction = Session(
            connector_id, answer["transactionId"], meter_start, token, authorized=status == ACCEPTED
        )
        if status == ACCEPTED:
            self.status(connector_id, enums.ChargePointStatus.charging)
        else:
            self.stop_transaction(meter_start, enums.Reason.de_authorized)
        return answer

    def meter_values(self, energy_wh: float, power_w: float | None, connector_id: int) -> dict:
        """Send MeterValues (with the transaction id while one runs on the connector)."""
        self.sim.meter_wh = int(energy_wh)
        tx = self.running(connector_id)
        self.sim.say(
            f"MeterValues connector {connector_id}: {int(energy_wh)} Wh"
            + (f", {int(power_w)} W" if power_w is not None else "")
        )
        return self.sim.request(
            call.MeterValues(
                connector_id=connector_id,
                transaction_id=tx.transaction_id if tx else None,
                meter_value=[sample(energy_wh, power_w, enums.ReadingContext.sample_periodic)],
            )
        )

    def stop_transaction(self, meter_stop: int, reason: str) -> dict:
        """Send StopTransaction with its transactionData; the connector becomes Finishing (or Available)."""
        tx = self.running()
        if tx is None:
            raise SimulatorError("No transaction is running on the simulator.")
        self.sim.meter_wh = meter_stop
        begin = sample(tx.meter_start, None, enums.ReadingContext.transaction_begin)
        begin.timestamp = tx.started_at
        answer = self.sim.request(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=now_iso(),
                transaction_id=tx.transaction_id,
                reason=reason,
                id_tag=tx.token.value if tx.token else None,
                transaction_data=[begin, sample(meter_stop, None, enums.ReadingContext.transaction_end)],
            )
        )
        status = answer.get("idTagInfo", {}).get("status")
        self.sim.say(f"StopTransaction {tx.transaction_id} at {meter_stop} Wh ({reason}) -> {status or 'ok'}")
        self.sim.transaction = None
        plugged = self.connector(tx.connector_id).plugged
        self.status(
            tx.connector_id, enums.ChargePointStatus.finishing if plugged else enums.ChargePointStatus.available
        )
        return answer

    def unplug(self, connector_id: int) -> None:
        """Unplug: stop a running transaction (EVDisconnected); the connector becomes Available."""
        self.connector(connector_id).plugged = False
        if self.running(connector_id) is not None:
            self.stop_transaction(self.sim.meter_wh, enums.Reason.ev_disconnected)
        if self.connector(connector_id).status != enums.ChargePointStatus.available:
            self.status(connector_id, enums.ChargePointStatus.available)

    # The CSMS's Calls. Each answers at once; what the charger then does runs afterwards, in order.

    def on_RemoteStartTransaction(self, payload: dict) -> Answer:  # noqa: N802 - named after the OCPP action
        """Accept unless a transaction runs; then start one with the given idTag (no Authorize first)."""
        connector_id = payload.get("connectorId") or 1
        if self.running() is not None:
            return Answer(to_payload(call_result.RemoteStartTransaction(enums.RemoteStartStopStatus.rejected)))
        token = make_token("1.6", payload["idTag"], None)
        return Answer(
            to_payload(call_result.RemoteStartTransaction(enums.RemoteStartStopStatus.accepted)),
            lambda: self.start_transaction(connector_id, token, self.sim.meter_wh),
        )

    def on_RemoteStopTransaction(self, payload: dict) -> Answer:  # noqa: N802
        """Accept for the running transaction and stop it (Remote); reject any other id."""
        tx = self.running()
        if tx is None or tx.transaction_id != payload.get("transactionId"):
            return Answer(to_payload(call_result.RemoteStopTransaction(enums.RemoteStartStopStatus.rejected)))
        return Answer(
            to_payload(call_result.RemoteStopTransaction(enums.RemoteStartStopStatus.accepted)),
            lambda: self.stop_transaction(self.sim.meter_wh, enums.Reason.remote),
        )

    def on_ClearCache(self, payload: dict) -> Answer:  # noqa: N802
        """Accept (the simulator keeps no authorization cache)."""
        return Answer(to_payload(call_result.ClearCache(enums.ClearCacheStatus.accepted)))

    def on_Reset(self, payload: dict) -> Answer:  # noqa: N802
        """Accept; stop a running transaction (Hard/SoftReset) and boot again."""
        reason = enums.Reason.hard_reset if payload.get("type") == "Hard" else enums.Reason.soft_reset
        return Answer(to_payload(call_result.Reset(enums.ResetStatus.accepted)), lambda: self.sim.reboot(reason))

    def on_GetConfiguration(self, payload: dict) -> Answer:  # noqa: N802
        """Return the requested keys (all when none are named) and the unknown ones."""
        config = self.sim.configuration
        wanted = payload.get("key") or list(config)
        known = [datatypes.KeyValue(key=k, readonly=config[k][1], value=config[k][0]) for k in wanted if k in config]
        unknown = [k for k in wanted if k not in config]
        return Answer(to_payload(call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)))

    def on_ChangeConfiguration(self, payload: dict) -> Answer:  # noqa: N802
        """Change a writable key; refuse read-only ones; NotSupported for unknown keys."""
        key, value = payload.get("key"), payload.get("value")
        config = self.sim.configuration
        if key not in config:
            status = enums.ConfigurationStatus.not_supported
        elif config[key][1]:
            status = enums.ConfigurationStatus.rejected
        else:
            config[key] = (value, False)
            status = enums.ConfigurationStatus.accepted
        return Answer(to_payload(call_result.ChangeConfiguration(status)))

    def on_TriggerMessage(self, payload: dict) -> Answer:  # noqa: N802
        """Accept the messages the simulator can send, then send it."""
        message, connector_id = payload.get("requestedMessage"), payload.get("connectorId") or 1
        sends = {
            "BootNotification": self.sim.boot,
            "Heartbeat": self.sim.heartbeat,
            "StatusNotification": lambda: self.status(connector_id, self.connector(connector_id).status),
            "MeterValues": lambda: self.meter_values(self.sim.meter_wh, None, connector_id),
            "DiagnosticsStatusNotification": lambda: self.sim.request(call.DiagnosticsStatusNotification("Idle")),
            "FirmwareStatusNotification": lambda: self.sim.request(call.FirmwareStatusNotification("Idle")),
        }
        if message not in sends:
            return Answer(to_payload(call_result.TriggerMessage(enums.TriggerMessageStatus.not_implemented)))
        return Answer(to_payload(call_result.TriggerMessage(enums.TriggerMessageStatus.accepted)), sends[message])

    def on_UnlockConnector(self, payload: dict) -> Answer:  # noqa: N802
        """Unlock; a transaction running on that connector stops (UnlockCommand)."""
        connector_id = payload.get("connectorId")
        then = None
        if self.running(connector_id) is not None:
            then = lambda: self.stop_transaction(self.sim.meter_wh, enums.Reason.unlock_command)  # noqa: E731
        return Answer(to_payload(call_result.UnlockConnector(enums.UnlockStatus.unlocked)), then)

    def on_ChangeAvailability(self, payload: dict) -> Answer:  # noqa: N802
        """Accept."""
        return Answer(to_payload(call_result.ChangeAvailability(enums.AvailabilityStatus.accepted)))

    def on_DataTransfer(self, payload: dict) -> Answer:  # noqa: N802
        """Answer that no vendor extension is known."""
        return Answer(to_payload(call_result.DataTransfer(enums.DataTransferStatus.unknown_vendor_id)))

    def on_SendLocalList(self, payload: dict) -> Answer:  # noqa: N802
        """Apply a full or differential list (NotSupported while LocalAuthListEnabled is false)."""
        if self.sim.configuration["LocalAuthListEnabled"][0].lower() != "true":
            return Answer({"status": "NotSupported"})
        items = [
            (item["idTag"].upper(), (item.get("idTagInfo") or {}).get("status"))
            for item in payload.get("localAuthorizationList", [])
        ]
        status = self.sim.local_list.apply(payload["listVersion"], payload["updateType"] == "Full", items)
        return Answer({"status": status}, summary=f"{status}, {len(self.sim.local_list.entries)} entries")

    def on_GetLocalListVersion(self, payload: dict) -> Answer:  # noqa: N802
        """Return the list's version (-1 while LocalAuthListEnabled is false: no local list)."""
        enabled = self.sim.configuration["LocalAuthListEnabled"][0].lower() == "true"
        return Answer({"listVersion": self.sim.local_list.version if enabled else -1})
