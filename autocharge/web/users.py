"""The Users screen: the searchable table and its export, drivers, blocking, and their RFID tags."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from ..db import utcnow
from ..models import User
from ..services import NotFound, ServiceError, exports, users, users_query
from .forms.users import StatusForm, TagForm, UserFilterForm, UserForm
from .helpers import act, confirm_page, confirmed, form_page
from .roles import allow
from .tables import columns_response, csv_response, filter_or_400, shown_columns, table_response

bp = Blueprint("users", __name__, url_prefix="/users")


def get_user(user_id: int) -> User:
    """Return the user or abort with 404."""
    try:
        return users.get(user_id)
    except NotFound:
        abort(404, f"User {user_id} does not exist.")


def _table(args) -> dict:
    """Return the context of the users table for these arguments (an error message instead of rows if bad)."""
    form = UserFilterForm(args)
    sort, descending = form.order()
    shown = shown_columns("users")
    context = {"filters": form.kept(), "sort": sort, "descending": descending, "shown": shown}
    context.update(error=None, page=None, plates={})
    try:
        flt = form.query_filter()
    except ServiceError as exc:
        context["error"] = str(exc)
        return context
    page = users_query.page(flt, sort, descending, form.page_number(), form.page_size())
    context["page"] = page
    if "vehicles" in shown:
        context["plates"] = users_query.plates_by_user([user.id for user in page.items])
    return context


@bp.route("/")
@allow("viewer")
def index():
    """Show a page of users: search, status filter, sort, optional Vehicles column (the partial for htmx)."""
    return table_response("users/index.html", "users/_results.html", **_table(request.args))


@bp.route("/columns", methods=["POST"])
@allow("viewer")
def columns():
    """Show or hide the optional columns for this admin, then the table again."""
    return columns_response("users", _table, "users.index")


@bp.route("/export.csv")
@allow("operator")
def export():
    """Download the users the search finds as CSV: never vehicles, tags or identifiers, whatever is shown."""
    form = UserFilterForm(request.args)
    flt = filter_or_400(form)
    sort, descending = form.order()
    filename = f"users-{utcnow():%Y%m%d-%H%M}.csv"
    return csv_response(exports.users_csv(flt, sort, descending), filename)


@bp.route("/new", methods=["GET", "POST"])
@allow("operator")
def new():
    """Show the add-user form; add the user."""
    form = UserForm()
    if form.is_submitted():
        try:
            user = users.add_user(form.name.data, form.email.data, admin_id=current_user.id)
        except ServiceError as exc:
            form.place(exc)
        else:
            flash(f"Added {user.name}.", "success")
            return redirect(url_for("users.edit", user_id=user.id))
    return form_page("users/new.html", 422 if form.errors else 200, form=form)


def _edit_page(user: User, form: UserForm | None = None, tag_form: TagForm | None = None):
    """Render a user's page with its two forms (the one that was sent keeps what it sent and its errors)."""
    form = form or UserForm(formdata=None, obj=user)
    tag_form = tag_form or TagForm(formdata=None)
    status = 422 if form.errors or tag_form.errors else 200
    return form_page("users/edit.html", status, user=user, form=form, tag_form=tag_form)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@allow("operator")
def edit(user_id: int):
    """Show a user's details and tags; save the name and email."""
    user = get_user(user_id)
    if request.method == "GET":
        return _edit_page(user)
    form = UserForm()
    try:
        users.update_user(user.id, form.name.data, form.email.data, admin_id=current_user.id)
    except ServiceError as exc:
        form.place(exc)
        return _edit_page(user, form=form)
    flash(f"Saved {user.name}.", "success")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/status", methods=["POST"])
@allow("operator")
def status(user_id: int):
    """Block a user once confirmed (without JavaScript a page asks first), or unblock them."""
    user = get_user(user_id)
    choice = StatusForm().status.data
    if choice == "blocked" and not confirmed():
        return confirm_page(
            f"Block {user.name}?",
            "Their RFID tags and vehicles stop starting charging sessions until you unblock them.",
            f"Block {user.name}",
            {"status": "blocked"},
            url_for("users.index"),
            "Back",
        )
    said = "blocked: their tags and vehicles no longer start charging" if choice == "blocked" else "active again"
    return act(
        lambda: users.set_status(user.id, choice, admin_id=current_user.id),
        f"{user.name} is {said}.",
        url_for("users.index"),
    )


@bp.route("/<int:user_id>/tags", methods=["POST"])
@allow("operator")
def add_tag(user_id: int):
    """Give the user an RFID tag."""
    user = get_user(user_id)
    tag_form = TagForm()
    try:
        rfid = users.add_tag(user.id, tag_form.tag.data, admin_id=current_user.id)
    except ServiceError as exc:
        tag_form.place(exc)
        return _edit_page(user, tag_form=tag_form)
    flash(f"Added tag {rfid.tag} to {user.name}.", "success")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/tags/<int:tag_id>/delete", methods=["POST"])
@allow("operator")
def remove_tag(user_id: int, tag_id: int):
    """Take an RFID tag away from the user once confirmed (without JavaScript a page asks first)."""
    user = get_user(user_id)
    if not confirmed():
        tag = next((tag for tag in user.tags if tag.id == tag_id), None)
        if tag is None:
            abort(404, f"{user.name} has no tag {tag_id}.")
        return confirm_page(
            f"Remove a tag from {user.name}?",
            f"Tag {tag.tag} no longer starts charging for {user.name}.",
            f"Remove tag {tag.tag}",
            {},
            url_for("users.edit", user_id=user.id),
            f"Back to {user.name}",
        )
    try:
        users.remove_tag(user.id, tag_id, admin_id=current_user.id)
    except NotFound as exc:
        abort(404, str(exc))
    flash(f"Removed the tag from {user.name}.", "success")
    return redirect(url_for("users.edit", user_id=user.id))
