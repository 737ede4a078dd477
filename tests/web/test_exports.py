"""CSV exports: parsed, they follow the filters and the shown columns, and never carry an identifier."""

import csv
import io

import pytest
import sqlalchemy as sa

from autocharge.db import writing
from autocharge.models import Transaction
from autocharge.services import exports, users
from web.tables_fixtures import IDENT_A, IDENT_B, identifier_forms

FORBIDDEN = [*identifier_forms(IDENT_A), *identifier_forms(IDENT_B), "04A1B2C3", "APP0123456789AB", "GARBAGE"]


def export(client, url: str) -> tuple[list[str], list[dict], str]:
    """Download an export; return its header, rows and raw text."""
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.is_streamed
    text = response.get_data(as_text=True)
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader), text


def assert_no_identifier(text: str) -> None:
    """Fail if any form of an identifier, tag or token appears."""
    for needle in FORBIDDEN:
        assert needle not in text, needle


def test_users_export_never_has_vehicles_even_when_shown(logged_in, fleet):  # noqa: F811
    logged_in.post("/users/columns", {"vehicles": "1"})
    assert "B-EV 123" in logged_in.client.get("/users/").get_data(as_text=True)
    header, rows, text = export(logged_in.client, "/users/export.csv")
    assert header == ["id", "name", "email", "status", "created_utc"]
    assert [r["name"] for r in rows] == ["Alice Schmidt", "Bob Meyer", "Carol Jones"]
    for plate in ("B-EV 123", "BEV123", "M-VAN 7", "K-OLD 1"):
        assert plate not in text
    assert_no_identifier(text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=schmidt", ["Alice Schmidt"]),
        ("status=blocked", ["Bob Meyer"]),
        ("q=04a1", ["Alice Schmidt"]),
        ("sort=name&dir=desc", ["Carol Jones", "Bob Meyer", "Alice Schmidt"]),
    ],
)
def test_users_export_follows_the_search(logged_in, fleet, query, expected):  # noqa: F811
    _, rows, _ = export(logged_in.client, f"/users/export.csv?{query}")
    assert [r["name"] for r in rows] == expected


def test_transactions_export_follows_filters_and_has_no_identifier(logged_in, fleet):  # noqa: F811
    header, rows, text = export(logged_in.client, "/transactions/export.csv")
    assert "vehicle" not in header and "id_token" not in " ".join(header)
    assert [int(r["id"]) for r in rows] == fleet.tx[::-1]
    assert "B-EV 123" not in text
    assert_no_identifier(text)
    _, rows, _ = export(logged_in.client, "/transactions/export.csv?origin=autocharge&status=completed")
    assert [int(r["id"]) for r in rows] == [fleet.tx[1], fleet.tx[0]]
    first = rows[-1]
    assert first["origin"] == "Auto charge" and first["charger"] == "CP-NORTH" and first["user"] == "Alice Schmidt"
    assert (
        first["energy_kwh"] == "12.345"
        and first["duration_s"] == "1800"
        and first["start_utc"] == "2026-03-10 08:00:00"
    )
    _, rows, _ = export(logged_in.client, f"/transactions/export.csv?charger={fleet.cp2}&from=2026-03-12&to=2026-03-13")
    assert [int(r["id"]) for r in rows] == [fleet.tx[3], fleet.tx[2]]


def test_transactions_export_has_the_plate_only_when_the_column_is_shown(logged_in, fleet):  # noqa: F811
    logged_in.post("/transactions/columns", {"vehicle": "1"})
    header, rows, text = export(logged_in.client, "/transactions/export.csv?origin=autocharge")
    assert header[-1] == "vehicle"
    assert [r["vehicle"] for r in rows] == ["B-EV 123", "K-OLD 1", "K-OLD 1", "B-EV 123"]
    assert_no_identifier(text)
    logged_in.post("/transactions/columns", {})
    header, _, text = export(logged_in.client, "/transactions/export.csv?origin=autocharge")
    assert "vehicle" not in header and "B-EV 123" not in text


@pytest.mark.parametrize("url", ["/transactions/export.csv?from=2026-99-01", "/users/export.csv?status=gone"])
def test_export_with_bad_filters_is_refused_with_the_reason(logged_in, fleet, url):  # noqa: F811
    response = logged_in.client.get(url)
    assert response.status_code == 400
    assert "is not a date" in response.get_data(as_text=True) or "Status must be" in response.get_data(as_text=True)


def test_exports_need_a_login(client):
    assert client.get("/users/export.csv").status_code == 302
    assert client.get("/transactions/export.csv").status_code == 302


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("Anna-Lena Meyer", "Anna-Lena Meyer"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_cells_never_become_formulas(value, cell):
    assert exports.text(value) == cell


def test_users_export_neutralises_formulas_in_names_and_emails(app, logged_in):
    with app.app_context():
        users.add_user('=HYPERLINK("http://evil.example","click")', "=evil@example.com")
    _, rows, _ = export(logged_in.client, "/users/export.csv")
    assert (rows[0]["name"], rows[0]["email"]) == ('\'=HYPERLINK("http://evil.example","click")', "'=evil@example.com")


def test_transactions_export_names_a_2_0_1_sessions_evse_apart_from_its_connector(app, logged_in, fleet):  # noqa: F811
    with app.app_context(), writing() as session:
        session.execute(sa.update(Transaction).where(Transaction.id == fleet.tx[0]).values(evse_id=2, connector_id=1))
    header, rows, _ = export(logged_in.client, "/transactions/export.csv")
    assert header[1:4] == ["charger", "evse", "connector"]
    places = {int(r["id"]): (r["evse"], r["connector"]) for r in rows}
    assert places[fleet.tx[0]] == ("2", "1")  # 2.0.1: EVSE 2, its connector 1
    assert places[fleet.tx[1]] == ("", "2")  # 1.6: no EVSE
