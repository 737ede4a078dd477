"""The SQLAlchemy internals the hot path reads: every private or undocumented attribute it uses, and only here.

The hot path (runner.py) lets SQLAlchemy compile a statement once and then replays what SQLAlchemy's execution
context would do per execution: order the parameters, fill in Python-side column defaults, run the types' bind
processors. That needs four things SQLAlchemy computes but does not document, and one compile option:

- `SQLCompiler.bind_names` ({BindParameter: name}): each parameter's type (for its bind processor) and any literal
  value written into the statement (`status == "active"`, `LIMIT 1`), which travels as a parameter too.
- `SQLCompiler.positiontup`: the order of the parameters for a positional paramstyle (SQLite's qmark); None for
  named ones (psycopg's pyformat).
- `SQLCompiler.insert_prefetch` / `update_prefetch`: the columns whose Python-side default / onupdate SQLAlchemy
  computes before executing (created_at, updated_at ...).
- `Insert._values`: whether an INSERT names its own VALUES; a bare `insert(Model)` takes its columns from the
  parameters of each execution, as SQLAlchemy's own execution does.
- `compile(for_executemany=True)`, which SQLAlchemy's execution passes for many parameter sets: without it an INSERT
  compiled for PostgreSQL carries an implicit `RETURNING id` (for one row's primary key) that executemany discards.
- `sqlite.DATETIME._storage_format`: when it is SQLAlchemy's default, a naive datetime's bound value is exactly
  `isoformat(" ", "microseconds")`, done in C instead of SQLAlchemy's `%`-formatting of seven fields (datetime_binder).
- `Pool._invalidate`: after the server dropped a connection, every connection of the pool as old is replaced at its
  next checkout (pooled PostgreSQL connections are pinged only after sitting idle: autocharge/pgping.py).

If an upgrade of SQLAlchemy renames or changes one of them, tests/hotpath/test_contract.py fails: it runs every
prebuilt statement through the hot path and through SQLAlchemy and compares the SQL, the bound values and the rows.
"""

import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite


def compile_statement(statement, dialect, column_keys: tuple[str, ...] | None, many: bool) -> sa.Compiled:
    """Compile a statement as SQLAlchemy's execution would for these columns (a bare INSERT) and executemany."""
    return statement.compile(dialect=dialect, column_keys=column_keys, for_executemany=many)


def bind_names(compiled: sa.Compiled) -> dict:
    """Return {parameter name: BindParameter} of a compiled statement."""
    return {name: bind for bind, name in compiled.bind_names.items()}


def positional_names(compiled: sa.Compiled) -> tuple[str, ...] | None:
    """Return the parameter names in the order a positional paramstyle sends them (None for a named paramstyle)."""
    return tuple(compiled.positiontup) if compiled.positiontup else None


def prefetched_defaults(compiled: sa.Compiled) -> dict:
    """Return {column key: default} of the Python-side defaults (INSERT) and onupdates (UPDATE) to fill in."""
    found = {column.key: column.default.arg for column in compiled.insert_prefetch}
    found.update({column.key: column.onupdate.arg for column in compiled.update_prefetch})
    return found


def is_bare_insert(statement) -> bool:
    """Tell whether a statement is an INSERT without VALUES of its own (its columns come from the parameters)."""
    return isinstance(statement, sa.Insert) and not statement._values


def invalidate_pool(pool, pooled, exc: BaseException) -> None:
    """Make the pool replace every connection as old as `pooled` (what SQLAlchemy does on a disconnect), this one now.

    `Pool._invalidate`: SQLAlchemy's own statements call it when the server dropped their connection; the hot path's
    run on the DBAPI connection, past the code that would.
    """
    pool._invalidate(pooled, exc)


_SQLITE_DATETIME = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


def datetime_binder(type_impl, process):
    """Return a faster equivalent of SQLite DATETIME's bind processor `process` when it has the default format."""
    if not isinstance(type_impl, sqlite.DATETIME) or type_impl._storage_format != _SQLITE_DATETIME:
        return process

    def bind(value, naive=datetime.datetime):
        if type(value) is naive and value.tzinfo is None and value.year >= 1000:
            return value.isoformat(" ", "microseconds")
        return process(value)

    return bind
