"""Hot-path SQL helpers: the session's connection, and INSERT ... ON CONFLICT in the database's own dialect.

The OCPP hot path runs prebuilt Core statements with bound parameters on the session's connection: SQLAlchemy
then reuses their compiled form, and the ORM's per-statement work is skipped (measured: several times cheaper
than building and executing the same statement through the ORM session each time).
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
