"""Pair: choose a charger, then the waiting panel whose status partial htmx polls until the pairing ends."""

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import htmx
from ..models import PairingSession
from ..services import NotFound, ServiceError, pairing
from .forms.pairing import CHOOSE_CHARGER, ChargerSearchForm, PairOnForm
from .helpers import form_page
from .roles import allow
from .vehicles import get_user, get_vehicle

bp = Blueprint("pairing", __name__)


def get_session(session_id: int) -> PairingSession:
    """Return a pairing session, expired first if its deadline passed, or abort with 404."""
    try:
        return pairing.refresh(session_id)
    except NotFound as exc:
        abort(404, str(exc))


def _status_context(session: PairingSession) -> dict:
    """Return what the status partial needs: the session, time left, the poll interval and the plugged-in step."""
    poll = current_app.config["AUTOCHARGE_PAIRING_POLL_SECONDS"]
    remaining, plugged = pairing.remaining_seconds(session), pairing.plugged_step(session)
    return {"session": session, "remaining": remaining, "poll_ms": int(poll * 1000), "plugged": plugged}


def _choose_page(user, vehicle, status: int = 200, error: str | None = None):
    """Render the Pair screen with the chargers the search (`q`) finds; only the choices for htmx."""
    search = ChargerSearchForm(request.args).q.data
    choices, total = pairing.charger_choices(search)
    context = {"user": user, "vehicle": vehicle, "choices": choices, "total": total, "search": search, "error": error}
    template = "pairing/_choices.html" if htmx and request.method == "GET" else "pairing/choose.html"
    response = form_page(template, status, **context)
    response.vary.add("HX-Request")
    return response


@bp.route("/users/<int:user_id>/vehicles/<int:vehicle_id>/pair", methods=["GET", "POST"])
@allow("operator")
def choose(user_id: int, vehicle_id: int):
    """Show the chargers to pair on (usable ones first, the others with why); start waiting on the chosen one."""
    user, vehicle = get_user(user_id), get_vehicle(user_id, vehicle_id)
    waiting = pairing.waiting_for_vehicle(vehicle.id)
    if waiting is not None and pairing.refresh(waiting.id).state == "waiting":
        return redirect(url_for("pairing.panel", session_id=waiting.id))
    if request.method == "GET":
        return _choose_page(user, vehicle)
    form = PairOnForm()
    if not form.validate():
        return _choose_page(user, vehicle, 422, form.first_error())
    try:
        session = pairing.start(vehicle.id, form.charger_id.data or 0, current_user.id)
    except ServiceError as exc:
        # A charger that does not exist (or none chosen) is one not taken from the list, whatever its id.
        form.place(ServiceError(CHOOSE_CHARGER, field="charger_id") if isinstance(exc, NotFound) else exc)
        return _choose_page(user, vehicle, 409 if isinstance(exc, pairing.PairingConflict) else 422, form.first_error())
    return redirect(url_for("pairing.panel", session_id=session.id))


@bp.route("/pairing/<int:session_id>")
@allow("operator")
def panel(session_id: int):
    """Show the waiting panel: what to do now, and the live status partial."""
    session = get_session(session_id)
    return form_page("pairing/panel.html", user=session.vehicle.user, **_status_context(session))


@bp.route("/pairing/<int:session_id>/status")
@allow("operator")
def status(session_id: int):
    """Return the status partial (polled by htmx while the pairing waits; it stops polling once it ended)."""
    response = make_response(render_template("pairing/_status.html", **_status_context(get_session(session_id))))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/pairing/<int:session_id>/cancel", methods=["POST"])
@allow("operator")
def cancel(session_id: int):
    """Cancel a waiting pairing."""
    get_session(session_id)
    try:
        pairing.cancel(session_id, current_user.id)
    except ServiceError as exc:
        if not htmx:  # for htmx the partial shows how the pairing ended instead
            flash(str(exc), "error")
    if htmx:
        return status(session_id)
    return redirect(url_for("pairing.panel", session_id=session_id))


@bp.route("/pairing/<int:session_id>/retry", methods=["POST"])
@allow("operator")
def retry(session_id: int):
    """Try again: wait again on the same charger for the same vehicle."""
    old = get_session(session_id)
    try:
        session = pairing.retry(old.id, current_user.id)
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("pairing.choose", user_id=old.vehicle.user_id, vehicle_id=old.vehicle_id))
    return redirect(url_for("pairing.panel", session_id=session.id))
