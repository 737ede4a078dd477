"""The status enums: what a charger's odd value becomes, and the database's CHECKs holding the same sets."""

import re

import pytest
import sqlalchemy as sa

from autocharge.extensions import db
from autocharge.models import Transaction
from autocharge.models.statuses import ConnectorStatus
from autocharge.services import charger_state, chargers


@pytest.mark.parametrize(
    ("reported", "stored"),
    [
        ("Preparing", ConnectorStatus.PREPARING),  # 1.6
        ("Occupied", ConnectorStatus.OCCUPIED),  # 2.0.1
        ("SuspendedEVSE", ConnectorStatus.SUSPENDED_EVSE),
        ("VendorService", ConnectorStatus.UNKNOWN),  # a vendor's own AvailabilityState
        ("preparing", ConnectorStatus.UNKNOWN),  # OCPP's values are case-sensitive
        ("", ConnectorStatus.UNKNOWN),
        (None, ConnectorStatus.UNKNOWN),
    ],
)
def test_a_reported_connector_status_is_one_of_ours(reported, stored):
    assert ConnectorStatus.reported(reported) is stored


def enum_columns() -> list[tuple[str, sa.Column]]:
    """Return (table name, column) of every column stored as a status enum."""
    return [
        (table.name, column)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.Enum)
    ]


def test_every_status_column_has_a_check_with_exactly_its_enum(app):
    found = {}
    inspector = sa.inspect(db.engine)
    for table, column in enum_columns():
        checks = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table)}
        found[f"{table}.{column.name}"] = set(re.findall(r"'([^']*)'", checks.get(f"ck_{table}_{column.name}", "")))
    expected = {f"{table}.{column.name}": set(column.type.enums) for table, column in enum_columns()}
    assert found == expected
    assert len(found) == 16  # charger_event.kind and .level (migration c7d4e2a9f1b6)


def test_a_status_reads_back_as_its_enum(app):
    charger_id = chargers.add_charger("CP-1").id
    charger_state.connector_status(charger_id, 1, "Faulted")
    (connector,) = charger_state.connectors(charger_id)
    assert connector.status is ConnectorStatus.FAULTED


def test_a_status_outside_the_set_in_a_query_is_an_error_not_an_empty_result(app):
    with pytest.raises(sa.exc.StatementError, match="activ"):
        db.session.scalars(sa.select(Transaction).where(Transaction.status == "activ")).all()
