"""Starting the one gevent process that serves the web UI and the OCPP endpoint."""

import logging
import os
import signal
import sys

import gevent
from flask import Flask
from gevent.pywsgi import WSGIServer

from . import checkpoint, schema
from .csms import lease
from .csms.transport import OcppHandler
from .extensions import db
from .services import admins

log = logging.getLogger("autocharge")


def prepare(app: Flask) -> str | None:
    """Do the start-up housekeeping; return a new first admin's password, if one was created.

    Taking the lease sweeps up after dead processes only: other live processes keep their chargers online.
    Exits with a message when SQLite already serves another process.
    """
    try:
        lease.acquire(app)
    except lease.SecondSqliteProcess as exc:
        sys.exit(f"autocharge: {exc}")
    with app.app_context():
        return admins.ensure_first_admin()


def _require_schema(app: Flask) -> None:
    """Exit with how to migrate unless the database has the latest migration (instead of a traceback later)."""
    with app.app_context():
        reason = schema.problem(app)
    if reason is not None:
        sys.exit(f"autocharge: {reason}")


def _start_logging(app: Flask) -> None:
    """Log INFO and up (errors, chargers connecting and leaving); one line per request only when asked to."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not app.config["AUTOCHARGE_ACCESS_LOG"]:
        # gevent-websocket logs every request at INFO (the screens poll every 1-2 s); its warnings still show.
        logging.getLogger("geventwebsocket.handler").setLevel(logging.WARNING)


def serve(app: Flask, host: str, port: int) -> None:
    """Serve forever on host:port, printing where to log in and where chargers connect."""
    _require_schema(app)  # before logging is set up: alembic's INFO lines about its context are noise here
    _start_logging(app)
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            checkpoint.start(url.database)
            db.engine.dispose()  # connections opened so far would still checkpoint inside their commits
    password = prepare(app)
    from .csms import background

    background.start(app)
    server = WSGIServer((host, port), app, handler_class=OcppHandler, log=None, error_log=log)
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, _stop, app, server)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"autocharge: log in at http://{shown}:{port}/login", flush=True)
    if password:
        print(
            f"autocharge: first start, created admin {admins.DEFAULT_EMAIL} with password {password}"
            f" (shown once; change it with: .venv/bin/flask --app app set-admin-password {admins.DEFAULT_EMAIL})",
            flush=True,
        )
    print(f"autocharge: chargers connect to ws://{shown}:{port}/ocpp/<charge_box_id>", flush=True)
    server.serve_forever()


def _stop(app: Flask, server: WSGIServer) -> None:
    """Stop at SIGTERM/SIGINT: accept nobody new, give up the lease (this process's chargers go offline), exit."""
    from .csms import last_seen

    server.stop_accepting()  # not close(): serve_forever would return and end the process before the release
    try:
        last_seen.flush(app)
        lease.release(app)
    except Exception:  # the database is gone: the other processes sweep up once the lease runs out
        log.exception("could not release the process lease")
    log.info("stopped; the chargers reconnect to another process")
    # Open sockets close with the process: no per-socket goodbye, which would cost a write per charger.
    os._exit(0)
