"""PostgreSQL connections pinged at checkout only after they sat idle in the pool: a round trip saved per frame.

SQLAlchemy's pool_pre_ping pings at every checkout, and a charger's frame checks a connection out once or twice:
that was a fifth of a frame's round trips under load. A connection back in the pool within PING_AFTER seconds was
working then, so it is handed out as it is. If the server dropped it meanwhile (a failover, pg_terminate_backend),
the statement that meets it fails, its frame is answered with a CallError, and the pool is invalidated as a whole
(SQLAlchemy does it for the ORM; hotpath/runner.py for its own statements), so the next checkouts open new ones.
"""

import time

import sqlalchemy as sa
from sqlalchemy.pool import Pool

PING_AFTER = 1.0  # seconds idle in the pool before a checkout pings the connection


def install() -> None:
    """Ping pooled PostgreSQL connections at checkout once they were idle PING_AFTER seconds (every pool)."""
    if not sa.event.contains(Pool, "checkout", _ping_if_idle):
        sa.event.listen(Pool, "checkin", _note_checkin)
        sa.event.listen(Pool, "checkout", _ping_if_idle)


def _note_checkin(_dbapi_connection, record) -> None:
    """Remember when a connection came back to the pool."""
    if record is not None:
        record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    """Ping a connection that was idle for a while; a dead one makes the pool open another (DisconnectionError)."""
    if not type(dbapi_connection).__module__.startswith("psycopg"):
        return
    idle_since = record.info.get("idle_since")
    if idle_since is not None and time.monotonic() - idle_since < PING_AFTER:
        return
    ping(dbapi_connection)


def ping(dbapi_connection) -> None:
    """Ping a psycopg connection; raise DisconnectionError (the pool then opens another) if it is gone."""
    before = dbapi_connection.autocommit
    try:
        dbapi_connection.autocommit = True  # no BEGIN, so no ROLLBACK either
        dbapi_connection.execute(";")
    except Exception as exc:
        raise sa.exc.DisconnectionError(f"pinging a pooled connection failed: {exc}") from exc
    finally:
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = before
