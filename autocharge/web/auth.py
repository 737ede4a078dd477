"""Logging admins in and out."""

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import metrics
from ..extensions import db, htmx, login_manager
from ..models import Admin
from ..services import ServiceError, admins, login_throttle
from .helpers import form_page, safe_target

bp = Blueprint("auth", __name__)


@bp.record_once
def _setup_login(state) -> None:
    """Tell Flask-Login where the login page is."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_admin(admin_id: str) -> Admin | None:
    """Return the logged-in admin for the id kept in the session."""
    return db.session.get(Admin, int(admin_id)) if admin_id.isdigit() else None


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log the admin in with email and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    email = request.form.get("email", "").strip()
    if request.method == "GET":
        return form_page("auth/login.html", email=email)
    try:
        admin = admins.authenticate(email, request.form.get("password", ""), request.remote_addr or "")
    except login_throttle.LoginThrottled as exc:
        metrics.login_failed("throttled")
        return form_page("auth/login.html", 429, email=email, error=str(exc))
    except ServiceError as exc:
        metrics.login_failed("wrong")
        return form_page("auth/login.html", 200, email=email, error=str(exc))
    session.clear()  # a fresh session for the logged-in admin, nothing carried over from before
    login_user(admin)
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log the admin out."""
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
