"""The Chargers list: search, status / connection / Auto Charge filters, counted pages, the rows-only refresh."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from autocharge.db import writing
from autocharge.models import Charger, Connector, Transaction

ROWS_POLL = {"HX-Request": "true", "HX-Target": "charger-rows"}
# box id, vendor, model, serial, registration, online, Auto Charge support, connector statuses, a session running
SPECS = (
    ("ALP-001", "Alpitronic", "HYC300", "SN-AAA", "accepted", True, "supported", ("Charging", "Available"), True),
    ("ALP-002", "Alpitronic", "HYC150", "SN-BBB", "accepted", False, "supported", ("Unavailable",), False),
    ("EAS-001", "Easee", "Charge", "SN-CCC", "accepted", True, "unknown", ("Faulted",), False),
    ("MEN-001", "Mennekes", "AMTRON", "SN-DDD", "pending", True, "unknown", (), False),
    ("ABB-100", "ABB", "Terra 54", "SN_EEE", "rejected", False, "unsupported", (), False),
)
ALL = [spec[0] for spec in SPECS]


@pytest.fixture
def fleet(app) -> dict[str, int]:
    """Store the chargers of SPECS; return their ids by charge box id."""
    with app.app_context(), writing() as session:
        ids = {}
        for box, vendor, model, serial, registration, online, support, states, running in SPECS:
            charger = Charger(
                charge_box_id=box,
                vendor=vendor,
                model=model,
                serial=serial,
                registration=registration,
                online=online,
                autocharge=support,
            )
            session.add(charger)
            session.flush()
            ids[box] = charger.id
            # Connector 0 is the charger itself: a Faulted one there must not count as a faulted connector.
            session.add(Connector(charger_id=charger.id, connector_id=0, status="Faulted"))
            session.add_all(Connector(charger_id=charger.id, connector_id=n, status=s) for n, s in enumerate(states, 1))
            if running:
                session.add(
                    Transaction(charger_id=charger.id, connector_id=1, dedupe_key=box, start_time=datetime(2026, 1, 1))
                )
        return ids


def boxes(html: str) -> list[str]:
    """Return the charge box ids of the list's rows, top to bottom."""
    return re.findall(r'<tr id="charger-\d+" data-charge-box-id="([^"]+)">', html)


def get(client, url: str, status: int = 200, **headers) -> str:
    """Return a page's HTML, checking its status."""
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL[:3] + ["MEN-001", "ABB-100"][::-1]),
        ("q=alpi", ["ALP-001", "ALP-002"]),  # vendor, any case
        ("q=hyc150", ["ALP-002"]),  # model
        ("q=sn-ccc", ["EAS-001"]),  # serial
        ("q=MEN-0", ["MEN-001"]),  # charge box id
        ("q=_", ["ABB-100"]),  # LIKE wildcards are searched for literally
        ("q=%25", []),
        ("status=pending", ["MEN-001"]),
        ("status=accepted", ["ALP-001", "ALP-002", "EAS-001"]),
        ("status=rejected", ["ABB-100"]),
        ("status=charging", ["ALP-001"]),  # a session runs on it
        ("status=faulted", ["EAS-001"]),  # connector 0 does not count
        ("status=unavailable", []),  # ALP-002's connector was last Unavailable, but it is offline: unknown now
        ("status=unavailable&connection=offline", []),
        ("connection=online", ["ALP-001", "EAS-001", "MEN-001"]),
        ("connection=offline", ["ABB-100", "ALP-002"]),
        ("autocharge=unknown", ["EAS-001", "MEN-001"]),
        ("autocharge=unsupported", ["ABB-100"]),
        ("autocharge=supported&connection=online&q=alp", ["ALP-001"]),
        ("status=&connection=&autocharge=&q=", sorted(ALL)),  # an empty choice means any
    ],
)
def test_search_and_filters(logged_in, fleet, query, expected):
    assert boxes(get(logged_in.client, f"/chargers/?{query}")) == sorted(expected)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=deleted", "Status must be one of pending, accepted, rejected, charging, faulted, unavailable."),
        ("connection=maybe", "Connection must be one of online, offline."),
        ("autocharge=yes", "Auto Charge support must be one of supported, unsupported, unknown."),
    ],
)
def test_values_not_offered_are_400_with_why(logged_in, fleet, query, message):
    html = get(logged_in.client, f"/chargers/?{query}", 400)
    assert message in html and boxes(html) == []
    assert message in get(logged_in.client, f"/chargers/?{query}", 400, **ROWS_POLL)


@pytest.mark.parametrize(
    ("query", "expected", "summary"),
    [
        ("per_page=2", ["ABB-100", "ALP-001"], "1–2 of 5 chargers"),
        ("per_page=2&page=2", ["ALP-002", "EAS-001"], "3–4 of 5 chargers"),
        ("per_page=2&page=3", ["MEN-001"], "5–5 of 5 chargers"),  # the last page, read from the other end
        ("per_page=2&page=nope", ["ABB-100", "ALP-001"], "1–2 of 5 chargers"),  # ignored
        ("per_page=2&page=-3", ["ABB-100", "ALP-001"], "1–2 of 5 chargers"),
        ("per_page=abc", sorted(ALL), "1–5 of 5 chargers"),  # the default page size
        ("per_page=0", sorted(ALL), "1–5 of 5 chargers"),
        ("per_page=99999999999999999999", sorted(ALL), "1–5 of 5 chargers"),  # clamped
    ],
)
def test_paging(logged_in, fleet, query, expected, summary):
    html = get(logged_in.client, f"/chargers/?{query}")
    assert boxes(html) == expected and summary in html


def test_pages_carry_the_filters_and_the_refresh_asks_for_the_same_page(logged_in, fleet):
    html = get(logged_in.client, "/chargers/?q=a&connection=online&per_page=1&page=2")
    assert boxes(html) == ["EAS-001"] and "2–2 of 3 chargers" in html
    assert 'href="/chargers/?q=a&amp;connection=online&amp;per_page=1&amp;page=3"' in html
    assert 'hx-get="/chargers/?q=a&amp;connection=online&amp;per_page=1&amp;page=2" hx-trigger="every 2000ms"' in html
    rows = get(logged_in.client, "/chargers/?q=a&connection=online&per_page=1&page=2", **ROWS_POLL)
    assert rows.lstrip().startswith("<tr") and boxes(rows) == ["EAS-001"] and "chargers" not in rows.split("<tr")[0]


def test_filter_form_and_htmx_results(logged_in, fleet):
    html = get(logged_in.client, "/chargers/?status=faulted")
    assert 'hx-trigger="search, keyup delay:200ms changed"' in html and 'hx-push-url="true"' in html
    assert '<option value="faulted" selected>' in html
    response = logged_in.client.get("/chargers/?status=faulted", headers={"HX-Request": "true"})
    partial = response.get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="results"') and boxes(partial) == ["EAS-001"] and "<html" not in partial
    assert {"HX-Request", "HX-Target"} <= set(response.headers["Vary"].split(", "))


def test_refresh_drops_a_row_that_no_longer_matches(app, logged_in, fleet):
    assert boxes(get(logged_in.client, "/chargers/?status=faulted", **ROWS_POLL)) == ["EAS-001"]
    with app.app_context(), writing() as session:
        session.execute(sa.update(Connector).where(Connector.charger_id == fleet["EAS-001"]).values(status="Available"))
    assert "No chargers match this search." in get(logged_in.client, "/chargers/?status=faulted", **ROWS_POLL)


def test_pending_row_keeps_accept_and_reject_and_comes_back_to_the_same_list(app, logged_in, fleet):
    html = get(logged_in.client, "/chargers/?status=pending")
    assert ">Accept</button>" in html and ">Reject</button>" in html
    assert '<input type="hidden" name="next" value="/chargers/?status=pending">' in html
    response = logged_in.post(
        f"/chargers/{fleet['MEN-001']}/registration", {"registration": "accepted", "next": "/chargers/?status=pending"}
    )
    assert response.headers["Location"] == "/chargers/?status=pending"
    assert "No chargers match this search." in get(logged_in.client, "/chargers/?status=pending")
