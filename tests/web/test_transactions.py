"""The Transactions screen: the plain list, paging and the detail page."""

from datetime import timedelta

import pytest

from autocharge.db import utcnow, writing
from autocharge.models import MeterSample, Transaction, Vehicle
from autocharge.services import chargers, users

T0 = utcnow().replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def sessions(app):
    """Store three transactions: Auto charge (completed), RFID (completed), App (active); return their ids."""
    with app.app_context():
        charger = chargers.add_charger("CP-1")
        alice = users.add_user("Alice", "alice@example.com")
        with writing() as session:
            vehicle = Vehicle(
                user_id=alice.id, plate="B-EV 123", plate_key="BEV123", status="active", identifier="0A1B2C3D4E5F"
            )
            session.add(vehicle)
            session.flush()
            rows = [
                Transaction(
                    charger_id=charger.id,
                    connector_id=1,
                    dedupe_key="a",
                    user_id=alice.id,
                    vehicle_id=vehicle.id,
                    origin="autocharge",
                    status="completed",
                    start_time=T0,
                    stop_time=T0 + timedelta(minutes=75, seconds=5),
                    meter_start=1000,
                    meter_stop=23456,
                    energy_wh=22456,
                    stop_reason="EVDisconnected",
                ),
                Transaction(
                    charger_id=charger.id,
                    connector_id=2,
                    dedupe_key="b",
                    user_id=alice.id,
                    origin="rfid",
                    status="completed",
                    start_time=T0 + timedelta(hours=2),
                    stop_time=T0 + timedelta(hours=2, seconds=45),
                    energy_wh=5,
                ),
                Transaction(
                    charger_id=charger.id,
                    connector_id=1,
                    dedupe_key="c",
                    user_id=alice.id,
                    origin="app",
                    status="active",
                    start_time=T0 + timedelta(hours=3),
                ),
            ]
            session.add_all(rows)
            session.flush()
            session.add_all(
                [
                    MeterSample(
                        transaction_id=rows[0].id,
                        timestamp=T0 + timedelta(minutes=m),
                        energy_wh=1000 + 300 * m,
                        power_w=18000.0,
                        soc=40.0 + m,
                    )
                    for m in (0, 30, 60)
                ]
            )
        return [row.id for row in rows]


def _rows(html: str) -> list[str]:
    """Return the table rows of the transactions list, top to bottom."""
    body = html.split('<table class="data" id="transactions">')[1].split("</tbody>")[0]
    return body.split('<tr id="transaction-')[1:]


def test_list_is_newest_first_with_origin_energy_and_duration(logged_in, sessions):
    html = logged_in.client.get("/transactions/").get_data(as_text=True)
    rows = _rows(html)
    assert [int(row.split('"')[0]) for row in rows] == sessions[::-1]
    app_row, rfid_row, auto_row = rows
    assert "App" in app_row and "Active" in app_row
    assert "RFID" in rfid_row and "45 s" in rfid_row and "0.005" in rfid_row
    for text in ("Auto charge", "CP-1", "Alice", "1 h 15 min", "22.456", "Completed", T0.strftime("%Y-%m-%d %H:%M:%S")):
        assert text in auto_row


def test_paging(logged_in, sessions):
    first = logged_in.client.get("/transactions/?per_page=2").get_data(as_text=True)
    assert [int(row.split('"')[0]) for row in _rows(first)] == [sessions[2], sessions[1]]
    assert "1–2 of 3 transactions" in first and "Page 1 of 2" in first
    assert 'href="/transactions/?per_page=2&amp;page=2"' in first and 'rel="prev"' not in first
    second = logged_in.client.get("/transactions/?page=2&per_page=2").get_data(as_text=True)
    assert [int(row.split('"')[0]) for row in _rows(second)] == [sessions[0]]
    assert "3–3 of 3 transactions" in second and 'rel="prev"' in second and 'rel="next"' not in second
    past = logged_in.client.get("/transactions/?page=9")
    html = past.get_data(as_text=True)
    assert past.status_code == 200 and "Page 9 does not exist: there is only 1 page." in html
    assert "No transactions on this page." in html


def test_empty_list(logged_in):
    html = logged_in.client.get("/transactions/").get_data(as_text=True)
    assert "No transactions." in html and "0 transactions" in html and "Page 1" not in html


def test_detail_shows_vehicle_origin_and_meter_samples(logged_in, sessions):
    html = logged_in.client.get(f"/transactions/{sessions[0]}").get_data(as_text=True)
    for text in (
        "Transaction",
        "CP-1",
        "connector 1",
        "Alice",
        "B-EV 123",
        "Auto charge",
        "22.456 kWh",
        "1.000 kWh",
        "23.456 kWh",
        "EVDisconnected",
        "1 h 15 min",
        "18.00",
        "70 %",
    ):
        assert text in html
    assert html.count('<tr><td class="nowrap">') == 3  # three meter samples


def test_detail_chart_ends_at_the_stop_reading_like_the_energy(logged_in, sessions):
    # The last sample reads 19 kWh; meterStop 23.456 kWh: chart and caption end where Energy does (issue 11).
    html = logged_in.client.get(f"/transactions/{sessions[0]}").get_data(as_text=True)
    desc = html.split('-desc">', 1)[1].split("</desc>", 1)[0]
    assert "22.456 kWh delivered" in desc and "(4 readings)" in desc
    assert '<strong id="energy">22.456 kWh</strong>' in html


def add_201_session(app, **columns) -> int:
    """Store a 2.0.1 session on CP-1 (whose Started event had no reading); return its id."""
    with app.app_context(), writing() as session:
        charger = chargers.by_box_id("CP-1")
        row = Transaction(charger_id=charger.id, dedupe_key="tx-201", ocpp_tx_id="tx-201", start_time=T0, **columns)
        session.add(row)
        session.flush()
        return row.id


def test_detail_says_the_start_reading_was_not_reported(app, logged_in, sessions):
    counted = add_201_session(app, meter_start=149, energy_wh=456, counted_from=T0 + timedelta(minutes=5))
    html = logged_in.client.get(f"/transactions/{counted}").get_data(as_text=True)
    when = (T0 + timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    expected = f"start reading not reported; energy counted from the first reading at {when} UTC"
    assert expected in html and '<strong id="energy">0.456 kWh</strong>' in html


def test_detail_makes_up_no_start_before_the_first_reading(app, logged_in, sessions):
    waiting = add_201_session(app)
    html = logged_in.client.get(f"/transactions/{waiting}").get_data(as_text=True)
    assert "start reading not reported; energy is counted from the first reading" in html
    assert "0.000 kWh <" not in html.split("Meter start", 1)[1].split("Meter stop", 1)[0]
    plain = logged_in.client.get(f"/transactions/{sessions[0]}").get_data(as_text=True)
    assert "start reading not reported" not in plain


def test_a_2_0_1_session_is_shown_on_its_evse_and_connector(app, logged_in, sessions):
    on_evse = add_201_session(app, evse_id=2, connector_id=1)
    html = logged_in.client.get(f"/transactions/{on_evse}").get_data(as_text=True)
    assert ">CP-1</a>, EVSE 2 · connector 1</dd>" in html
    listed = logged_in.client.get("/transactions/").get_data(as_text=True)
    assert '<td class="num">EVSE 2 · connector 1</td>' in listed
    assert '<td class="num">1</td>' in listed  # a 1.6 session: its connector number, as before
    assert ">CP-1</a>, connector 1</dd>" in logged_in.client.get(f"/transactions/{sessions[0]}").get_data(as_text=True)


def test_detail_of_a_running_session(logged_in, sessions):
    html = logged_in.client.get(f"/transactions/{sessions[2]}").get_data(as_text=True)
    assert "still charging" in html and "No meter values reported." in html and "App" in html


def test_unknown_transaction_is_404(logged_in):
    response = logged_in.client.get("/transactions/12345")
    assert response.status_code == 404 and "Transaction 12345 does not exist." in response.get_data(as_text=True)
