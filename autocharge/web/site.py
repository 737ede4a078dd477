"""What every screen shares: the Home screen, error pages, template filters and helpers."""

from flask import Blueprint, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..services import dashboard
from .filters import FILTERS
from .helpers import page_or_partial
from .roles import allow, can

bp = Blueprint("site", __name__)

# (endpoint, label, least role that sees the entry)
NAV = (
    ("site.home", "Home", "viewer"),
    ("users.index", "Users", "viewer"),
    ("transactions.index", "Transactions", "viewer"),
    ("chargers.index", "Chargers", "viewer"),
    ("unknown.index", "Unknown identifiers", "viewer"),
    ("admins.index", "Admins", "admin"),
    ("audit.index", "Audit", "admin"),
)


@bp.record_once
def _install_filters(state) -> None:
    """Give every template the shared filters, and can(role) (a global, so imported macros see it too)."""
    state.app.jinja_env.filters.update(FILTERS)
    state.app.jinja_env.globals["can"] = can
    state.app.jinja_env.globals["refresh"] = refresh


def refresh(seconds: float) -> str:
    """Return a self-refreshing screen's interval for htmx ("2000ms" for 2 s), scaled by AUTOCHARGE_REFRESH_SCALE."""
    return f"{round(seconds * current_app.config['AUTOCHARGE_REFRESH_SCALE'] * 1000)}ms"


@bp.app_context_processor
def _template_helpers() -> dict:
    """Give every template the nav entries."""
    return {"nav_items": NAV}


HOME_POLL_SECONDS = 10  # the figures are a glance, not a live feed: a few cheap counts every 10 s


@bp.route("/")
@allow("viewer")
def home():
    """Show the fleet at a glance; its htmx poll gets only the figures."""
    context = {"f": dashboard.figures(), "poll": HOME_POLL_SECONDS}
    return page_or_partial("dashboard/index.html", "dashboard/_figures.html", **context)


# Scripts and styles only from our own files (htmx is vendored), so markup that slipped into a page runs nothing;
# no framing (clickjacking); forms post only here. htmx is told not to eval or inject styles (base.html).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "same-origin",  # page URLs carry searches (names, emails): never to other sites
}


@bp.after_app_request
def _security_headers(response):
    """Add the security headers to every answer, error pages and static files included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


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
