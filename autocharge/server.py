"""Starting the one gevent process that serves the web UI and the OCPP endpoint."""

import logging

import sqlalchemy as sa
from flask import Flask
from gevent.pywsgi import WSGIServer

from . import checkpoint
from .csms.transport import OcppHandler
from .db import writing
from .extensions import db
from .models import Charger
from .services import admins

log = logging.getLogger("autocharge")


def prepare(app: Flask) -> str | None:
    """Do the start-up housekeeping; return a new first admin's password, if one was created."""
    with app.app_context():
        # No socket survives a restart, so nothing is online until it reconnects.
        with writing() as session:
            session.execute(sa.update(Charger).values(online=False, connection_id=None))
        return admins.ensure_first_admin()


def serve(app: Flask, host: str, port: int) -> None:
    """Serve forever on host:port, printing where to log in and where chargers connect."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            checkpoint.start(url.database)
            db.engine.dispose()  # connections opened so far would still checkpoint inside their commits
    password = prepare(app)
    from .csms import background

    background.start(app)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"autocharge: log in at http://{shown}:{port}/login", flush=True)
    if password:
        print(
            f"autocharge: first start, created admin {admins.DEFAULT_EMAIL} with password {password}"
            " (shown once; change it with: flask --app app set-admin-password admin@localhost)",
            flush=True,
        )
    print(f"autocharge: chargers connect to ws://{shown}:{port}/ocpp/<charge_box_id>", flush=True)
    server = WSGIServer((host, port), app, handler_class=OcppHandler, log=None, error_log=log)
    server.serve_forever()
