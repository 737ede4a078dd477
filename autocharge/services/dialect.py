"""SQL helpers: the session's connection for prebuilt Core statements.

Prebuilt statements with bound parameters skip the ORM's per-statement work (several times cheaper than building
and executing the same statement through the ORM session). The OCPP hot path goes further: see autocharge/hotpath/.
"""

from sqlalchemy import Connection

from ..extensions import db


def connection() -> Connection:
    """Return the connection of the current session's transaction (committed by writing())."""
    return db.session.connection()
