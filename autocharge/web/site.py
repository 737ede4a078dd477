"""What every screen shares: the home redirect, error pages, template filters and helpers."""

from flask import Blueprint, redirect, render_template, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from .filters import FILTERS
from .helpers import has_endpoint
from .roles import allow, can

bp = Blueprint("site", __name__)

NAV = (
    ("users.index", "Users"),
    ("transactions.index", "Transactions"),
    ("chargers.index", "Chargers"),
    ("unknown.index", "Unknown identifiers"),
)


@bp.record_once
def _install_filters(state) -> None:
    """Give every template the shared filters, and can(role) (a global, so imported macros see it too)."""
    state.app.jinja_env.filters.update(FILTERS)
    state.app.jinja_env.globals["can"] = can


@bp.app_context_processor
def _template_helpers() -> dict:
    """Give every template the nav entries and has_endpoint()."""
    return {"nav_items": NAV, "has_endpoint": has_endpoint}


@bp.route("/")
@allow("viewer")
def home():
    """Send the admin to the Chargers screen."""
    return redirect(url_for("chargers.index"))


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    """Refuse a form without a valid token with a page that says what to do."""
    message = "The form was missing its security token or it expired. Go back, reload the page and try again."
    return render_template("errors/error.html", code=400, title="Form expired", message=message), 400


@bp.app_errorhandler(403)
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def client_error(exc: HTTPException):
    """Show a plain page for a missing page or a forbidden action."""
    titles = {403: "Not allowed", 404: "Not found", 405: "Not allowed"}
    code = exc.code or 400
    return render_template(
        "errors/error.html", code=code, title=titles.get(code, "Error"), message=exc.description
    ), code


@bp.app_errorhandler(500)
def server_error(exc):
    """Roll back whatever the failed request left in the session, then show a calm error page."""
    db.session.rollback()
    message = "Something went wrong on our side. The error was logged; please try again."
    return render_template("errors/error.html", code=500, title="Server error", message=message), 500
