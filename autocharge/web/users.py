"""The Users screen: the searchable table and its export, drivers, blocking, and their RFID tags."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from ..db import utcnow
from ..models import User
from ..services import NotFound, ServiceError, exports, users, users_query
from ..services.paging import clamp_per_page
from ..services.users_query import UserFilter
from .helpers import act, confirm_page, confirmed, field_errors, form_page
from .roles import allow
from .tables import (
    columns_response,
    csv_response,
    filter_or_400,
    kept,
    page_number,
    shown_columns,
    sort_choice,
    table_response,
)

bp = Blueprint("users", __name__, url_prefix="/users")

# Which form field a service message is about, by the words it uses (email first: an address may contain "name").
USER_FIELDS = {"email": ("email",), "name": ("name",)}


def get_user(user_id: int) -> User:
    """Return the user or abort with 404."""
    try:
        return users.get(user_id)
    except NotFound:
        abort(404, f"User {user_id} does not exist.")


def _values() -> dict[str, str]:
    """Return the name and email the form sent, to put back into it."""
    return {"name": request.form.get("name", ""), "email": request.form.get("email", "")}


FILTER_ARGS = ("q", "status", "sort", "dir", "per_page")


def _filter(args) -> UserFilter:
    """Return the filter the arguments ask for; raise ServiceError for a nonsense status."""
    return UserFilter(search=args.get("q", "").strip(), status=args.get("status", "").strip() or None)


def _table(args) -> dict:
    """Return the context of the users table for these arguments (an error message instead of rows if bad)."""
    sort, descending = sort_choice(args, users_query.SORTS, users_query.DEFAULT_SORT, False)
    shown = shown_columns("users")
    context = {"filters": kept(args, FILTER_ARGS), "sort": sort, "descending": descending, "shown": shown}
    context.update(error=None, page=None, plates={})
    try:
        flt = _filter(args)
    except ServiceError as exc:
        context["error"] = str(exc)
        return context
    per_page = clamp_per_page(args.get("per_page", type=int))
    page = users_query.page(flt, sort, descending, page_number(args), per_page)
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
    flt = filter_or_400(_filter, request.args)
    sort, descending = sort_choice(request.args, users_query.SORTS, users_query.DEFAULT_SORT, False)
    filename = f"users-{utcnow():%Y%m%d-%H%M}.csv"
    return csv_response(exports.users_csv(flt, sort, descending), filename)


@bp.route("/new", methods=["GET", "POST"])
@allow("operator")
def new():
    """Show the add-user form; add the user."""
    if request.method == "GET":
        return form_page("users/new.html", values=_values(), errors={})
    try:
        user = users.add_user(**_values(), admin_id=current_user.id)
    except ServiceError as exc:
        return form_page("users/new.html", 422, values=_values(), errors=field_errors(exc, USER_FIELDS))
    flash(f"Added {user.name}.", "success")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@allow("operator")
def edit(user_id: int):
    """Show a user's details and tags; save the name and email."""
    user = get_user(user_id)
    if request.method == "GET":
        return form_page("users/edit.html", user=user, values={"name": user.name, "email": user.email}, errors={})
    try:
        users.update_user(user.id, **_values(), admin_id=current_user.id)
    except ServiceError as exc:
        return form_page("users/edit.html", 422, user=user, values=_values(), errors=field_errors(exc, USER_FIELDS))
    flash(f"Saved {user.name}.", "success")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/status", methods=["POST"])
@allow("operator")
def status(user_id: int):
    """Block a user once confirmed (without JavaScript a page asks first), or unblock them."""
    user = get_user(user_id)
    choice = request.form.get("status", "")
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
    tag = request.form.get("tag", "")
    try:
        rfid = users.add_tag(user.id, tag, admin_id=current_user.id)
    except ServiceError as exc:
        return form_page(
            "users/edit.html",
            422,
            user=user,
            values={"name": user.name, "email": user.email},
            errors={"tag": str(exc)},
            tag=tag,
        )
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
