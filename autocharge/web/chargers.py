"""The Chargers screen: the live list, adding chargers, registration, Auto Charge support and passwords."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from ..db import utcnow
from ..extensions import htmx
from ..models import Charger
from ..services import NotFound, ServiceError, chargers, chargers_query, transactions_query, users_query
from .forms.chargers import (
    AutochargeForm,
    ChargerFilterForm,
    ChargerForm,
    ChargerPasswordForm,
    RegistrationForm,
    UserSearchForm,
)
from .helpers import act, confirm_page, confirmed, form_page, page_or_partial
from .roles import allow
from .tables import table_response

bp = Blueprint("chargers", __name__, url_prefix="/chargers")

SUPPORT_LABELS = {"supported": "Supported", "unsupported": "Not supported", "unknown": "Unknown"}


def get_charger(charger_id: int) -> Charger:
    """Return the charger or abort with 404."""
    try:
        return chargers.get(charger_id)
    except NotFound:
        abort(404, f"Charger {charger_id} does not exist.")


ROWS_TARGET = "charger-rows"  # the <tbody> whose poll asks for its rows again
START_USERS = 20  # users offered at once to start a charge for; a search finds the others


def _list_context(args, counted: bool = True) -> dict:
    """Return the Chargers list's context: one page of chargers (uncounted rows only unless `counted`)."""
    form = ChargerFilterForm(args)
    filters = form.kept()
    number, per_page = form.page_number(), form.page_size()
    context = {"filters": filters, "now": utcnow(), "error": None, "page": None, "chargers": []}
    context["here"] = url_for("chargers.index", **filters, **({"page": number} if number > 1 else {}))
    try:
        flt = form.query_filter()
    except ServiceError as exc:
        context["error"] = str(exc)
        return context
    if counted:
        context["page"] = chargers_query.page(flt, number, per_page)
        context["chargers"] = context["page"].items
    else:
        context["chargers"] = chargers_query.rows(flt, number, per_page)
    return context


@bp.route("/")
@allow("viewer")
def index():
    """Show a page of chargers: search and filters; htmx polls refresh only the rows on screen."""
    polled = bool(htmx) and htmx.target == ROWS_TARGET
    context = _list_context(request.args, counted=not polled)
    if polled:
        response = make_response(render_template("chargers/_charger_rows.html", **context))
    else:
        response = table_response("chargers/index.html", "chargers/_results.html", **context)
    if context["error"]:
        response.status_code = 400
    response.vary.update(("HX-Request", "HX-Target"))
    return response


@bp.route("/new", methods=["GET", "POST"])
@allow("operator")
def new():
    """Show the add-charger form; add the charger."""
    form = ChargerForm()
    if not form.is_submitted():
        return form_page("chargers/new.html", form=form, supports=SUPPORT_LABELS)
    try:
        charger = chargers.add_charger(
            form.charge_box_id.data,
            password=form.password.data or None,
            autocharge=form.autocharge.data,
            admin_id=current_user.id,
        )
    except ServiceError as exc:
        form.place(exc)
        return form_page("chargers/new.html", 422, form=form, supports=SUPPORT_LABELS)
    flash(f"Added charger {charger.charge_box_id}. It connects to /ocpp/{charger.charge_box_id}.", "success")
    return redirect(url_for("chargers.detail", charger_id=charger.id))


def _start_users(search: str) -> dict:
    """Return the active users the start form offers (at most START_USERS) and whether more match."""
    found = users_query.pick(search, limit=START_USERS + 1)
    return {"user_q": search, "start_users": found[:START_USERS], "more_users": len(found) > START_USERS}


def detail_context(charger: Charger, forms: bool = True, user_q: str = "") -> dict:
    """Return what the detail page shows (only the live status part when `forms` is false)."""
    context = {
        "charger": charger,
        "now": utcnow(),
        "supports": SUPPORT_LABELS,
        "active": transactions_query.active_on_charger(charger.id),
        "password_form": ChargerPasswordForm(formdata=None),
    }
    if forms:  # the users to start a charge for; not needed by the status polls
        context.update(_start_users(user_q))
    return context


@bp.route("/<int:charger_id>")
@allow("viewer")
def detail(charger_id: int):
    """Show one charger with its actions (`user_q` finds users to start for); htmx polls refresh its status."""
    charger = get_charger(charger_id)
    context = detail_context(charger, forms=not htmx, user_q=UserSearchForm(request.args).user_q.data)
    return page_or_partial("chargers/detail.html", "chargers/_charger_status.html", **context)


@bp.route("/<int:charger_id>/start-users")
@allow("operator")
def start_users(charger_id: int):
    """Return the start form's user choice for a search (htmx active search); without htmx, the page with it."""
    charger = get_charger(charger_id)
    search = UserSearchForm(request.args).user_q.data
    if not htmx:
        return redirect(url_for("chargers.detail", charger_id=charger.id, user_q=search or None))
    return render_template("chargers/_start_users.html", charger=charger, **_start_users(search))


@bp.route("/<int:charger_id>/registration", methods=["POST"])
@allow("operator")
def registration(charger_id: int):
    """Accept a charger, reject it once confirmed (without JavaScript a page asks first), or set it pending."""
    charger = get_charger(charger_id)
    choice = RegistrationForm().registration.data
    if choice == "rejected" and not confirmed():
        return confirm_page(
            f"Reject {charger.charge_box_id}?",
            "It cannot charge until you accept it again.",
            f"Reject {charger.charge_box_id}",
            {"registration": "rejected"},
            url_for("chargers.detail", charger_id=charger.id),
            "Back",
        )
    return act(
        lambda: chargers.set_registration(charger.id, choice, admin_id=current_user.id),
        f"{charger.charge_box_id} is now {choice}.",
        url_for("chargers.detail", charger_id=charger.id),
    )


@bp.route("/<int:charger_id>/autocharge", methods=["POST"])
@allow("operator")
def autocharge(charger_id: int):
    """Set whether the charger supports Auto Charge."""
    charger = get_charger(charger_id)
    support = AutochargeForm().autocharge.data
    return act(
        lambda: chargers.set_autocharge(charger.id, support, admin_id=current_user.id),
        f"Auto Charge support of {charger.charge_box_id}: {SUPPORT_LABELS.get(support, support)}.",
        url_for("chargers.detail", charger_id=charger.id),
    )


@bp.route("/<int:charger_id>/password", methods=["POST"])
@allow("operator")
def password(charger_id: int):
    """Generate, set or remove (once confirmed) the charger's OCPP password; a generated one is shown once, here."""
    charger = get_charger(charger_id)
    form = ChargerPasswordForm()
    action = form.action.data
    if action == "remove" and not confirmed():
        return confirm_page(
            f"Remove the OCPP password of {charger.charge_box_id}?",
            "Anyone who knows its charge box id can then connect as it.",
            "Remove the password",
            {"action": "remove"},
            url_for("chargers.detail", charger_id=charger.id),
            f"Back to {charger.charge_box_id}",
        )
    try:
        if action == "generate":
            chosen = ""  # set_password generates one for ""
        elif action == "remove":
            chosen = None
        else:
            chosen = chargers.validate_password(form.password.data)
        new_password = chargers.set_password(charger.id, chosen, admin_id=current_user.id)
    except ServiceError as exc:
        form.place(exc)
        return form_page("chargers/detail.html", 422, **{**detail_context(charger), "password_form": form})
    if new_password is None:
        flash(f"{charger.charge_box_id} connects without a password now.", "success")
        return redirect(url_for("chargers.detail", charger_id=charger.id))
    # Rendered here rather than flashed: the secret must not travel in the session cookie.
    return form_page(
        "chargers/detail.html", new_password=new_password, generated=action == "generate", **detail_context(charger)
    )
