"""The Transactions screen: the filtered, sorted, paged table and its export; one transaction's live detail."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..db import utcnow
from ..extensions import htmx
from ..models.transaction import ORIGINS
from ..services import NotFound, ServiceError, chargers, charts, exports, session_ends, transactions_query, users
from .forms.transactions import EndSessionForm, TransactionFilterForm
from .helpers import form_page
from .roles import allow
from .tables import columns_response, csv_response, filter_or_400, shown_columns, table_response

bp = Blueprint("transactions", __name__, url_prefix="/transactions")

LIVE_POLL_SECONDS = 3


def _table(args) -> dict:
    """Return the context of the transactions table for these arguments (an error message instead of rows)."""
    form = TransactionFilterForm(args)
    sort, descending = form.order()
    context = {"filters": form.kept(), "sort": sort, "descending": descending, "shown": shown_columns("transactions")}
    context.update(error=None, page=None, now=utcnow(), origins=ORIGINS, chosen_user=None, chosen_charger=None)
    try:
        flt = form.query_filter()
        if flt.user_id is not None:
            context["chosen_user"] = users.get(flt.user_id)
        if flt.charger_id is not None:
            context["chosen_charger"] = chargers.get(flt.charger_id)
    except (ServiceError, NotFound) as exc:
        context["error"] = str(exc)
        return context
    context["page"] = transactions_query.page(flt, form.page_number(), form.page_size(), sort, descending)
    return context


@bp.route("/")
@allow("viewer")
def index():
    """List transactions with filters, sort and counted pages (the results partial for htmx)."""
    return table_response("transactions/index.html", "transactions/_results.html", **_table(request.args))


@bp.route("/columns", methods=["POST"])
@allow("viewer")
def columns():
    """Show or hide the Vehicle column for this admin, then the table again."""
    return columns_response("transactions", _table, "transactions.index")


@bp.route("/export.csv")
@allow("operator")
def export():
    """Download exactly the filtered transactions as CSV; the plate only when the Vehicle column is shown."""
    form = TransactionFilterForm(request.args)
    flt = filter_or_400(form)
    sort, descending = form.order()
    with_vehicle = "vehicle" in shown_columns("transactions")
    chunks = exports.transactions_csv(flt, sort, descending, with_vehicle)
    return csv_response(chunks, f"transactions-{utcnow():%Y%m%d-%H%M}.csv")


def _detail(tx_id: int):
    """Return a transaction with its samples or abort with 404."""
    try:
        return transactions_query.detail(tx_id)
    except NotFound as exc:
        abort(404, str(exc))


def _live_context(tx) -> dict:
    """Return what the live part of the detail page shows."""
    chart = charts.session_chart(tx.samples, tx.meter_start, stop=(tx.stop_time, tx.meter_stop))
    return {"tx": tx, "now": utcnow(), "chart": chart, "poll": LIVE_POLL_SECONDS}


def _page_context(tx) -> dict:
    """Return what the whole detail page shows: the live part, and who ended the session by hand and why."""
    ended = session_ends.hand_end_event(tx.id) if tx.stop_reason == session_ends.BY_HAND else None
    return {"token": None, "hand_end": ended, "end_form": EndSessionForm(formdata=None), **_live_context(tx)}


@bp.route("/<int:tx_id>")
@allow("viewer")
def detail(tx_id: int):
    """Show one transaction: who, where, origin, meter values and the power/energy chart."""
    return render_template("transactions/detail.html", **_page_context(_detail(tx_id)))


@bp.route("/<int:tx_id>/end", methods=["POST"])
@allow("operator")
def end(tx_id: int):
    """End a session the charger will not end (offline, rebooted), with a reason: 422 without one, 409 if it ended."""
    form = EndSessionForm()
    try:
        session_ends.end_by_hand(tx_id, current_user.id, form.reason.data)
    except NotFound as exc:
        abort(404, str(exc))
    except ServiceError as exc:
        status = 409 if isinstance(exc, session_ends.AlreadyEnded) else 422
        form.place(exc)
        return form_page("transactions/detail.html", status, **{**_page_context(_detail(tx_id)), "end_form": form})
    flash(f"Transaction {tx_id} ended by hand; its energy stays as last metered.", "success")
    return redirect(url_for("transactions.detail", tx_id=tx_id))


@bp.route("/<int:tx_id>/live")
@allow("viewer")
def live(tx_id: int):
    """Return the energy, chart and meter values partial; it polls itself again while the session runs."""
    # The status badge in the heading sits outside the partial: it comes along out of band.
    return render_template("transactions/_live.html", oob=True, **_live_context(_detail(tx_id)))


@bp.route("/<int:tx_id>/token", methods=["POST"])
@allow("operator")
def reveal_token(tx_id: int):
    """Show the raw id token the session started with (recorded in the audit trail)."""
    try:
        token = transactions_query.reveal_token(tx_id, current_user.id)
    except NotFound as exc:
        abort(404, str(exc))
    if htmx:
        return render_template("transactions/_token.html", token=token)
    return render_template("transactions/detail.html", **{**_page_context(_detail(tx_id)), "token": token})
