"""A user's Vehicles (Users -> three dots -> Assets -> Vehicles): add, correct the plate, replace, retire.

No route here, or anywhere, takes an identifier: it arrives only from a charger (pairing) or from the
Unknown identifiers screen, and is shown read-only.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..models import User, Vehicle
from ..services import NotFound, ServiceError, identifiers, pairing, users, vehicles
from .forms.vehicles import PlateForm, VehicleForm
from .helpers import form_page
from .roles import allow

bp = Blueprint("vehicles", __name__, url_prefix="/users/<int:user_id>/vehicles")
bp.add_app_template_filter(identifiers.display, "identifier")  # AA:BB:CC:DD:EE:FF

EVENT_LABELS = {
    "vehicle.added": "Vehicle added",
    "vehicle.updated": "Plate corrected",
    "vehicle.retired": "Vehicle retired",
    "vehicle.replaced": "Vehicle replaced",
    "pairing.started": "Pairing started",
    "pairing.completed": "Pairing completed",
    "pairing.failed": "Pairing failed",
    "pairing.cancelled": "Pairing cancelled",
    "pairing.expired": "Pairing expired",
}


def get_user(user_id: int) -> User:
    """Return the user or abort with 404."""
    try:
        return users.get(user_id)
    except NotFound:
        abort(404, f"User {user_id} does not exist.")


def get_vehicle(user_id: int, vehicle_id: int) -> Vehicle:
    """Return one of the user's vehicles or abort with 404."""
    try:
        return vehicles.get_for_user(user_id, vehicle_id)
    except NotFound as exc:
        abort(404, str(exc))


@bp.route("/")
@allow("viewer")
def index(user_id: int):
    """Show the user's active, pending and retired vehicles and their audit trail."""
    user = get_user(user_id)
    rows = vehicles.list_for_user(user.id)
    ids = [v.id for v in rows]
    return render_template(
        "vehicles/index.html",
        user=user,
        vehicles=rows,
        replaced_by=vehicles.replaced_by(ids),
        latest=pairing.latest_for_vehicles(ids),
        trail=vehicles.trail_for_user(user.id),
        labels=EVENT_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@allow("operator")
def new(user_id: int):
    """Show the Add Vehicle form (plate only); add the vehicle, then go on to Pair unless told not to."""
    user = get_user(user_id)
    form = VehicleForm(request.values)  # the vehicle to replace comes in the query string, then in the form
    replaces = form.replaces.data  # not a record id: no replacement, as if none was asked for
    old = get_vehicle(user.id, replaces) if replaces else None
    if request.method == "GET":
        return form_page("vehicles/new.html", user=user, old=old, form=form)
    try:
        vehicle = vehicles.add_vehicle(user.id, form.plate.data, admin_id=current_user.id, replaces_id=replaces)
    except ServiceError as exc:
        form.place(exc)
        return form_page("vehicles/new.html", 422, user=user, old=old, form=form)
    flash(f"Added {vehicle.plate}" + (f" as the replacement of {old.plate}." if old else "."), "success")
    if form.then.data == "add":
        return redirect(url_for("vehicles.index", user_id=user.id))
    return redirect(url_for("pairing.choose", user_id=user.id, vehicle_id=vehicle.id))


@bp.route("/<int:vehicle_id>/edit", methods=["GET", "POST"])
@allow("operator")
def edit(user_id: int, vehicle_id: int):
    """Show the plate form (the identifier is shown, never editable); save only the plate."""
    user, vehicle = get_user(user_id), get_vehicle(user_id, vehicle_id)
    if request.method == "GET":
        return form_page("vehicles/edit.html", user=user, vehicle=vehicle, form=PlateForm(obj=vehicle))
    form = PlateForm()  # any other field sent (identifier...) is ignored on purpose
    try:
        vehicles.rename_vehicle(vehicle.id, form.plate.data, admin_id=current_user.id)
    except ServiceError as exc:
        form.place(exc)
        return form_page("vehicles/edit.html", 422, user=user, vehicle=vehicle, form=form)
    flash(f"Saved {vehicle.plate}.", "success")
    return redirect(url_for("vehicles.index", user_id=user.id))


@bp.route("/<int:vehicle_id>/retire", methods=["GET", "POST"])
@allow("operator")
def retire(user_id: int, vehicle_id: int):
    """Ask for confirmation; retire the vehicle so its identifier stops authenticating at once."""
    user, vehicle = get_user(user_id), get_vehicle(user_id, vehicle_id)
    if request.method == "GET":
        return form_page("vehicles/retire.html", user=user, vehicle=vehicle)
    try:
        _, asked = vehicles.retire_vehicle(vehicle.id, admin_id=current_user.id)
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("vehicles.index", user_id=user.id))
    said = (
        f" Asked {asked} online charger{'s' if asked != 1 else ''} to clear their authorization cache." if asked else ""
    )
    flash(f"Retired {vehicle.plate}. Its identifier stays on record and no longer authenticates.{said}", "success")
    return redirect(url_for("vehicles.index", user_id=user.id))
