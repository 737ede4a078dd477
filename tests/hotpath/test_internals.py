"""The hot path's replacements of SQLAlchemy per-execution work give exactly what SQLAlchemy would."""

import datetime

import pytest
from sqlalchemy.dialects import sqlite

from autocharge.hotpath import internals

VALUES = [
    datetime.datetime(2024, 5, 1, 10, 0),
    datetime.datetime(2024, 5, 1, 10, 0, 0, 5),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
    datetime.datetime(999, 1, 1),  # isoformat would not pad the year as SQLAlchemy does: left to SQLAlchemy
    datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC),  # SQLAlchemy drops the zone; isoformat would not
    datetime.date(2024, 1, 2),
    None,
]


@pytest.mark.parametrize("value", VALUES)
def test_the_sqlite_datetime_binder_matches_sqlalchemy(value):
    impl = sqlite.DATETIME()
    sqlalchemys = impl.bind_processor(sqlite.dialect())
    assert internals.datetime_binder(impl, sqlalchemys)(value) == sqlalchemys(value)


def test_a_custom_storage_format_keeps_sqlalchemys_binder():
    impl = sqlite.DATETIME(storage_format="%(year)04d/%(month)02d/%(day)02d")
    sqlalchemys = impl.bind_processor(sqlite.dialect())
    assert internals.datetime_binder(impl, sqlalchemys) is sqlalchemys
