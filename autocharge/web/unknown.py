"""Unknown identifiers: what was refused, where and how often; pair a refused vehicle identifier directly, or give a
refused RFID tag to its user."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import htmx
from ..models import UnknownIdentifier
from ..services import NotFound, ServiceError, unknown
from .forms.unknown import AssignTagForm, PairIdentifierForm, UnknownTableForm
from .helpers import form_page
from .roles import allow
from .tables import table_response
from .vehicles import get_user

bp = Blueprint("unknown", __name__, url_prefix="/unknown-identifiers")


def get_row(unknown_id: int) -> UnknownIdentifier:
    """Return an unknown identifier or abort with 404."""
    try:
        return unknown.get(unknown_id)
    except NotFound as exc:
        abort(404, str(exc))


@bp.route("/")
@allow("viewer")
def index():
    """List refused identifiers, masked: identifiers are personal data, revealed one at a time on request."""
    form = UnknownTableForm(request.args)
    kind = form.listed_kind()
    page = unknown.page(kind, form.page_number(), form.page_size())
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


def _choosing(row: UnknownIdentifier, form: AssignTagForm) -> dict:
    """Return step 1 of Pair and Assign: the row (masked), the user chosen (`user_id`) or those found (`q`)."""
    user = get_user(form.user_id.data) if form.user_id.data else None  # not an id: none chosen yet
    query = form.q.data
    return {"row": row, "masked": unknown.masked(row), "user": user, "query": query, "found": unknown.find_users(query)}


@bp.route("/<int:unknown_id>/pair", methods=["GET", "POST"])
@allow("operator")
def pair(unknown_id: int):
    """Pick a user, then one of their pending vehicles or a new plate, and pair the identifier (no plug-in)."""
    row = get_row(unknown_id)
    if row.kind != "vehicle":
        abort(404, "Only vehicle identifiers can be paired.")
    form = PairIdentifierForm(request.values)  # the user is chosen in the query string, then sent with the form
    context = _choosing(row, form)
    user = context["user"]
    context.update(pending=unknown.pending_vehicles(user.id) if user else [], form=form)
    if request.method == "GET" or user is None:
        return form_page("unknown/pair.html", error=None, **context)
    try:
        vehicle = unknown.pair_directly(
            row.id,
            user.id,
            vehicle_id=form.vehicle_id.data,
            plate=form.plate.data,
            admin_id=current_user.id,
        )
    except ServiceError as exc:
        form.place(exc)
        return form_page("unknown/pair.html", 422, error=form.first_error(beside=("plate",)), **context)
    flash(f"Paired {context['masked']} with {vehicle.plate} of {user.name}.", "success")
    return redirect(url_for("vehicles.index", user_id=user.id))


@bp.route("/<int:unknown_id>/assign", methods=["GET", "POST"])
@allow("operator")
def assign(unknown_id: int):
    """Pick a user and give them a refused RFID tag; it leaves the unknown identifiers."""
    row = get_row(unknown_id)
    if row.kind != "rfid":
        abort(404, "Only RFID tags can be assigned to a user.")
    form = AssignTagForm(request.values)
    context = _choosing(row, form)
    user = context["user"]
    if request.method == "GET" or user is None:
        return form_page("unknown/assign.html", error=None, **context)
    try:
        unknown.assign_tag(row.id, user.id, admin_id=current_user.id)
    except ServiceError as exc:
        form.place(exc)  # the tag is not a field here: what is wrong with it is said above the form
        return form_page("unknown/assign.html", 422, error=form.first_error(), **context)
    flash(f"Assigned tag {context['masked']} to {user.name}.", "success")
    return redirect(url_for("users.edit", user_id=user.id))
