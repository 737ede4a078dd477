"""The Admins screen (admin role): add admins, change their role, disable or enable them, reset their password.

A password made here is shown once, in the answer to the form that made it: never flashed, since flashes travel in
the session cookie.
"""

from flask import Blueprint, abort, url_for
from flask_login import current_user

from ..models import Admin
from ..models.admin import ROLES
from ..services import NotFound, ServiceError, admins
from .forms.admins import AddAdminForm, RoleForm
from .helpers import act, confirm_page, confirmed, form_page
from .roles import allow

bp = Blueprint("admins", __name__, url_prefix="/admins")


def get_admin(admin_id: int) -> Admin:
    """Return the admin or abort with 404."""
    try:
        return admins.get(admin_id)
    except NotFound as exc:
        abort(404, str(exc))


def _page(status: int = 200, form: AddAdminForm | None = None, **context):
    """Render the Admins screen (with a one-time password, or the add form with what it sent and its errors)."""
    form = form or AddAdminForm(formdata=None)
    return form_page("admins/index.html", status, rows=admins.list_admins(), roles=ROLES, form=form, **context)


@bp.route("/")
@allow("admin")
def index():
    """List the admins with their role, status and last sign-in."""
    return _page()


@bp.route("/add", methods=["POST"])
@allow("admin")
def add():
    """Add an admin with the password typed, or a generated one shown once."""
    form = AddAdminForm()
    typed = form.password.data
    password = typed or admins.generate_password()
    try:
        admin = admins.create_admin(form.email.data, password, form.role.data, admin_id=current_user.id)
    except ServiceError as exc:
        form.place(exc)
        return _page(422, form=form)
    shown = None if typed else password
    return _page(201, added=admin, one_time=shown)


@bp.route("/<int:admin_id>/role", methods=["POST"])
@allow("admin")
def role(admin_id: int):
    """Give another admin a role."""
    admin = get_admin(admin_id)
    choice = RoleForm().role.data
    return act(
        lambda: admins.set_role(admin.id, choice, admin_id=current_user.id),
        f"{admin.email} now has the role {choice}.",
        url_for("admins.index"),
    )


@bp.route("/<int:admin_id>/disable", methods=["POST"])
@allow("admin")
def disable(admin_id: int):
    """Disable another admin once confirmed (a page asks first without JavaScript): they are signed out everywhere."""
    admin = get_admin(admin_id)
    if not confirmed():
        return confirm_page(
            f"Disable {admin.email}?",
            "They are signed out everywhere and cannot sign in until an admin enables them again.",
            f"Disable {admin.email}",
            {},
            url_for("admins.index"),
            "Admins",
        )
    return act(
        lambda: admins.disable(admin.id, admin_id=current_user.id),
        f"{admin.email} is disabled and signed out everywhere.",
        url_for("admins.index"),
    )


@bp.route("/<int:admin_id>/enable", methods=["POST"])
@allow("admin")
def enable(admin_id: int):
    """Let a disabled admin sign in again."""
    admin = get_admin(admin_id)
    return act(
        lambda: admins.enable(admin.id, admin_id=current_user.id),
        f"{admin.email} may sign in again.",
        url_for("admins.index"),
    )


@bp.route("/<int:admin_id>/password", methods=["POST"])
@allow("admin")
def reset_password(admin_id: int):
    """Give another admin a generated password, shown once here; they are signed out everywhere."""
    admin = get_admin(admin_id)
    try:
        password = admins.reset_password(admin.id, admin_id=current_user.id)
    except ServiceError as exc:
        return _page(422, reset_error=str(exc))
    return _page(reset=admin, one_time=password)
