"""Commands an admin sends to a charger from its page: start, stop, clear cache, reset."""

from collections.abc import Callable

from flask import Blueprint, flash, request, url_for
from flask_login import current_user

from ..services import ServiceError, commands
from .chargers import get_charger
from .helpers import record_id, redirect_back
from .roles import allow

bp = Blueprint("charger_commands", __name__, url_prefix="/chargers")

RESET_KINDS = ("Soft", "Hard")


def _send(charger_id: int, call: Callable[[int], commands.CommandResult]):
    """Send one command, flash the charger's answer in words, and go back to where the form was."""
    charger = get_charger(charger_id)
    try:
        result = call(charger.id)
    except ServiceError as exc:  # offline, timed out, refused: each message is written for the admin
        flash(str(exc), "error")
    else:
        flash(
            result.message or f"{charger.charge_box_id}: {result.status}.", "success" if result.accepted else "warning"
        )
    return redirect_back(url_for("chargers.detail", charger_id=charger.id))


def _refuse(charger_id: int, message: str):
    """Go back to the charger with a message about the form itself."""
    flash(message, "error")
    return redirect_back(url_for("chargers.detail", charger_id=charger_id))


@bp.route("/<int:charger_id>/start", methods=["POST"])
@allow("operator")
def start(charger_id: int):
    """Start charging for a chosen user (origin App)."""
    user_id = request.form.get("user_id", type=record_id)
    connector_id = request.form.get("connector_id", type=record_id)  # empty: the charger picks
    if user_id is None:
        return _refuse(charger_id, "Choose the user to charge for.")
    return _send(charger_id, lambda cid: commands.remote_start(cid, user_id, connector_id, admin_id=current_user.id))


@bp.route("/<int:charger_id>/stop", methods=["POST"])
@allow("operator")
def stop(charger_id: int):
    """Stop a transaction running on the charger."""
    tx_id = request.form.get("transaction_id", type=record_id)
    if tx_id is None:
        return _refuse(charger_id, "Choose the transaction to stop.")
    return _send(charger_id, lambda cid: commands.remote_stop(cid, tx_id, admin_id=current_user.id))


@bp.route("/<int:charger_id>/clear-cache", methods=["POST"])
@allow("operator")
def clear_cache(charger_id: int):
    """Ask the charger to forget its cached authorizations."""
    return _send(charger_id, lambda cid: commands.clear_cache(cid, admin_id=current_user.id))


@bp.route("/<int:charger_id>/reset", methods=["POST"])
@allow("operator")
def reset(charger_id: int):
    """Reset the charger (Soft or Hard)."""
    kind = request.form.get("kind", "Soft")
    if kind not in RESET_KINDS:
        return _refuse(charger_id, "A reset is Soft or Hard.")
    return _send(charger_id, lambda cid: commands.reset(cid, kind, admin_id=current_user.id))
