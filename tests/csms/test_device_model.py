"""2.0.1 GetVariables / SetVariables, GetBaseReport + NotifyReport (the device model), NotifyEvent and security
events, and the charger events they leave, over real sockets and through the dispatcher (issue 11, points 2, 4 and 5).

Commands run on the in-process server of test_commands.py (they need the process that holds the socket); the
simulator answers them and sends its report in parts.
"""

import threading

import pytest
import sqlalchemy as sa
import websocket

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import ChargerEvent, DeviceReport, DeviceVariable
from autocharge.services import (
    ServiceError,
    charger_events,
    charger_state,
    chargers,
    commands,
    device_model,
    local_auth,
)
from autocharge.services.link import VariableResult
from autocharge.simulator import Simulator

from .support import InProcessCharger, RawCharger, eventually
from .test_commands import ServerThread, make_app, registry


@pytest.fixture
def server(database_url):
    """Return the in-process OCPP server on the test's database."""
    app = make_app(database_url, AUTOCHARGE_COMMAND_TIMEOUT=20.0)
    running = ServerThread(app).start()
    yield running
    running.stop()
    for conn in registry.connections():
        registry.unregister(conn)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def station(server, charger):
    """Return CP-1 as a simulated 2.0.1 station on the in-process server, booted, reporting 4 variables a part."""
    sim = Simulator(server.ws_url, "CP-1", version="2.0.1", report_part_size=4)
    sim.connect()
    sim.boot()
    yield sim
    sim.close()


def events(in_db, charger_id: int) -> list[tuple[str, str, str]]:
    """Return the charger's events, newest first, as (kind, level, summary)."""
    return in_db(lambda: [(e.kind, e.level, e.summary) for e in charger_events.page(charger_id, per_page=50).items])


def variables(in_db, charger_id: int) -> list[tuple[str, str, str | None]]:
    """Return the stored device model as (component, variable, Actual value), whatever report they belong to."""
    query = sa.select(
        DeviceVariable.component, DeviceVariable.variable, DeviceVariable.value, DeviceVariable.request_id
    )
    return in_db(lambda: [tuple(row) for row in db.session.execute(query.order_by(DeviceVariable.id))])


def test_get_variables_answers_each_variable_with_its_status(server, station, charger, in_db):
    names = "OCPPCommCtrlr.HeartbeatInterval, AuthCtrlr.NoSuchThing, Nowhere.Enabled"
    result = server.run(lambda: commands.get_variables(charger, names))
    assert result.results == [
        VariableResult("OCPPCommCtrlr.HeartbeatInterval", "Accepted", str(station.heartbeat_interval)),
        VariableResult("AuthCtrlr.NoSuchThing", "UnknownVariable"),
        VariableResult("Nowhere.Enabled", "UnknownComponent"),
    ]
    assert result.status == "Answered" and result.message == "CP-1 answered 3 variables: 1 accepted."
    sent = station.wait_for("GetVariables")["getVariableData"]
    assert sent[0] == {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
    assert ("command", "warning", "Command variables read: Answered.") in events(in_db, charger)


def test_get_variables_of_an_attribute_instance_and_evse(server, station, charger):
    result = server.run(lambda: commands.get_variables(charger, "LocalAuthListCtrlr.Entries", attribute_type="MaxSet"))
    assert result.results == [VariableResult("LocalAuthListCtrlr.Entries MaxSet", "Accepted", "50")]
    server.run(lambda: commands.get_variables(charger, "EVSE:2.Power:L1", evse_id=1))
    assert station.wait_for("GetVariables", count=2)["getVariableData"] == [
        {
            "component": {"name": "EVSE", "instance": "2", "evse": {"id": 1}},
            "variable": {"name": "Power", "instance": "L1"},
        }
    ]


def test_set_variable_accepted_rejected_and_unknown(server, station, charger, in_db, fetch):
    result = server.run(lambda: commands.set_variable(charger, "OCPPCommCtrlr.HeartbeatInterval", "120"))
    assert result.accepted and result.results == [VariableResult("OCPPCommCtrlr.HeartbeatInterval", "Accepted")]
    assert station.configuration["OCPPCommCtrlr/HeartbeatInterval"][0] == "120"
    refused = server.run(lambda: commands.set_variable(charger, "ChargingStation.Model", "X"))
    assert refused.results == [VariableResult("ChargingStation.Model", "Rejected")] and not refused.accepted
    kept = events(in_db, charger)
    assert ("command", "info", "Command change of OCPPCommCtrlr.HeartbeatInterval: Accepted.") in kept
    assert ("command", "warning", "Command change of ChargingStation.Model: Rejected.") in kept
    assert not any("120" in summary for _, _, summary in kept)  # a value set is never recorded


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: commands.get_variables(c, ""), "names"),
        (lambda c: commands.get_variables(c, "NoDot"), "names"),
        (lambda c: commands.get_variables(c, "A.B", attribute_type="Bogus"), "attribute_type"),
        (lambda c: commands.get_variables(c, " ".join(f"A.V{i}" for i in range(21))), "names"),
        (lambda c: commands.set_variable(c, "A.B", "line\nbreak"), "value"),
        (lambda c: commands.set_variable(c, "A." + "x" * 51, "1"), "name"),
        (lambda c: commands.get_base_report(c, "Everything"), "base"),
    ],
)
def test_bad_variables_are_refused_before_anything_is_sent(server, station, charger, call, field):
    with pytest.raises(ServiceError) as info:
        server.run(lambda: call(charger))
    assert info.value.field == field
    assert [a for a, _ in station.received if a in ("GetVariables", "SetVariables", "GetBaseReport")] == []


def test_variables_need_a_2_0_1_charger(server, charger):
    sim = Simulator(server.ws_url, "CP-1", version="1.6")
    sim.connect()
    try:
        sim.boot()
        with pytest.raises(ServiceError, match="speaks OCPP 1.6, which has no variables read: use Read configuration"):
            server.run(lambda: commands.get_variables(charger, "A.B"))
    finally:
        sim.close()


def test_base_report_in_parts_becomes_the_device_model_and_a_newer_one_replaces_it(server, station, charger, in_db):
    result = server.run(lambda: commands.get_base_report(charger, "FullInventory"))
    assert result.accepted
    expected = len(device_model_keys(station))
    report = eventually(lambda: (r := in_db(lambda: device_model.report(charger))) and r.request_id and r)
    assert (report.request_id, report.variables, report.parts) == (1, expected, -(-expected // 4))
    assert report.parts > 1 and report.pending_request_id is None
    shown = in_db(lambda: device_model.page(charger, per_page=100))
    assert len(shown.items) == expected and not shown.has_next
    entries = next(v for v in shown.items if v.component == "LocalAuthListCtrlr" and v.variable == "Entries")
    assert {a["type"]: a["value"] for a in entries.attributes} == {"Actual": "0", "MaxSet": "50"}
    assert entries.characteristics == {"data_type": "integer", "supports_monitoring": False}

    station.configuration["OCPPCommCtrlr/HeartbeatInterval"] = ("77", False)
    server.run(lambda: commands.get_base_report(charger, "ConfigurationInventory"))
    newer = eventually(lambda: (r := in_db(lambda: device_model.report(charger))) and r.request_id == 2 and r)
    writable = [k for k, (_, read_only) in station.configuration.items() if not read_only]
    assert newer.variables == len(writable)
    stored = variables(in_db, charger)
    assert {row[3] for row in stored} == {2}  # the first report is gone
    assert ("OCPPCommCtrlr", "HeartbeatInterval", "77", 2) in stored
    found = in_db(lambda: device_model.page(charger, search="heartbeat"))
    assert [(v.component, v.variable) for v in found.items] == [("OCPPCommCtrlr", "HeartbeatInterval")]
    kept = events(in_db, charger)
    assert kept[0][:2] == ("report", "info") and kept[0][2].startswith(f"Device model received: {len(writable)} ")


def device_model_keys(sim: Simulator) -> set[str]:
    """Return the simulator's variables (attributes of one variable count once)."""
    return {key.partition("#")[0] for key in sim.configuration}


def test_summary_inventory_not_supported_is_said(server, station, charger):
    result = server.run(lambda: commands.get_base_report(charger, "SummaryInventory"))
    assert (result.status, result.message) == ("NotSupported", "CP-1: SummaryInventory report request NotSupported.")


@pytest.fixture
def raw201(db_app, charger):
    """Return CP-1 as a 2.0.1 charger sending raw frames to the dispatcher in process, booted."""
    client = InProcessCharger(db_app, "CP-1", "2.0.1")
    assert client.result(
        "BootNotification", {"chargingStation": {"vendorName": "A", "model": "B"}, "reason": "PowerUp"}
    )
    return client


def part(request_id: int, seq_no: int, names: list[str], tbc: bool) -> dict:
    """Return a NotifyReport part with one ReportData per variable name (of component C)."""
    data = [
        {"component": {"name": "C"}, "variable": {"name": n}, "variableAttribute": [{"value": n.lower()}]}
        for n in names
    ]
    return {
        "requestId": request_id,
        "generatedAt": "2026-12-03T10:00:00Z",
        "seqNo": seq_no,
        "tbc": tbc,
        "reportData": data,
    }


def test_parts_sent_again_count_once_and_a_gap_drops_the_report(raw201, charger, in_db):
    assert raw201.result("NotifyReport", part(7, 0, ["A", "B"], True)) == {}
    assert raw201.result("NotifyReport", part(7, 0, ["A", "B"], True)) == {}  # a retry
    assert in_db(lambda: device_model.report(charger).request_id) is None  # nothing shown before the last part
    assert raw201.result("NotifyReport", part(7, 1, ["C"], False)) == {}
    report = in_db(lambda: device_model.report(charger))
    assert (report.request_id, report.variables, report.parts) == (7, 3, 2)

    assert raw201.result("NotifyReport", part(8, 0, ["X"], True)) == {}
    assert raw201.result("NotifyReport", part(8, 2, ["Z"], False)) == {}  # part 1 never came
    report = in_db(lambda: device_model.report(charger))
    assert report.request_id == 7 and report.pending_request_id is None
    assert report.last_result == "Report 8 dropped: part 1 never arrived (part 2 did)."
    assert sorted(v[1] for v in variables(in_db, charger)) == ["A", "B", "C"]  # the model shown stays whole
    assert events(in_db, charger)[0] == ("report", "warning", report.last_result)


def test_notify_event_and_security_event_are_kept_and_answered(station, charger, in_db, fetch):
    assert station.notify_event("EVSE", "Problem", "true", evse_id=1, tech_code="E42", tech_info="Overheat") == {}
    assert station.notify_event("Connector", "AvailabilityState", "Faulted", evse_id=1, trigger="Delta") == {}
    assert station.security_event("SettingSystemTime", "clock moved 3 s") == {}
    kept = eventually(lambda: (found := events(in_db, charger)) and found[0][0] == "security" and found)
    assert kept[0][:2] == ("security", "warning")
    assert kept[0][2].startswith("Security event SettingSystemTime at ") and kept[0][2].endswith(": clock moved 3 s.")
    problem = next(e for e in kept if e[0] == "event")
    assert problem[1] == "warning"
    assert problem[2].startswith("Event Alerting: EVSE (EVSE 1) Problem = true (event notification type")
    assert "tech code E42; tech info Overheat" in problem[2]
    assert not any("AvailabilityState" in e[2] for e in kept)  # a connector status, kept as such
    assert in_db(lambda: [c.status for c in device_model_connectors(charger)]) == ["Faulted"]


def device_model_connectors(charger_id: int):
    """Return the charger's connectors."""
    return charger_state.connectors(charger_id)


def test_security_event_of_a_1_6_charger(server, charger, in_db):
    sim = Simulator(server.ws_url, "CP-1", version="1.6")
    sim.connect()
    try:
        sim.boot()
        assert sim.security_event("FirmwareUpdated") == {}
    finally:
        sim.close()
    kept = events(in_db, charger)
    assert kept[0][0] == "security" and kept[0][2].startswith("Security event FirmwareUpdated at ")


def test_boots_and_call_errors_are_kept_newest_first(server, charger, in_db):
    client = RawCharger(websocket.create_connection(f"{server.ws_url}/CP-1", subprotocols=["ocpp1.6"], timeout=5))
    try:
        boot = {"chargePointVendor": "Acme", "chargePointModel": "W1", "firmwareVersion": "1.2"}
        assert client.result("BootNotification", boot)["status"] == "Accepted"

        def refuse():
            frame = client.recv()
            client.send([4, frame[1], "NotSupported", "no cache here", {}])

        helper = threading.Thread(target=refuse)
        helper.start()
        with pytest.raises(commands.CommandFailed):
            server.run(lambda: commands.clear_cache(charger))
        helper.join(5)
    finally:
        client.close()
    kept = events(in_db, charger)
    assert kept == [
        ("call_error", "warning", "CP-1 could not process ClearCache: NotSupported (no cache here)."),
        ("boot", "info", "Booted: Acme W1, firmware 1.2, OCPP 1.6; answered accepted."),
    ]  # the command's failure is the CallError's row, not a second one


def test_events_page_is_newest_first_and_paged(in_db, charger):
    def add():
        with writing():
            for n in range(23):
                charger_events.record(charger, "CP-1", "boot", f"event {n}")

    in_db(add)
    first = in_db(lambda: charger_events.page(charger))
    third = in_db(lambda: charger_events.page(charger, 3))
    assert [e.summary for e in first.items] == [f"event {n}" for n in range(22, 12, -1)] and first.has_next
    assert [e.summary for e in third.items] == ["event 2", "event 1", "event 0"] and not third.has_next
    assert in_db(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(ChargerEvent))) == 23
    assert in_db(lambda: db.session.get(DeviceReport, charger)) is None


def limit(variable: str, value: str, kind: str = "Actual") -> dict:
    """Return a LocalAuthListCtrlr variable as NotifyReport data (snake_case, as the handlers store it)."""
    return {
        "component": {"name": "LocalAuthListCtrlr"},
        "variable": {"name": variable},
        "variable_attribute": [{"type": kind, "value": value}],
    }


@pytest.mark.parametrize(
    ("reported", "live", "expected"),
    [
        ([limit("Entries", "40", "MaxSet"), limit("ItemsPerMessage", "3")], {}, (40, 3)),
        ([limit("BytesPerMessage", "600")], {}, (None, 4)),  # (600 - 120) // 110 entries fit a message
        ([limit("ItemsPerMessage", "3")], {"LocalAuthListCtrlr/ItemsPerMessage": ("9", True)}, (None, 9)),
    ],
    ids=["from the model", "bytes per message", "the station's own answer first"],
)
def test_local_list_limits_the_station_leaves_out_come_from_its_device_model(
    server, charger, in_db, reported, live, expected
):
    in_db(lambda: local_auth.set_enabled(charger, True))
    in_db(lambda: device_model.notify_report(charger, "CP-1", 1, utcnow(), 0, False, reported))
    sim = Simulator(server.ws_url, "CP-1", version="2.0.1")
    for key in ("LocalAuthListCtrlr/ItemsPerMessage", "LocalAuthListCtrlr/Entries#MaxSet"):
        del sim.configuration[key]
    sim.configuration.update(live)
    sim.connect()
    try:
        sim.boot()
        row = eventually(lambda: (r := in_db(lambda: local_auth.state(charger))) and r.limits_at and r, 10)
        assert (row.max_entries, row.per_message) == expected
    finally:
        sim.close()


def test_a_pending_chargers_repeated_boots_are_kept_once(db_app, in_db):
    pending = in_db(lambda: chargers.add_charger("CP-P", registration="pending").id)
    client = InProcessCharger(db_app, "CP-P", "1.6")
    boot = {"chargePointVendor": "Acme", "chargePointModel": "W1"}
    for _ in range(3):
        assert client.result("BootNotification", boot)["status"] == "Pending"
    assert events(in_db, pending) == [
        ("boot", "warning", "Booted: Acme W1, firmware not given, OCPP 1.6; answered pending.")
    ]
