"""Logging admins in and out, and the login session every request is checked against.

The session cookie holds a random token besides Flask-Login's admin id; a request is logged in only while the
admin_session row of that token is live (services/admin_sessions.py), so logout, a password change or disabling
an admin ends a login for good, even in a copy of the cookie. No remember-me cookie is ever set, and one made up
opens nothing either: it carries no session token.
"""

from flask import Blueprint, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from .. import metrics
from ..extensions import htmx, login_manager
from ..models import Admin
from ..services import ServiceError, admin_sessions, admins, login_throttle
from .forms.auth import LoginForm
from .helpers import form_page, safe_target
from .roles import allow, public

bp = Blueprint("auth", __name__)


@bp.record_once
def _setup_login(state) -> None:
    """Tell Flask-Login where the login page is."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"


SESSION_TOKEN = "_session_token"


@login_manager.user_loader
def load_admin(admin_id: str) -> Admin | None:
    """Return the admin whose live login session this cookie holds, else None (the visitor is anonymous)."""
    if not admin_id.isdigit():
        return None
    row = admin_sessions.resolve(session.get(SESSION_TOKEN), int(admin_id))
    if row is None:
        return None
    g.admin_session_id = row.id
    return row.admin


def current_session_id() -> int | None:
    """Return the id of this browser's login session."""
    return g.get("admin_session_id") if current_user.is_authenticated else None


def begin(admin: Admin, token: str) -> None:
    """Make this browser's session a fresh one for the admin's login session `token` (new CSRF token too)."""
    session.clear()  # nothing carried over from before the login, the old CSRF token included
    session[SESSION_TOKEN] = token
    login_user(admin)


def client() -> tuple[str, str]:
    """Return the client's address and User-Agent header, as a login session records them."""
    return request.remote_addr or "", request.headers.get("User-Agent", "")


@login_manager.unauthorized_handler
def unauthorized():
    """Send an anonymous visitor to the login page (an htmx poll gets HX-Redirect instead of a login form)."""
    target = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if htmx:
        return "", 401, {"HX-Redirect": target}
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(target)


def _safe_next(target: str | None) -> str:
    """Return `target` if it is a path on this site, else the home page."""
    return safe_target(target, url_for("site.home"))


def _refusal(exc: ServiceError) -> tuple[int, str]:
    """Return the status of a refused login and its reason for the metrics (a wrong password is a plain 200)."""
    if isinstance(exc, login_throttle.LoginThrottled):
        return 429, "throttled"
    if isinstance(exc, admins.AccountDisabled):
        return 403, "disabled"
    return 200, "wrong"


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form; log the admin in with email and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.is_submitted():
        return form_page("auth/login.html", form=form)
    address, agent = client()
    try:
        admin = admins.authenticate(form.email.data, form.password.data, address)
    except ServiceError as exc:
        status, reason = _refusal(exc)
        metrics.login_failed(reason)
        form.place(exc)
        return form_page("auth/login.html", status, form=form)
    begin(admin, admin_sessions.start(admin.id, address, agent))
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@allow("viewer")
def logout():
    """Log the admin out: end this login session for good, so no copy of the cookie opens a page again."""
    admin_sessions.end(session.get(SESSION_TOKEN))
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
