"""Health endpoints for load balancers and orchestrators: no login, no data, no session cookie."""

import sqlalchemy as sa
from flask import Blueprint, Response

from .csms import lease
from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 while the process serves requests at all."""
    return _plain(200, "ok")


@bp.get("/readyz")
def readyz() -> Response:
    """Answer 200 when the database answers and this process's lease is fresh, else 503 with the reason."""
    if not _database_answers():
        return _plain(503, "database unreachable")
    if not lease.is_fresh():
        return _plain(503, "process lease not held")
    return _plain(200, "ready")


def _database_answers() -> bool:
    """Tell whether the database answers; asked twice when the first connection was found dropped (the pool then
    replaces them all: pooled connections are pinged only after sitting idle, see pgping.py)."""
    for _ in range(2):
        try:
            db.session.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.DBAPIError as exc:
            if not exc.connection_invalidated:
                return False
        except sa.exc.SQLAlchemyError:
            return False
        finally:
            db.session.remove()
    return False


def _plain(status: int, text: str) -> Response:
    """Return a short uncached text answer."""
    return Response(text + "\n", status, {"Cache-Control": "no-store"}, mimetype="text/plain")
