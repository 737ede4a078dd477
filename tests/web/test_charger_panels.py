"""The charger page's 2.0.1 parts and its panels: the variables forms and their refusals, the device model (paged,
searchable) with its Get base report buttons, and the charger's recent events (paged, newest first).

Sending to a connected charger is driven end to end in tests/csms/test_device_model.py and tests/browser.
"""

import pytest

from autocharge.db import utcnow, writing
from autocharge.models import Charger, Connector
from autocharge.services import admins, charger_events, chargers, device_model

from .conftest import AuthActions

HTMX = {"HX-Request": "true", "HX-Target": "command-result"}


@pytest.fixture
def station(app) -> int:
    """Add CP-2, an OCPP 2.0.1 charger with EVSEs 1 and 2 (no socket); return its id."""
    with app.app_context():
        charger_id = chargers.add_charger("CP-2").id
        with writing() as session:
            session.get(Charger, charger_id).ocpp_version = "2.0.1"
            session.add_all([Connector(charger_id=charger_id, connector_id=n, status="Available") for n in (1, 2)])
    return charger_id


def report(app, charger_id: int, request_id: int, parts: list[list[str]]) -> None:
    """Store a device model report of component C's variables, in parts, as NotifyReport does."""
    with app.app_context():
        for seq_no, names in enumerate(parts):
            data = [
                {
                    "component": {"name": "C", "evse": {"id": 1}} if n == "OnEvse" else {"name": "C"},
                    "variable": {"name": n},
                    "variable_attribute": [
                        {"value": n.lower(), "mutability": "ReadOnly"},
                        {"type": "MaxSet", "value": "9"},
                    ],
                    "variable_characteristics": {"data_type": "string", "unit": "A"},
                }
                for n in names
            ]
            device_model.notify_report(charger_id, "CP-2", request_id, utcnow(), seq_no, seq_no < len(parts) - 1, data)


def test_a_2_0_1_charger_page_offers_variables_and_the_base_report(logged_in, station):
    html = logged_in.client.get(f"/chargers/{station}").get_data(as_text=True)
    for path in ("variables", "variables/set", "device-model/report"):
        assert f'hx-post="/chargers/{station}/{path}" hx-target="#command-result"' in html
    assert 'name="base" value="FullInventory"' in html and 'name="base" value="ConfigurationInventory"' in html
    assert f"/chargers/{station}/configuration" not in html  # 1.6's configuration forms are not offered
    assert "<option>TransactionEvent</option>" in html  # trigger message: 2.0.1's messages
    assert "No report received yet." in html and 'id="charger-events"' in html
    assert "some chargers restart\n        their software" in html


def test_a_1_6_charger_page_has_no_device_model(logged_in, app):
    with app.app_context():
        charger_id = chargers.add_charger("CP-1").id
    html = logged_in.client.get(f"/chargers/{charger_id}").get_data(as_text=True)
    assert 'id="device-model"' not in html and "/variables" not in html
    assert f'hx-post="/chargers/{charger_id}/configuration"' in html


REFUSALS = [
    ("variables", {}, "Name at least one variable as Component.Variable."),
    ("variables", {"names": "NoDot"}, "Name a variable as Component.Variable"),
    (
        "variables",
        {"names": "A.B", "attribute_type": "Bogus"},
        "The attribute is one of Actual, Target, MinSet, MaxSet.",
    ),
    ("variables", {"names": "A.B", "evse_id": "7"}, "Choose one of the charger's EVSEs (CP-2 reports 1, 2)."),
    ("variables", {"names": " ".join(f"A.V{n}" for n in range(21))}, "Read at most 20 variables at once."),
    ("variables", {"names": "A:x y.B"}, "Name a variable as Component.Variable"),
    ("variables/set", {"name": "A.B", "value": "1\n2"}, "A value cannot contain control characters"),
    ("variables/set", {"name": "A." + "V" * 51, "value": "1"}, "Each name and instance is at most 50 characters."),
    ("variables/set", {"name": "A.B", "value": "v" * 1001}, "A value is at most 1000 characters."),
    ("device-model/report", {"base": "Everything"}, "Choose a report: FullInventory, ConfigurationInventory"),
]


@pytest.mark.parametrize("with_htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("path", "data", "message"), REFUSALS)
def test_variable_forms_refuse_in_plain_words(logged_in, station, path, data, message, with_htmx):
    response = logged_in.post(f"/chargers/{station}/{path}", data, headers=HTMX if with_htmx else {})
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422
    assert message in html
    assert ("<html" in html) is not with_htmx


def test_variables_of_an_offline_charger_answer_at_once(logged_in, station):
    response = logged_in.post(f"/chargers/{station}/variables", {"names": "OCPPCommCtrlr.HeartbeatInterval"})
    assert response.status_code == 200 and "CP-2 is offline." in response.get_data(as_text=True)
    response = logged_in.post(f"/chargers/{station}/device-model/report", {"base": "FullInventory"})
    assert response.status_code == 302
    assert "CP-2 is offline." in logged_in.client.get(f"/chargers/{station}").get_data(as_text=True)


def test_device_model_is_shown_paged_and_searched(app, logged_in, station):
    names = [f"V{n:02d}" for n in range(30)]
    report(app, station, 1, [names[:10], names[10:20], names[20:] + ["OnEvse"]])
    page = logged_in.client.get(f"/chargers/{station}").get_data(as_text=True)
    assert "<td><code>C</code></td>\n          <td>1</td>\n          <td><code>OnEvse</code></td>" in page
    assert "Report 1, generated" in page and "31 variables in 3 parts." in page
    assert (
        page.count("<td><code>C</code></td>") == 25 and "<code>v00</code>" in page and "MaxSet <code>9</code>" in page
    )
    second = logged_in.client.get(f"/chargers/{station}/device-model?page=2", headers={"HX-Request": "true"})
    html = second.get_data(as_text=True)
    assert "<html" not in html and html.count("<td><code>C</code></td>") == 6 and "‹ Previous" in html
    found = logged_in.client.get(f"/chargers/{station}/device-model?q=v1").get_data(as_text=True)
    assert "<html" in found and found.count("<td><code>C</code></td>") == 10  # without JavaScript: a page of its own
    nothing = logged_in.client.get(f"/chargers/{station}/device-model?q=zzz", headers={"HX-Request": "true"})
    assert "Nothing matches “zzz”." in nothing.get_data(as_text=True)


def test_a_newer_report_replaces_the_model_once_complete(app, logged_in, station):
    report(app, station, 1, [["Old"]])
    with app.app_context():
        device_model.notify_report(
            station, "CP-2", 2, utcnow(), 0, True, [{"component": {"name": "C"}, "variable": {"name": "New"}}]
        )
    html = logged_in.client.get(f"/chargers/{station}/device-model").get_data(as_text=True)
    assert "<code>Old</code>" in html and "Report 2: 1 part in" in html  # the old model stays until the last part
    with app.app_context():
        device_model.notify_report(station, "CP-2", 2, utcnow(), 1, False, [])
    html = logged_in.client.get(f"/chargers/{station}/device-model").get_data(as_text=True)
    assert "<code>Old</code>" not in html and "<code>New</code>" in html and "1 variable in 2 parts." in html


def test_events_are_shown_newest_first_and_paged(app, logged_in, station):
    with app.app_context():
        for n in range(12):
            charger_events.note(station, "CP-2", "boot", f"Booted number {n}.")
        charger_events.note(station, "CP-2", "refused", "Connect refused from 10.0.0.9: wrong password.", warning=True)
    page = logged_in.client.get(f"/chargers/{station}").get_data(as_text=True)
    assert page.index("Connect refused from 10.0.0.9: wrong password.") < page.index("Booted number 11.")
    assert "Booted number 2." not in page and f'href="/chargers/{station}/events?page=2"' in page
    older = logged_in.client.get(f"/chargers/{station}/events?page=2", headers={"HX-Request": "true"})
    html = older.get_data(as_text=True)
    assert "<html" not in html and "Booted number 2." in html and "Booted number 0." in html and "‹ Newer" in html
    assert "hx-trigger" not in html  # only the newest page refreshes itself
    plain = logged_in.client.get(f"/chargers/{station}/events?page=nonsense").get_data(as_text=True)
    assert "<h1>Events of CP-2</h1>" in plain and "Booted number 11." in plain


def test_refusals_for_an_unknown_id_appear_once_it_is_added(app, client, logged_in):
    with app.app_context():
        charger_events.note_unknown("CP-NEW", "192.0.2.7")
        charger_id = chargers.add_charger("CP-NEW").id
    html = logged_in.client.get(f"/chargers/{charger_id}").get_data(as_text=True)
    assert "Connect refused from 192.0.2.7: unknown charge box id." in html


def test_viewers_see_the_panels_without_the_report_buttons(app, client, station):
    report(app, station, 1, [["Seen"]])
    with app.app_context():
        admins.create_admin("viewer@example.com", "correct horse battery", role="viewer")
    AuthActions(client).login("viewer@example.com")
    html = client.get(f"/chargers/{station}").get_data(as_text=True)
    assert "<code>Seen</code>" in html and 'id="charger-events"' in html and "Get base report" not in html
