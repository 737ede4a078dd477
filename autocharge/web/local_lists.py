"""A charger's local authorization list on its page: what the charger holds, the on/off setting, a full resync."""

from flask import Blueprint, make_response, redirect, render_template, url_for
from flask_login import current_user

from ..db import utcnow
from ..extensions import htmx
from ..services import local_auth
from .chargers import get_charger
from .forms.chargers import LocalListForm
from .helpers import act
from .roles import allow

bp = Blueprint("local_lists", __name__, url_prefix="/chargers")


@bp.app_template_global()
def local_list_panel(charger_id: int) -> local_auth.Panel:
    """Return what the charger page's local list panel shows (its state and pending changes)."""
    return local_auth.panel(charger_id)


def _back(charger_id: int) -> str:
    """Return the charger page, at its local list panel."""
    return url_for("chargers.detail", charger_id=charger_id, _anchor="local-list")


@bp.route("/<int:charger_id>/local-list")
@allow("viewer")
def panel(charger_id: int):
    """Return the local list panel (htmx polls it); without htmx, the charger page at the panel."""
    charger = get_charger(charger_id)
    if not htmx:
        return redirect(_back(charger.id))
    response = make_response(render_template("chargers/_local_list.html", charger=charger, now=utcnow()))
    response.vary.add("HX-Request")
    return response


@bp.route("/<int:charger_id>/local-list", methods=["POST"])
@allow("operator")
def setting(charger_id: int):
    """Turn the charger's local list on (the full list is sent) or off (its list is emptied)."""
    charger = get_charger(charger_id)
    enabled = LocalListForm().enabled.data == "on"
    done = (
        f"{charger.charge_box_id} keeps a local authorization list now; it is sent when the charger is online."
        if enabled
        else f"{charger.charge_box_id} keeps no local list now; its list is emptied when it is online."
    )
    return act(lambda: local_auth.set_enabled(charger.id, enabled, admin_id=current_user.id), done, _back(charger.id))


@bp.route("/<int:charger_id>/local-list/resync", methods=["POST"])
@allow("operator")
def resync(charger_id: int):
    """Send the whole list to the charger again (at once if it is online, else when it connects)."""
    charger = get_charger(charger_id)
    done = f"The full list goes to {charger.charge_box_id} again as soon as it is online."
    return act(lambda: local_auth.request_full(charger.id, admin_id=current_user.id), done, _back(charger.id))
