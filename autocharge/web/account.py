"""My account: every admin changes their own password and sees and ends their own login sessions."""

from flask import Blueprint, flash, redirect, session, url_for
from flask_login import current_user, logout_user

from ..services import ServiceError, admin_sessions, admins
from .auth import begin, client, current_session_id
from .forms.admins import PasswordForm
from .helpers import form_page
from .roles import allow

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(status: int = 200, form: PasswordForm | None = None):
    """Render My account with the admin's live sessions (and the password form's errors when given)."""
    return form_page(
        "account/index.html",
        status,
        form=form or PasswordForm(formdata=None),
        sessions=admin_sessions.live_for(current_user.id),
        current_id=current_session_id(),
    )


@bp.route("")
@allow("viewer")
def index():
    """Show the password form and the admin's live sessions."""
    return _page()


@bp.route("/password", methods=["POST"])
@allow("viewer")
def password():
    """Change the admin's own password; every other session ends, this browser gets a fresh one."""
    form = PasswordForm()
    address, agent = client()
    try:
        token = admins.change_own_password(
            current_user.id,
            form.current_password.data,
            form.new_password.data,
            form.repeat_password.data,
            address=address,
            user_agent=agent,
        )
    except ServiceError as exc:
        form.place(exc)
        return _page(422, form)
    begin(admins.get(current_user.id), token)
    flash("Your password is changed. Every other browser signed in as you is signed out.", "success")
    return redirect(url_for("account.index"))


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@allow("viewer")
def end_session(session_id: int):
    """Sign out one of the admin's other sessions."""
    if session_id == current_session_id():
        flash("That is this browser: use Log out to sign it out.", "error")
        return redirect(url_for("account.index"))
    try:
        admin_sessions.end_one(session_id, current_user.id)
    except ServiceError as exc:
        flash(str(exc), "error")
    else:
        flash("That session is signed out.", "success")
    return redirect(url_for("account.index"))


@bp.route("/sessions/end-all", methods=["POST"])
@allow("viewer")
def end_all():
    """Sign out every session of the admin, this browser's too."""
    admin_sessions.end_all(current_user.id, "signed out everywhere", by=current_user.id)
    logout_user()
    session.clear()
    flash("You are signed out everywhere, this browser too.", "info")
    return redirect(url_for("auth.login"))
