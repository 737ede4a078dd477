"""Unknown identifiers: what was refused, where and how often; pair a refused vehicle identifier directly, or give a
refused RFID tag to its user."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import htmx
from ..models import UnknownIdentifier
from ..services import NotFound, ServiceError, unknown
from ..services.paging import clamp_per_page
from .helpers import form_page, record_id
from .roles import allow
from .tables import page_number, table_response
from .vehicles import get_user

bp = Blueprint("unknown", __name__, url_prefix="/unknown-identifiers")


def get_row(unknown_id: int) -> UnknownIdentifier:
    """Return an unknown identifier or abort with 404."""
    try:
        return unknown.get(unknown_id)
    except NotFound as exc:
        abort(404, str(exc))


def _kind() -> str:
    """Return which list is asked for: vehicle identifiers (default) or RFID tags."""
    kind = request.args.get("kind", "vehicle")
    return kind if kind in unknown.KINDS else "vehicle"


@bp.route("/")
@allow("viewer")
def index():
    """List refused identifiers, masked: identifiers are personal data, revealed one at a time on request."""
    kind = _kind()
    page = unknown.page(kind, page_number(request.args), clamp_per_page(request.args.get("per_page", type=int)))
    context = {"kind": kind, "page": page, "masked": unknown.masked, "revealed": {}}
    return table_response("unknown/index.html", "unknown/_results.html", **context)


@bp.route("/<int:unknown_id>/reveal", methods=["POST"])
@allow("operator")
def reveal(unknown_id: int):
    """Show one identifier in full (recorded in the audit trail): the cell for htmx, else the list with it shown."""
    row = get_row(unknown_id)
    value = unknown.reveal(row.id, current_user.id)
    if htmx:
        return render_template("unknown/_revealed.html", value=value)
    return render_template(
        "unknown/index.html",
        kind=row.kind,
        page=unknown.page(row.kind),
        masked=unknown.masked,
        revealed={row.id: value},
    )


def _choosing(row: UnknownIdentifier) -> dict:
    """Return step 1 of Pair and Assign: the row (masked), the user chosen (`user_id`) or those found (`q`)."""
    user_id = request.values.get("user_id", type=record_id)
    query = request.args.get("q", "")
    user = get_user(user_id) if user_id else None
    return {"row": row, "masked": unknown.masked(row), "user": user, "query": query, "found": unknown.find_users(query)}


@bp.route("/<int:unknown_id>/pair", methods=["GET", "POST"])
@allow("operator")
def pair(unknown_id: int):
    """Pick a user, then one of their pending vehicles or a new plate, and pair the identifier (no plug-in)."""
    row = get_row(unknown_id)
    if row.kind != "vehicle":
        abort(404, "Only vehicle identifiers can be paired.")
    context = _choosing(row)
    user = context["user"]
    context.update(pending=unknown.pending_vehicles(user.id) if user else [], plate=request.form.get("plate", ""))
    if request.method == "GET" or user is None:
        return form_page("unknown/pair.html", error=None, **context)
    try:
        vehicle = unknown.pair_directly(
            row.id,
            user.id,
            vehicle_id=request.form.get("vehicle_id", type=record_id),
            plate=request.form.get("plate"),
            admin_id=current_user.id,
        )
    except ServiceError as exc:
        return form_page("unknown/pair.html", 422, error=str(exc), **context)
    flash(f"Paired {context['masked']} with {vehicle.plate} of {user.name}.", "success")
    return redirect(url_for("vehicles.index", user_id=user.id))


@bp.route("/<int:unknown_id>/assign", methods=["GET", "POST"])
@allow("operator")
def assign(unknown_id: int):
    """Pick a user and give them a refused RFID tag; it leaves the unknown identifiers."""
    row = get_row(unknown_id)
    if row.kind != "rfid":
        abort(404, "Only RFID tags can be assigned to a user.")
    context = _choosing(row)
    user = context["user"]
    if request.method == "GET" or user is None:
        return form_page("unknown/assign.html", error=None, **context)
    try:
        unknown.assign_tag(row.id, user.id, admin_id=current_user.id)
    except ServiceError as exc:
        return form_page("unknown/assign.html", 422, error=str(exc), **context)
    flash(f"Assigned tag {context['masked']} to {user.name}.", "success")
    return redirect(url_for("users.edit", user_id=user.id))
