"""The charger page's paged panels: the charger's recent events, and its 2.0.1 device model (searchable).

Each URL serves the panel alone to htmx (the page's pager and search swap it in place) and, without JavaScript, a
page of its own holding the same panel. Both read one page of rows and one more, never a count.
"""

from flask import Blueprint, request

from ..services import charger_events, device_model
from .chargers import get_charger
from .forms.charger_panels import DeviceModelForm, EventsPageForm
from .helpers import page_or_partial
from .roles import allow

bp = Blueprint("charger_panels", __name__, url_prefix="/chargers")


@bp.app_template_global()
def charger_events_page(charger_id: int, number: int = 1) -> charger_events.EventPage:
    """Return the page of the charger's events the charger page shows (the newest)."""
    return charger_events.page(charger_id, number)


@bp.app_template_global()
def device_model_page(charger_id: int, search: str = "", number: int = 1) -> device_model.ModelPage:
    """Return the page of the charger's device model the charger page shows."""
    return device_model.page(charger_id, search, number)


@bp.route("/<int:charger_id>/events")
@allow("viewer")
def events(charger_id: int):
    """Show a page of the charger's events, newest first."""
    charger = get_charger(charger_id)
    number = EventsPageForm(request.args).number()
    found = charger_events.page(charger.id, number)
    return page_or_partial("chargers/events.html", "chargers/_events.html", charger=charger, events=found)


@bp.route("/<int:charger_id>/device-model")
@allow("viewer")
def device(charger_id: int):
    """Show a page of the charger's device model, found by component or variable name."""
    charger = get_charger(charger_id)
    form = DeviceModelForm(request.args)
    found = device_model.page(charger.id, form.q.data or "", form.number())
    return page_or_partial("chargers/device_model.html", "chargers/_device_model.html", charger=charger, model=found)
