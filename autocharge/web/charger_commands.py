"""Commands an admin sends to a charger from its page: start, stop, clear cache, reset, unlock, trigger, configuration
(1.6), variables and the device model report (2.0.1).

Every form works without JavaScript: a POST, then the page again with the charger's answer. With htmx the same POST
answers with the result partial alone, which fills the page's result area (role=status) while the form's button is
disabled and static/feedback.js has said "Sending…" there. A form that cannot be sent as it is gets 422 and the
reason, in the same place.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, flash, make_response, render_template, url_for
from flask_login import current_user

from ..extensions import htmx
from ..models import Charger
from ..services import ServiceError, commands
from .chargers import detail_context, get_charger
from .forms.charger_commands import (
    BaseReportForm,
    ChangeConfigurationForm,
    CommandForm,
    GetVariablesForm,
    ReadConfigurationForm,
    ResetForm,
    SetVariableForm,
    StartForm,
    StopForm,
    TriggerForm,
    UnlockForm,
)
from .helpers import confirm_page, confirmed, form_page, redirect_back
from .roles import allow

bp = Blueprint("charger_commands", __name__, url_prefix="/chargers")


@dataclass
class Outcome:
    """What the result area shows: how it went (success, warning, error), in words, and any configuration read."""

    kind: str
    message: str
    values: dict = field(default_factory=dict)
    unknown: list = field(default_factory=list)
    results: list = field(default_factory=list)  # 2.0.1 variables: each one's status (and value read)


@bp.app_template_global()
def command_triggers(version: str | None) -> tuple[str, ...]:
    """Return the messages the charger page offers to trigger for a charger of this OCPP version."""
    return commands.triggers(version)


def _show(charger: Charger, outcome: Outcome, status: int = 200):
    """Render an outcome: the result partial for htmx, else the charger page with it (nothing goes in the cookie)."""
    if htmx:
        html = render_template("chargers/_command_result.html", result=outcome, charger=charger)
        return make_response(html, status)
    return form_page("chargers/detail.html", status, result=outcome, **detail_context(charger))


def _send(charger: Charger, call: Callable[[], commands.CommandResult], show: bool = False):
    """Send one command and say how the charger answered.

    With htmx, or when `show` (values read: not for the session cookie), the answer is rendered at once; otherwise
    it is flashed and the browser goes back to the page, so a reload does not send the command again.
    """
    try:
        result = call()
    except ServiceError as exc:  # offline, timed out, refused: each message is written for the admin
        outcome = Outcome("error", str(exc))
    else:
        said = result.message or f"{charger.charge_box_id}: {result.status}."
        kind = "success" if result.accepted else "warning"
        outcome = Outcome(kind, said, result.values, result.unknown, result.results)
    if htmx or show:
        return _show(charger, outcome)
    flash(outcome.message, outcome.kind)
    return redirect_back(url_for("chargers.detail", charger_id=charger.id))


def _command(charger_id: int, form_class: type[CommandForm], send: Callable[..., commands.CommandResult], **how):
    """Read a command's form (a ServiceError is a 422 with its reason), then send it with the form's arguments."""
    charger = get_charger(charger_id)
    try:
        args = form_class().arguments(charger)
    except ServiceError as exc:
        return _show(charger, Outcome("error", str(exc)), 422)
    return _send(charger, lambda: send(charger.id, admin_id=current_user.id, **args), **how)


@bp.route("/<int:charger_id>/start", methods=["POST"])
@allow("operator")
def start(charger_id: int):
    """Start charging for a chosen user (origin App), on a chosen connector or the one the charger picks."""
    return _command(charger_id, StartForm, commands.remote_start)


@bp.route("/<int:charger_id>/stop", methods=["POST"])
@allow("operator")
def stop(charger_id: int):
    """Stop a transaction running on the charger."""
    return _command(charger_id, StopForm, commands.remote_stop)


@bp.route("/<int:charger_id>/clear-cache", methods=["POST"])
@allow("operator")
def clear_cache(charger_id: int):
    """Ask the charger to forget its cached authorizations."""
    return _command(charger_id, CommandForm, commands.clear_cache)


@bp.route("/<int:charger_id>/reset", methods=["POST"])
@allow("operator")
def reset(charger_id: int):
    """Reset the charger: Soft, or Hard once confirmed (without JavaScript a page asks first)."""
    charger = get_charger(charger_id)
    form = ResetForm()
    try:
        kind = form.arguments(charger)["kind"]
    except ServiceError as exc:
        return _show(charger, Outcome("error", str(exc)), 422)
    if kind == "Hard" and not confirmed():
        return _confirm_hard_reset(charger)
    return _send(charger, lambda: commands.reset(charger.id, kind, admin_id=current_user.id))


def _confirm_hard_reset(charger: Charger):
    """Ask whether to hard reset the charger, on a page of its own (htmx asks in a dialog before posting)."""
    if htmx:
        return _show(charger, Outcome("error", "Confirm the hard reset first."), 422)
    return confirm_page(
        f"Hard reset {charger.charge_box_id}?",
        "It restarts at once, ending any charging session on it, and some chargers restart their software and stay"
        " offline for a while. A soft reset waits until it is idle.",
        f"Hard reset {charger.charge_box_id}",
        {"kind": "Hard"},
        url_for("chargers.detail", charger_id=charger.id),
        f"Back to {charger.charge_box_id}",
    )


@bp.route("/<int:charger_id>/unlock", methods=["POST"])
@allow("operator")
def unlock(charger_id: int):
    """Ask the charger to release the cable of one connector."""
    return _command(charger_id, UnlockForm, commands.unlock_connector)


@bp.route("/<int:charger_id>/trigger", methods=["POST"])
@allow("operator")
def trigger(charger_id: int):
    """Ask the charger to send a message now (StatusNotification, MeterValues, Heartbeat, ...)."""
    return _command(charger_id, TriggerForm, commands.trigger_message)


@bp.route("/<int:charger_id>/configuration", methods=["POST"])
@allow("operator")
def get_configuration(charger_id: int):
    """Read the charger's configuration (some keys, or all); the values are shown, never recorded or flashed."""
    return _command(charger_id, ReadConfigurationForm, commands.get_configuration, show=True)


@bp.route("/<int:charger_id>/configuration/change", methods=["POST"])
@allow("operator")
def change_configuration(charger_id: int):
    """Change one configuration key of the charger (recorded with its key, not its value)."""
    return _command(charger_id, ChangeConfigurationForm, commands.change_configuration)


@bp.route("/<int:charger_id>/variables", methods=["POST"])
@allow("operator")
def get_variables(charger_id: int):
    """Read 2.0.1 variables; each one's status and value are shown, never recorded or flashed."""
    return _command(charger_id, GetVariablesForm, commands.get_variables, show=True)


@bp.route("/<int:charger_id>/variables/set", methods=["POST"])
@allow("operator")
def set_variable(charger_id: int):
    """Set one 2.0.1 variable (recorded with its name, not its value); its status is shown."""
    return _command(charger_id, SetVariableForm, commands.set_variable, show=True)


@bp.route("/<int:charger_id>/device-model/report", methods=["POST"])
@allow("operator")
def base_report(charger_id: int):
    """Ask a 2.0.1 charger for its device model; it arrives in parts and is shown once complete.

    With htmx the device model panel hears of it (HX-Trigger) and refreshes itself until the report is in.
    """
    response = _command(charger_id, BaseReportForm, commands.get_base_report)
    response.headers["HX-Trigger"] = "deviceModelRequested"
    return response
