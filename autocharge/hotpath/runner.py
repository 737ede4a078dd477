"""The hot path's machinery: Core statements compiled once per dialect, run straight on the DBAPI connection.

Every charger message runs a few small statements. Measured on SQLite (one select by key): ~95 us through the ORM
session's connection, ~53 us through an engine Connection, ~11 us as a DBAPI cursor call; a message's whole
transaction through the session costs ~270 us more than the SQL itself. So the hot path keeps SQLAlchemy for
what it is good at (building and compiling the statement, the types' bind and result conversions, column defaults)
and skips its per-execution machinery. What it reads of SQLAlchemy's internals is in internals.py.

Which connection: when the ORM session of the current app context is mid-transaction, the session's own connection
after a flush, so a hot read sees what the session wrote and nothing waits on a second SQLite writer; otherwise, on
SQLite, one connection per OS thread kept open; on PostgreSQL, a pooled connection in autocommit mode, parked (kept
idle for the next statement, up to half the pool) after each read and held by a write from its first statement to its
COMMIT, pipelined (Autocommit: a frame's round trips were its cost there). db.writing() commits either.

The one-writer rule: inside one db.writing(), no ORM write may follow a hot write. On SQLite the hot write may hold
the write lock on the thread's own connection, and the session's flush would wait for it on another one (5 s, then
"database is locked"), or commit apart from it; on PostgreSQL it would commit apart from it. Tests and debug runs
raise OneWriterViolation at such a flush (AUTOCHARGE_CHECK_ONE_WRITER, see check_one_writer()). Production pays
nothing: the listeners are not installed.
"""

import contextlib
import os
import time
import weakref
from collections import namedtuple
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from flask import current_app
from gevent.monkey import get_original

from .. import pgping
from ..extensions import db
from . import internals

# Greenlets of one OS thread share its SQLite connection: SQLite calls never yield to another greenlet, and
# db.writing() does no I/O inside a transaction, so no greenlet ever sees another's half-done write. Reusing
# it saves the pool checkout and checkin of every message.
_os_thread_id = get_original("_thread", "get_ident")
_sqlite: "weakref.WeakKeyDictionary[sa.Engine, dict[int, Connection]]" = weakref.WeakKeyDictionary()

MAX_CACHED = 500  # prebuilt statements number a few dozen
_compiled: dict[tuple, "_Compiled"] = {}

_last_app: list = [None, None]  # the app and engine current_engine() found last (a server has one app; tests have many)

# Every prebuilt statement by name, as a function of the dialect's name (tests/hotpath/test_contract.py runs each).
PREBUILT: dict[str, Callable[[str], Any]] = {}

# Set by a hot write, cleared when its db.writing() ends; per greenlet (contextvars are).
_hot_wrote: ContextVar[bool] = ContextVar("hot_wrote", default=False)
# Group commit (group.py): the charger frame the current greenlet handles, and whether it is inside a grouped block.
frame_var: ContextVar[Any] = ContextVar("grouped_frame", default=None)
_grouped: ContextVar[int] = ContextVar("grouped_block", default=0)  # group.NOT_GROUPED, OPENED or JOINED
# On PostgreSQL, the hot path's own connection holding this greenlet's open write (see Autocommit).
_pg_write: ContextVar["Autocommit | None"] = ContextVar("pg_write", default=None)
# On PostgreSQL, set by a write that ran alone in autocommit (run(alone=True)) until its db.writing() ends.
_wrote_alone: ContextVar[bool] = ContextVar("wrote_alone", default=False)
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE (psycopg is not imported: SQLite runs without it)
_IN_AUTOCOMMIT = "hot_autocommit"  # in a pool record's info: the hot path put this connection in autocommit mode
# On PostgreSQL, pooled connections the hot path keeps between statements instead of giving them back to SQLAlchemy's
# pool, idle in autocommit mode, with when they were parked (a checkout and checkin cost ~40 us, a tenth of a frame).
# At most half the pool is parked: the other half stays free for the web UI and background jobs.
_parked: "weakref.WeakKeyDictionary[sa.Engine, list]" = weakref.WeakKeyDictionary()
_inherited: list = []  # parked in the parent of a fork: never used nor closed here (the parent's sockets)


class OneWriterViolation(RuntimeError):
    """The ORM session wrote after a hot write inside one db.writing() (see the module's docstring)."""


def prebuilt(name: str, statement):
    """Register a statement the hot path runs, under a name the contract test reports; return it."""
    PREBUILT[name] = lambda _dialect_name: statement
    return statement


def constant(value: str) -> sa.ColumnElement:
    """Return a string constant written into the SQL instead of bound: a partial index (WHERE state = 'waiting') is
    usable only when the planner sees the value, and SQLite prepares a statement again at every run whose plan
    depends on a parameter's value (~6 us, most of such a read)."""
    return sa.literal_column("'" + str(value).replace("'", "''") + "'")


def prebuilt_per_dialect(name: str, build: Callable[[str], Any]) -> Callable[[str], Any]:
    """Register a statement built per dialect (INSERT ... ON CONFLICT); return its builder, caching one per dialect."""
    built: dict[str, Any] = {}

    def for_dialect(dialect_name: str):
        found = built.get(dialect_name)
        if found is None:
            found = built[dialect_name] = build(dialect_name)
        return found

    PREBUILT[name] = for_dialect
    return for_dialect


class _Compiled:
    """One statement compiled for one dialect: its SQL, how to order and convert parameters, how to read rows."""

    __slots__ = (
        "statement",
        "sql",
        "positional",
        "parameters",
        "row",
        "readers",
        "writes",
    )

    def __init__(self, statement, dialect, column_keys: tuple[str, ...] | None, many: bool):
        self.statement = statement  # held so the id() in the cache key stays this statement's
        compiled = internals.compile_statement(statement, dialect, column_keys, many)
        self.sql = compiled.string
        self.positional = compiled.positional
        binds = internals.bind_names(compiled)
        names = internals.positional_names(compiled) or tuple(binds)
        self.writes = not isinstance(statement, sa.Select)
        # Literal values written in the statement (status == "active", LIMIT 1) travel as parameters too.
        fixed = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        convert = {}
        for name, bind in binds.items():
            impl = bind.type.dialect_impl(dialect)
            process = impl.bind_processor(dialect)
            if process is not None:
                convert[name] = internals.datetime_binder(impl, process)
        # Python-side column defaults and onupdates that SQLAlchemy's execution context would otherwise fill in.
        defaults = internals.prefetched_defaults(compiled)
        self.parameters = _parameters_function(names, self.positional, fixed, defaults, convert)
        columns = list(_returned_columns(statement))
        self.row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None
        self.readers = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        if not any(self.readers):
            self.readers = None

    def make_row(self, raw: tuple):
        """Return a fetched tuple as a row with attribute access, its values converted as SQLAlchemy would."""
        if self.readers is not None:
            raw = [value if read is None else read(value) for read, value in zip(self.readers, raw, strict=True)]
        return self.row._make(raw)


def _parameters_function(names: tuple, positional: bool, fixed: dict, defaults: dict, convert: dict) -> Callable:
    """Return a function of the given values that returns a statement's DBAPI parameters (a tuple in `names`' order,
    or a dict), written out as Python source once per statement.

    Per name: the given value, else its column default (called) or the literal the statement holds (converted once),
    passed through the type's bind processor. Generated code does in one expression what a loop over the names, a
    dict merge and a pass per processor did at every execution (a third of a statement's Python cost).
    """
    env: dict = {}

    def held(value) -> str:
        """Return the name under which the generated code finds `value`."""
        env[f"_{len(env)}"] = value
        return f"_{len(env) - 1}"

    def expression(name: str) -> str:
        """Return the source of one parameter's value."""
        got, process = f"given[{name!r}]", convert.get(name)
        if name in defaults:
            default = defaults[name]
            missing = f"{held(default)}(None)" if callable(default) else held(default)
            got = f"({got} if {name!r} in given else {missing})"
        elif name in fixed:
            literal = held(process(fixed[name]) if process is not None else fixed[name])
            return (
                f"({held(process)}({got}) if {name!r} in given else {literal})"
                if process
                else f"given.get({name!r}, {literal})"
            )
        return f"{held(process)}({got})" if process is not None else got

    if positional:
        body = "(" + "".join(f"{expression(name)}, " for name in names) + ")"
    else:
        body = "{" + ", ".join(f"{name!r}: {expression(name)}" for name in names) + "}"
    exec(f"def parameters(given):\n    return {body}\n", env)  # noqa: S102 (source built above from bind names)
    return env["parameters"]


def _returned_columns(statement):
    """Return the columns a statement yields rows of (a select's, or an INSERT/UPDATE's RETURNING)."""
    if isinstance(statement, sa.Select):
        return statement.selected_columns
    return statement.exported_columns  # empty without RETURNING


def compiled(statement, dialect, params: dict | None = None, many: bool = False) -> _Compiled:
    """Return the statement compiled for the dialect (for a bare INSERT, the columns given; for executemany), once."""
    keys = tuple(params) if params and internals.is_bare_insert(statement) else None
    key = (id(statement), dialect.name, keys, many)
    found = _compiled.get(key)
    if found is None:
        if len(_compiled) >= MAX_CACHED:  # statements built per call: forget them rather than grow
            _compiled.clear()
        found = _compiled[key] = _Compiled(statement, dialect, keys, many)
    return found


class Result:
    """The outcome of one execution, read like SQLAlchemy's Result for the calls the hot path makes."""

    __slots__ = ("_rows", "rowcount", "lastrowid")

    def __init__(self, rows: list, rowcount: int, lastrowid: int | None = None):
        self._rows, self.rowcount, self.lastrowid = rows, rowcount, lastrowid

    def first(self):
        """Return the first row, or None."""
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        """Return the first row's first value, or None."""
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        """Return the only row's first value; raise when there is not exactly one row."""
        if len(self._rows) != 1:
            raise sa.exc.NoResultFound("expected exactly one row") if not self._rows else sa.exc.MultipleResultsFound()
        return self._rows[0][0]

    def scalars(self) -> list:
        """Return every row's first value."""
        return [row[0] for row in self._rows]

    def all(self) -> list:
        """Return every row."""
        return self._rows


class Connection:
    """A DBAPI connection that runs prebuilt Core statements; `dialect` is SQLAlchemy's."""

    __slots__ = ("dbapi", "dialect", "pooled", "wrote", "group", "_kept")

    def __init__(self, dbapi, dialect, pooled=None):
        self.dbapi, self.dialect, self.wrote = dbapi, dialect, False
        self.pooled = pooled  # the pool's wrapper of a connection of our own (None: the session's)
        self.group = None  # the charger frames' transaction open on it, to be committed at once (group.py)
        self._kept = None  # the cursor every statement uses, on a connection of our own (see _cursor)

    def execute(self, statement, params: dict | list | None = None, alone: bool = False) -> Result:
        """Run a statement with one parameter set (or many: a list of dicts, no rows returned); see run() for alone."""
        many = isinstance(params, list)
        plan = compiled(statement, self.dialect, params[0] if many and params else params, many)
        try:
            result = self._run(plan, params, many, alone)
        except self.dialect.loaded_dbapi.IntegrityError as exc:
            raise sa.exc.IntegrityError(plan.sql, params, exc) from exc
        if plan.writes:
            self.wrote = True
            if not _hot_wrote.get():
                _hot_wrote.set(True)
        return result

    def _run(self, plan: _Compiled, params: dict | list | None, many: bool, _alone: bool = False) -> Result:
        """Execute a compiled statement on the DBAPI connection and read its rows."""
        cursor = self._cursor()
        try:
            if many:
                cursor.executemany(plan.sql, [plan.parameters(p) for p in params])
                return Result([], cursor.rowcount)
            cursor.execute(plan.sql, plan.parameters(params or {}))
            rows = [plan.make_row(r) for r in cursor.fetchall()] if plan.row is not None else []
            return Result(rows, cursor.rowcount, getattr(cursor, "lastrowid", None))  # psycopg has none
        finally:
            self._done(cursor)

    def execute_plain(self, sql: str) -> None:
        """Run a statement of no parameters and no rows (SAVEPOINT, RELEASE, BEGIN) on the kept cursor."""
        self._cursor().execute(sql)

    def _cursor(self):
        """Return a cursor for one statement: on a SQLite connection of our own, one kept for the connection's life.

        A SQLite statement runs to its end without yielding, and _run() reads its rows, row count and last row id
        before returning, so the next statement may reuse the cursor (a new one per statement cost ~0.3 us). The
        session's connection, wrapped for a few statements (pooled None), gets a cursor per statement.
        """
        kept = self._kept
        if kept is None:
            if self.pooled is None:
                return self.dbapi.cursor()
            kept = self._kept = self.dbapi.cursor()
        return kept

    def _done(self, cursor) -> None:
        """Close a cursor _cursor() gave, unless it is the kept one."""
        if cursor is not self._kept:
            cursor.close()


class _Later(Result):
    """A pipelined write nobody has read yet: its row count is known once the pipeline syncs (asking syncs it)."""

    __slots__ = ("_cursor", "_pipeline")

    def __init__(self, cursor, pipeline):
        """Hold the cursor the write was queued on and the pipeline that will bring its outcome."""
        self._rows, self._cursor, self._pipeline, self.lastrowid = [], cursor, pipeline, None

    @property
    def rowcount(self) -> int:
        """Return how many rows the write touched (a round trip, unless the pipeline already synced)."""
        if self._cursor.rowcount < 0:
            self._pipeline.sync()
        return self._cursor.rowcount


class Autocommit(Connection):
    """A pooled PostgreSQL connection of the hot path's own, in autocommit mode, between two frames' statements.

    A read outside a write is one round trip (no BEGIN, no ROLLBACK, which would also drop psycopg's prepared
    statements), and the connection is parked at once for the next statement (_park). A write opens a transaction
    in pipeline mode: BEGIN travels with the first statement, a statement whose rows nobody reads waits to travel
    with the next one or with COMMIT (commit()), and the connection stays this greenlet's until the write ends.
    """

    __slots__ = ("engine", "pipeline", "piped")

    def __init__(self, engine: sa.Engine):
        """Take a parked connection, else check one out of the engine's pool and put it in autocommit mode."""
        pooled = _unpark(engine)
        if pooled is None:
            pooled = engine.raw_connection()
            pooled.dbapi_connection.autocommit = True
            pooled.info[_IN_AUTOCOMMIT] = True  # until checkin() gives it back in transaction mode
        super().__init__(pooled.dbapi_connection, engine.dialect, pooled)
        self.engine, self.pipeline, self.piped = engine, None, None

    def _run(self, plan: _Compiled, params: dict | list | None, many: bool, alone: bool = False) -> Result:
        """Run a read, or a write alone, in autocommit and give the connection back; run any other write in this
        greenlet's open write."""
        if self.pooled is None:
            raise RuntimeError("a hot connection used after it went back to the pool: call connection() again")
        if plan.writes and _wrote_alone.get():
            raise OneWriterViolation("a hot write after one that ran alone (committed) inside one db.writing()")
        if self.pipeline is None and (alone or not plan.writes):
            try:
                result = self._guarded(super()._run, plan, params, many)
            finally:
                self.checkin()
            if plan.writes:
                _wrote_alone.set(True)
            return result
        if self.pipeline is None:
            _pg_write.set(self)  # from here until COMMIT or ROLLBACK, this greenlet's statements come here
            self._guarded(self._begin)
        return self._guarded(self._pipelined, plan, params, many)

    def begin(self) -> None:
        """Open a write that is no greenlet's own (pggroup.py): BEGIN, queued until the first round trip."""
        self._guarded(self._begin)

    def queue(self, statement, params: dict) -> None:
        """Queue a write in the open write without reading its outcome (pggroup.py)."""
        self._guarded(self._pipelined, compiled(statement, self.dialect, params), params, False, True)

    def _cursor(self):
        """Return the cursor this connection keeps for the hot path: psycopg's cursor learns once how to send each
        type, and a fresh one per statement cost ~17 us of a ~60 us round trip."""
        info = self.pooled.info
        cursor = info.get("hot_cursor")
        if cursor is None or cursor.closed or cursor.connection is not self.dbapi:
            cursor = info["hot_cursor"] = self.dbapi.cursor()
        return cursor

    def _done(self, cursor) -> None:
        """Keep the cursor for the connection's next statement."""

    def _begin(self) -> None:
        """Enter pipeline mode and queue BEGIN: it travels with the write's first statement."""
        self.pipeline = self.dbapi.pipeline()  # psycopg's context manager: entered here, left in _leave_pipeline()
        self.piped = self.pipeline.__enter__()
        self._cursor().execute("BEGIN")

    def _pipelined(self, plan: _Compiled, params: dict | list | None, many: bool, blind: bool = False) -> Result:
        """Queue a statement in the open write; wait for its rows only if it returns some.

        A statement whose outcome may be read gets a cursor of its own: in a pipeline the result of an earlier
        statement on a shared cursor may arrive after this one was sent, and take its place. A `blind` write's
        outcome is never read.
        """
        cursor = self._cursor() if blind else self.dbapi.cursor()
        if many:
            cursor.executemany(plan.sql, [plan.parameters(p) for p in params])
        else:
            cursor.execute(plan.sql, plan.parameters(params or {}))
        if plan.row is None:
            return _Later(cursor, self.piped)
        return Result([plan.make_row(r) for r in cursor.fetchall()], cursor.rowcount)

    def _guarded(self, run, *args):
        """Call `run`; when the server dropped the connection, make the pool replace its connections."""
        try:
            return run(*args)
        except self.dialect.loaded_dbapi.OperationalError as exc:
            if self.dbapi.closed:
                internals.invalidate_pool(self.engine.pool, self.pooled, exc)
                _close_parked(self.engine)  # as old as this one: the server dropped them too, most likely
            raise

    def commit(self) -> None:
        """Send COMMIT with what the write queued (one round trip); raise what any of it raised."""
        try:
            self._cursor().execute("COMMIT")
            self._guarded(self._leave_pipeline)
        except self.dialect.loaded_dbapi.IntegrityError as exc:
            raise sa.exc.IntegrityError("COMMIT", None, exc) from exc
        self.checkin()

    def rollback(self) -> None:
        """Discard the write: leave pipeline mode (its errors are the write's, already raised) and ROLLBACK."""
        try:
            if self.pipeline is not None:
                with contextlib.suppress(self.dialect.loaded_dbapi.Error):
                    self._leave_pipeline()
            if not self.dbapi.closed:
                self.dbapi.rollback()
        finally:
            self.checkin()

    def _leave_pipeline(self) -> None:
        """Leave pipeline mode: sync, fetch every queued result, raise the first error among them."""
        pipeline, self.pipeline, self.piped = self.pipeline, None, None
        pipeline.__exit__(None, None, None)

    def checkin(self) -> None:
        """Give the connection back to the pool in the mode the ORM expects (a no-op if it was)."""
        if self.pooled is None:
            return
        if _pg_write.get() is self:
            _pg_write.set(None)
        pooled, self.pooled = self.pooled, None
        idle = not self.dbapi.closed and self.dbapi.pgconn.transaction_status == _IDLE
        if idle and _park(self.engine, pooled):
            return
        if not idle:  # closed, or mid-transaction after a failure: it must not reach the ORM in autocommit mode
            pooled.invalidate()
            return
        self.dbapi.autocommit = False
        pooled.info.pop(_IN_AUTOCOMMIT, None)
        pooled.close()  # the pool's reset-on-return ROLLBACK costs nothing on an idle connection


def _transaction_mode_at_checkout(dbapi_connection, record, _proxy) -> None:
    """Hand out no connection the hot path left in autocommit mode (one it never gave back, collected by the garbage
    collector, say): in autocommit the ORM's writes would commit one by one and its rollback undo nothing. Such a
    connection is put back in transaction mode, or, mid-transaction, replaced (DisconnectionError: the pool opens
    another)."""
    if not record.info.pop(_IN_AUTOCOMMIT, False) or dbapi_connection.closed:
        return
    try:
        if dbapi_connection.pgconn.transaction_status != _IDLE:
            raise RuntimeError("left mid-transaction")
        dbapi_connection.autocommit = False
    except Exception as exc:
        raise sa.exc.DisconnectionError(f"a connection the hot path left in autocommit mode: {exc}") from exc


sa.event.listen(sa.pool.Pool, "checkout", _transaction_mode_at_checkout)


def _park(engine: sa.Engine, pooled) -> bool:
    """Keep an idle autocommit connection for the hot path's next statement, unless half the pool is parked."""
    parked = _parked.get(engine)
    if parked is None:
        parked = _parked[engine] = []
        if not sa.event.contains(engine, "engine_disposed", _close_parked):
            sa.event.listen(engine, "engine_disposed", _close_parked)
    if len(parked) >= getattr(engine.pool, "size", lambda: 0)() // 2:  # a pool of one parks nothing
        return False
    parked.append((pooled, time.monotonic()))
    return True


def _unpark(engine: sa.Engine):
    """Return the most recently parked connection of the engine, pinged first if it sat idle a while; or None."""
    parked = _parked.get(engine)
    if parked:
        pooled, since = parked.pop()
        if time.monotonic() - since < pgping.PING_AFTER:
            return pooled
        try:  # what the pool does at checkout with a connection idle as long (autocharge/pgping.py)
            pgping.ping(pooled.dbapi_connection)
        except sa.exc.DisconnectionError:
            pooled.invalidate()
            _close_parked(engine)  # as old as this one: the server dropped them too, most likely
            return None
        return pooled
    return None


def parked(engine: sa.Engine) -> int:
    """Return how many of the engine's connections are parked (checked out of its pool, yet idle)."""
    return len(_parked.get(engine, ()))


def _close_parked(engine: sa.Engine) -> None:
    """Give the engine's parked connections back to its pool, closed (the engine is disposed, or they are dead)."""
    for pooled, _since in _parked.pop(engine, []):
        pooled.invalidate()


def _forget_parked() -> None:
    """In a forked child: the parked connections are the parent's sockets; keep them from use and from closing."""
    _inherited.extend(_parked.values())
    _parked.clear()


os.register_at_fork(after_in_child=_forget_parked)


def run(statement, params: dict | list | None = None, alone: bool = False) -> Result:
    """Run a prebuilt statement on the hot connection of the current app context.

    `alone`: the write is all that its db.writing() writes, so on PostgreSQL it runs in autocommit when no write is
    open (one round trip: no BEGIN, no COMMIT); a hot write after it in the same db.writing() raises OneWriterViolation.
    """
    return connection().execute(statement, params, alone)


def dialect_name() -> str:
    """Return the name of the current app's database dialect ("sqlite", "postgresql")."""
    return current_engine().dialect.name


def settings():
    """Return the current app's settings: within a charger frame its own reference (current_app is a proxy, and
    db.writing() reads settings per block)."""
    frame = frame_var.get()
    return current_app.config if frame is None or frame.config is None else frame.config


def current_engine() -> sa.Engine:
    """Return the current app's engine: db.engine without its lookup through a weak dictionary at every call, and
    within a charger frame found once (a frame asks a dozen times; current_app is a proxy)."""
    frame = frame_var.get()
    if frame is not None and frame.engine is not None:
        return frame.engine
    app = current_app._get_current_object()
    if app is _last_app[0]:
        engine = _last_app[1]
    else:
        engine = db.engine
        _last_app[:] = app, engine
    if frame is not None:
        frame.engine = engine
    return engine


def connection() -> Connection:
    """Return the hot connection of the current app context (see the module's docstring)."""
    engine = current_engine()
    if engine.dialect.name != "sqlite":
        return _postgresql(engine)
    own = _current_own(engine)
    if own is not None:
        if own.wrote or _grouped.get():  # this write's later statements stay on the connection holding the lock
            return own
        if own.group is not None:
            frame = frame_var.get()
            if frame is not None:  # the frame may read what the open group wrote: its answer waits for the commit
                frame.group = own.group
    if db.session.registry.has() and db.session().in_transaction():
        return _shared(db.session())
    return own or _own(engine)


def _postgresql(engine) -> Connection:
    """Return the hot connection on PostgreSQL: this greenlet's open write, else the session's if it is in a
    transaction (the hot statements join it), else a pooled connection in autocommit mode (Autocommit).

    A charger frame whose blind write waits in a batch (pggroup.py) first waits for its commit: the frame reads what
    it wrote, and its writes keep their order.
    """
    settle_frame()
    own = _pg_write.get()
    if own is not None:
        return own
    if db.session.registry.has() and db.session().in_transaction():
        return _shared(db.session())
    return Autocommit(engine)


def _shared(session) -> Connection:
    """Return the session's own connection, flushed so a read sees what the session wrote."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    shared = session.connection()
    return Connection(shared.connection.dbapi_connection, shared.dialect)


def _own(engine) -> Connection:
    """Return this OS thread's SQLite connection for the hot path, opening it on first use."""
    per_thread = _sqlite.get(engine)
    if per_thread is None:
        per_thread = _sqlite[engine] = {}
        sa.event.listen(engine, "engine_disposed", _close_own)
    own = per_thread.get(_os_thread_id())
    if own is None:
        pooled = engine.raw_connection()
        own = per_thread[_os_thread_id()] = Connection(pooled.dbapi_connection, engine.dialect, pooled)
    frame = frame_var.get()
    if frame is not None:
        frame.own = own
    return own


def free_to_batch() -> bool:
    """Tell whether a blind write of the current greenlet may join a batch on PostgreSQL (pggroup.py): no write of
    its own is open, none ran alone before in its db.writing(), and the ORM session holds no transaction."""
    if _pg_write.get() is not None or _wrote_alone.get():
        return False
    return not (db.session.registry.has() and db.session().in_transaction())


def wrote_alone() -> None:
    """Note that the current db.writing() wrote alone, as run(alone=True) does (the one-writer rule)."""
    _hot_wrote.set(True)
    _wrote_alone.set(True)


def settle_frame() -> None:
    """Wait until the batch holding the current charger frame's blind write is committed; raise if its write failed."""
    frame = frame_var.get()
    if frame is None or frame.group is None:
        return
    frame.group.committed.wait()
    if frame.group.error is not None:
        raise RuntimeError("an earlier write of this charger frame failed") from frame.group.error


def own_connection() -> Connection:
    """Return this OS thread's SQLite hot connection, opening it on first use."""
    return _current_own() or _own(current_engine())


def current_own() -> Connection | None:
    """Return this OS thread's SQLite hot connection if it was opened."""
    return _current_own()


def hot_wrote() -> bool:
    """Tell whether the current db.writing() block wrote through the hot path."""
    return _hot_wrote.get()


def in_group() -> int:
    """Return the current greenlet's grouped block's part in its group (group.py; 0, false: none)."""
    return _grouped.get()


def set_grouped(part: int) -> None:
    """Note the current greenlet's grouped block's part in its group (0: not in a grouped block)."""
    _grouped.set(part)


def _current_own(engine=None) -> Connection | None:
    """Return this thread's SQLite hot connection if it was opened (a charger frame finds it once)."""
    frame = frame_var.get()
    if frame is not None and frame.own is not None:
        return frame.own
    per_thread = _sqlite.get(engine or current_engine())
    own = per_thread.get(_os_thread_id()) if per_thread else None
    if frame is not None:
        frame.own = own
    return own


def _close_own(engine) -> None:
    """Close the engine's hot connections when the engine is disposed (tests, forks)."""
    for own in _sqlite.pop(engine, {}).values():
        if own.group is not None:  # frames wait for its commit (group.py): they must hear it will not come
            own.group.error = RuntimeError("the database connection was closed before the group's commit")
            own.group.committed.set()
            own.group = None
        own.pooled.invalidate()  # closes the DBAPI connection instead of returning it to the old pool


def commit() -> None:
    """Commit what this thread's own hot connection wrote (the session's is committed by the session)."""
    pg = _pg_write.get()
    if pg is not None:
        pg.commit()
        return
    own = _current_own()
    if own is not None and own.wrote:
        own.dbapi.commit()
        own.wrote = False


def rollback() -> None:
    """Roll back this thread's own hot connection."""
    pg = _pg_write.get()
    if pg is not None:
        pg.rollback()
        return
    own = _current_own()
    if own is not None and own.wrote:
        own.dbapi.rollback()
        own.wrote = False


def end_write() -> None:
    """Forget the hot write of a db.writing() that ended (committed or rolled back)."""
    if _hot_wrote.get():
        _hot_wrote.set(False)
    if _wrote_alone.get():
        _wrote_alone.set(False)


def release(_exc=None) -> None:
    """End of an app context: nothing of the hot path may stay uncommitted (teardown_appcontext)."""
    rollback()
    end_write()


def check_one_writer() -> None:
    """Make every ORM write after a hot write inside one db.writing() raise OneWriterViolation (tests, debug)."""
    if not sa.event.contains(sa.orm.Session, "before_flush", _refuse_orm_write_after_hot_write):
        sa.event.listen(sa.orm.Session, "before_flush", _refuse_orm_write_after_hot_write)
        sa.event.listen(sa.orm.Session, "do_orm_execute", _refuse_orm_statement_after_hot_write)


def _refuse_orm_write_after_hot_write(*_args) -> None:
    """Raise OneWriterViolation when the session writes after a hot write of the same db.writing() (if checked)."""
    if _hot_wrote.get() and current_app.config["AUTOCHARGE_CHECK_ONE_WRITER"]:
        raise OneWriterViolation(
            "an ORM write after a hot-path write inside one db.writing(): do the ORM writes first, "
            "or write through the hot path only (autocharge/hotpath/runner.py)"
        )


def _refuse_orm_statement_after_hot_write(state) -> None:
    """Apply the one-writer check to INSERT/UPDATE/DELETE statements run through the session."""
    if _hot_wrote.get() and (state.is_insert or state.is_update or state.is_delete):
        _refuse_orm_write_after_hot_write()
