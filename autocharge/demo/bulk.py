"""Bulk writing for demo data: Core executemany batches, explicit ids, PostgreSQL sequences."""

from collections.abc import Iterable, Iterator

import sqlalchemy as sa

from ..db import writing
from ..extensions import db


def batched(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    """Yield lists of at most `size` rows."""
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def next_id(table: sa.Table) -> int:
    """Return the first id after the largest one in `table` (demo rows get explicit ids, so they can refer to
    each other without reading anything back)."""
    return (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def existing(column: sa.Column, *where) -> set:
    """Return the values of `column` already stored (to keep demo values unique next to earlier data)."""
    return set(db.session.scalars(sa.select(column).where(*where)))


def insert(*tables_and_rows: tuple[sa.Table, list[dict]]) -> None:
    """Insert each (table, rows) pair, all in one write transaction."""
    with writing() as session:
        postgresql = session.get_bind().dialect.name == "postgresql"
        for table, rows in tables_and_rows:
            if rows and postgresql:
                _copy(session.connection(), table, rows)
            elif rows:
                # A Core insert of plain dicts: no ORM objects, one executemany per table.
                session.execute(sa.insert(table), rows)


def _copy(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Stream rows into a PostgreSQL table with COPY, inside the current transaction.

    executemany sends one statement per row, and under gevent's monkey-patching (app.py, so every
    `flask --app app` command) each of psycopg's waits goes through gevent: ~8k rows/s. COPY: ~80k+.
    """
    columns = list(rows[0])
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {preparer.format_table(table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def insert_all(table: sa.Table, rows: Iterable[dict], size: int, progress=None) -> int:
    """Insert `rows` in batches of `size`, one write transaction per batch; return how many."""
    count = 0
    for batch in batched(rows, size):
        insert((table, batch))
        count += len(batch)
        if progress is not None:
            progress.update(len(batch))
    return count


def finish(tables: list[sa.Table]) -> None:
    """Tidy up after loading on PostgreSQL: move id sequences past our explicit ids, then VACUUM ANALYZE.

    Without statistics the planner guesses (and picks seconds-long plans on a million rows), and
    without the visibility map counts cannot use index-only scans; autovacuum would get there a
    while later, benchmarks and demos should not wait for it. SQLite needs neither.
    """
    if db.engine.dialect.name != "postgresql":
        return
    with writing() as session:
        for table in tables:
            quoted = db.engine.dialect.identifier_preparer.quote(table.name)
            session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence(:name, 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {quoted}), 0) + 1, false)"
                ),
                {"name": quoted},
            )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))  # cannot run inside a transaction
