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
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return _plain(503, "database unreachable")
    finally:
        db.session.remove()
    if not lease.is_fresh():
        return _plain(503, "process lease not held")
    return _plain(200, "ready")


def _plain(status: int, text: str) -> Response:
    """Return a short uncached text answer."""
    return Response(text + "\n", status, {"Cache-Control": "no-store"}, mimetype="text/plain")
