"""SQL helpers: the session's connection for prebuilt Core statements, and INSERT ... ON CONFLICT per dialect.

Prebuilt statements with bound parameters skip the ORM's per-statement work (several times cheaper than building
and executing the same statement through the ORM session). The OCPP hot path goes further: see hotsql.py.
"""

from functools import cache

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


def connection() -> Connection:
    """Return the connection of the current session's transaction (committed by writing())."""
    return db.session.connection()


def insert(model, dialect_name: str | None = None):
    """Return an INSERT of `model` that knows on_conflict_do_nothing/on_conflict_do_update."""
    name = dialect_name or db.engine.dialect.name
    return postgresql.insert(model) if name == "postgresql" else sqlite.insert(model)


@cache
def insert_ignoring(model, index_elements: tuple[str, ...], dialect_name: str):
    """Return (built once) an INSERT of `model` that skips rows clashing on `index_elements`."""
    return insert(model, dialect_name).on_conflict_do_nothing(index_elements=list(index_elements))
