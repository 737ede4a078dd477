"""The SQL behind the Users and Transactions screens, timed directly, and the indexes that may speed it up.

Used by bench/web_pages.py. Each query is what a list page needs: a count for the pager and one page of
rows (50), for each filter and sort the screens offer. `{name}` in the SQL is filled from the context
(dialect-specific bits); `:name` are bound parameters.
"""

import statistics
import time
from datetime import datetime, timedelta

import sqlalchemy as sa

PER_PAGE = 50
TX_COLUMNS = (
    "t.id, t.connector_id, t.origin, t.status, t.start_time, t.stop_time, t.energy_wh, c.charge_box_id, u.name, v.plate"
)
TX_FROM = (
    'FROM "transaction" t JOIN charger c ON c.id = t.charger_id LEFT JOIN "user" u ON u.id = t.user_id '
    "LEFT JOIN vehicle v ON v.id = t.vehicle_id"
)
NEWEST = "ORDER BY t.start_time DESC, t.id DESC"
USER_COLUMNS = "u.id, u.name, u.email, u.status, u.created_at"
USER_SEARCH = (
    "(lower(u.name) LIKE :q OR u.email LIKE :q "
    "OR EXISTS (SELECT 1 FROM rfid_tag g WHERE g.user_id = u.id AND g.tag LIKE :Q) "
    "OR EXISTS (SELECT 1 FROM vehicle w WHERE w.user_id = u.id AND w.plate_key LIKE :Q))"
)
# The same search as one id list: each source is scanned once instead of two probes per user.
USER_SEARCH_IDS = (
    '(u.id IN (SELECT id FROM "user" WHERE lower(name) LIKE :q OR email LIKE :q '
    "UNION SELECT user_id FROM rfid_tag WHERE tag LIKE :Q UNION SELECT user_id FROM vehicle WHERE plate_key LIKE :Q))"
)
DURATION = {"sqlite": "julianday(t.stop_time) - julianday(t.start_time)", "postgresql": "t.stop_time - t.start_time"}
MONTH = "t.start_time >= :month_ago AND t.start_time < :until"
TX_FILTERS = {
    "origin": "t.origin = :origin",
    "charger": "t.charger_id = :charger_id",
    "user": "t.user_id = :user_id",
    "active": "t.status = 'active'",
    "last 30 days": MONTH,
    "rfid+completed+30d": "t.origin = 'rfid' AND t.status = 'completed' AND t.start_time >= :month_ago "
    "AND t.start_time < :until",
    "search user name": 't.user_id IN (SELECT id FROM "user" WHERE lower(name) LIKE :q)',
}


def queries() -> list[tuple[str, str]]:
    """Return (name, SQL) of every query the two list screens need."""
    found = [
        ("users: count", 'SELECT count(*) FROM "user" u'),
        ("users: first page by name", f'SELECT {USER_COLUMNS} FROM "user" u ORDER BY u.name, u.id LIMIT 50'),
        (
            "users: sorted by email desc",
            f'SELECT {USER_COLUMNS} FROM "user" u ORDER BY u.email DESC, u.id DESC LIMIT 50',
        ),
        (
            "users: sorted by created",
            f'SELECT {USER_COLUMNS} FROM "user" u ORDER BY u.created_at DESC, u.id DESC LIMIT 50',
        ),
        (
            "users: last page (OFFSET)",
            f'SELECT {USER_COLUMNS} FROM "user" u ORDER BY u.name, u.id LIMIT 50 OFFSET :users_last',
        ),
        (
            "users: last page (reversed)",
            f'SELECT {USER_COLUMNS} FROM "user" u ORDER BY u.name DESC, u.id DESC LIMIT 50',
        ),
        ("users: blocked count", "SELECT count(*) FROM \"user\" u WHERE u.status = 'blocked'"),
        (
            "users: blocked page",
            f"SELECT {USER_COLUMNS} FROM \"user\" u WHERE u.status = 'blocked' ORDER BY u.name, u.id LIMIT 50",
        ),
        ("users: search count", f'SELECT count(*) FROM "user" u WHERE {USER_SEARCH}'),
        ("users: search count (id list)", f'SELECT count(*) FROM "user" u WHERE {USER_SEARCH_IDS}'),
        (
            "users: search count capped at 1001",
            f'SELECT count(*) FROM (SELECT 1 FROM "user" u WHERE {USER_SEARCH} LIMIT 1001) capped',
        ),
        (
            "users: search page (id list)",
            f'SELECT {USER_COLUMNS} FROM "user" u WHERE {USER_SEARCH_IDS} ORDER BY u.name, u.id LIMIT 50',
        ),
        (
            "users: search page",
            f'SELECT {USER_COLUMNS} FROM "user" u WHERE {USER_SEARCH} ORDER BY u.name, u.id LIMIT 50',
        ),
        (
            "users: plates of a page",
            "SELECT user_id, plate FROM vehicle WHERE status != 'retired' AND user_id IN "
            '(SELECT id FROM "user" ORDER BY name, id LIMIT 50)',
        ),
        ("users: export scan", f'SELECT {USER_COLUMNS} FROM "user" u ORDER BY u.name, u.id'),
        ("tx: count", 'SELECT count(*) FROM "transaction" t'),
        ("tx: count capped at 10001", 'SELECT count(*) FROM (SELECT 1 FROM "transaction" t LIMIT 10001) capped'),
        ("tx: first page", f"SELECT {TX_COLUMNS} {TX_FROM} {NEWEST} LIMIT 50"),
        ("tx: last page (OFFSET)", f"SELECT {TX_COLUMNS} {TX_FROM} {NEWEST} LIMIT 50 OFFSET :tx_last"),
        ("tx: last page (reversed)", f"SELECT {TX_COLUMNS} {TX_FROM} ORDER BY t.start_time, t.id LIMIT 50"),
        ("tx: sorted by energy", f"SELECT {TX_COLUMNS} {TX_FROM} ORDER BY t.energy_wh DESC, t.id DESC LIMIT 50"),
        ("tx: sorted by duration", f"SELECT {TX_COLUMNS} {TX_FROM} ORDER BY {{duration}} DESC, t.id DESC LIMIT 50"),
        ("tx: sorted by user name", f"SELECT {TX_COLUMNS} {TX_FROM} ORDER BY u.name, t.id LIMIT 50"),
        ("tx: sorted by charger", f"SELECT {TX_COLUMNS} {TX_FROM} ORDER BY c.charge_box_id, t.id LIMIT 50"),
    ]
    for name, where in TX_FILTERS.items():
        found.append((f"tx: {name} count", f'SELECT count(*) FROM "transaction" t WHERE {where}'))
        found.append(
            (
                f"tx: {name} count capped",
                f'SELECT count(*) FROM (SELECT 1 FROM "transaction" t WHERE {where} LIMIT 10001) c',
            )
        )
        found.append((f"tx: {name} page", f"SELECT {TX_COLUMNS} {TX_FROM} WHERE {where} {NEWEST} LIMIT 50"))
    found.append(("tx: export scan", f"SELECT {TX_COLUMNS} {TX_FROM} {NEWEST}"))
    # The Home screen's energy of the sessions started in a month (read from an index alone when it holds energy_wh)
    # and the OCPP hot path's look-up of a charger's running session.
    found.append(
        ("home: energy of 30 days", f'SELECT coalesce(sum(t.energy_wh), 0) FROM "transaction" t WHERE {MONTH}')
    )
    found.append(
        (
            "ocpp: active on a charger",
            "SELECT t.id FROM \"transaction\" t WHERE t.charger_id = :charger_id AND t.status = 'active'",
        )
    )
    found.append(
        (
            "tx: detail samples",
            "SELECT timestamp, energy_wh, power_w FROM meter_sample "
            "WHERE transaction_id = :sampled_tx ORDER BY timestamp",
        )
    )
    return found


# Candidates tried by --try-indexes; each is portable SQL (SQLite and PostgreSQL).
CANDIDATE_INDEXES = (
    'CREATE INDEX ix_transaction_start_id_energy ON "transaction" (start_time, id, energy_wh)',
    'CREATE INDEX ix_transaction_origin_start ON "transaction" (origin, start_time, id)',
    'CREATE INDEX ix_transaction_charger_start ON "transaction" (charger_id, start_time, id)',
    'CREATE INDEX ix_transaction_user_start ON "transaction" (user_id, start_time, id)',
    'CREATE INDEX ix_transaction_status_start ON "transaction" (status, start_time, id)',
    'CREATE INDEX ix_transaction_energy ON "transaction" (energy_wh, id)',
    'CREATE INDEX ix_user_name_id ON "user" (name, id)',
    'CREATE INDEX ix_user_created ON "user" (created_at, id)',
    'CREATE INDEX ix_user_status_name ON "user" (status, name, id)',
)


def context(conn: sa.Connection) -> dict:
    """Return the parameters the queries and pages need, read from the demo data."""
    until = conn.scalar(sa.text('SELECT max(start_time) FROM "transaction"'))
    if isinstance(until, str):  # SQLite hands stored text back from a raw query
        until = datetime.fromisoformat(until)
    users = conn.scalar(sa.text('SELECT count(*) FROM "user"'))
    txs = conn.scalar(sa.text('SELECT count(*) FROM "transaction"'))
    busiest = 'SELECT {0} FROM "transaction" WHERE id > :low GROUP BY {0} ORDER BY count(*) DESC LIMIT 1'
    low = max(0, (conn.scalar(sa.text('SELECT max(id) FROM "transaction"')) or 0) - 50000)
    return {
        "until": until,
        "month_ago": until - timedelta(days=30),
        "users_last": max(0, (users - 1) // PER_PAGE * PER_PAGE),
        "tx_last": max(0, (txs - 1) // PER_PAGE * PER_PAGE),
        "users_pages": max(1, -(-users // PER_PAGE)),
        "tx_pages": max(1, -(-txs // PER_PAGE)),
        "tx_middle": max(1, -(-txs // PER_PAGE) // 2),  # the deepest OFFSET when pages are read from the nearer end
        "users": users,
        "transactions": txs,
        "charger_id": conn.scalar(sa.text(busiest.format("charger_id")), {"low": low}),
        "user_id": conn.scalar(sa.text(busiest.format("user_id")), {"low": low}),
        "origin": "autocharge",
        # Every session of the last 30 days has samples: the newest completed one shows a whole chart.
        "sampled_tx": conn.scalar(
            sa.text("""SELECT id FROM "transaction" WHERE status = 'completed' ORDER BY start_time DESC LIMIT 1""")
        ),
        "q": "%schmidt%",
        "Q": "%SCHMIDT%",
        "duration": DURATION.get(conn.dialect.name, DURATION["postgresql"]),
    }


def bound(sql: str, ctx: dict) -> tuple[sa.TextClause, dict]:
    """Return the statement with its parameters; datetimes are bound as the columns store them."""
    params = {k: v for k, v in ctx.items() if f":{k}" in sql}
    statement = sa.text(sql.format(**ctx))
    dates = [sa.bindparam(k, type_=sa.DateTime) for k, v in params.items() if isinstance(v, datetime)]
    return (statement.bindparams(*dates) if dates else statement), params


def time_query(conn: sa.Connection, sql: str, ctx: dict, runs: int) -> tuple[float, float, int]:
    """Run a query `runs` times (fewer when slow); return median and p95 milliseconds and the row count."""
    statement, params = bound(sql, ctx)
    timings, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        count = len(conn.execute(statement, params).fetchall())
        timings.append((time.perf_counter() - start) * 1000)
        if timings[-1] > 2000:  # a scan of everything: a few runs tell enough
            break
    return statistics.median(timings), percentile(timings, 95), count


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def explain(conn: sa.Connection, sql: str, ctx: dict) -> str:
    """Return the query plan, one line."""
    prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    statement, params = bound(prefix + sql, ctx)
    rows = conn.execute(statement, params).fetchall()
    return " | ".join(str(r[-1]).strip() for r in rows)


def index_name(definition: str) -> str:
    """Return the name in a CREATE INDEX statement."""
    return definition.split()[2]
