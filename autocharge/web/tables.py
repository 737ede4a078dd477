"""What the tables share: optional columns, the arguments of a redrawn table, the htmx response, CSV downloads.

Their filter, sort and page arguments are read by their forms (web/forms/tables.py).
"""

from urllib.parse import parse_qsl, urlsplit

from flask import Response, abort, make_response, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..extensions import htmx
from ..services import ServiceError, admins
from .forms.tables import TableForm, columns_form
from .helpers import safe_target

# Optional columns per screen (hidden unless the admin shows them), kept in Admin.preferences.
OPTIONAL_COLUMNS = {"users": {"vehicles": "Vehicles"}, "transactions": {"vehicle": "Vehicle"}}
COLUMN_FORMS = {screen: columns_form(columns) for screen, columns in OPTIONAL_COLUMNS.items()}


def preference_key(screen: str) -> str:
    """Return the Admin.preferences key holding a screen's shown optional columns."""
    return f"{screen}.columns"


def shown_columns(screen: str) -> set[str]:
    """Return the optional columns the logged-in admin shows on a screen (none by default)."""
    chosen = (current_user.preferences or {}).get(preference_key(screen)) or []
    return set(chosen) & set(OPTIONAL_COLUMNS[screen])


def save_columns(screen: str) -> None:
    """Store the optional columns the column chooser's form ticked."""
    form = COLUMN_FORMS[screen]()
    chosen = [name for name in OPTIONAL_COLUMNS[screen] if form[name].data]
    admins.set_preference(current_user.id, preference_key(screen), chosen)


def table_args() -> MultiDict:
    """Return the arguments of the table to show: the current URL's for htmx (a chooser post), else the request's."""
    if request.method == "POST":
        source = htmx.current_url if htmx else request.form.get("next", "")
        return MultiDict(parse_qsl(urlsplit(source or "").query, keep_blank_values=True))
    return request.args


def table_response(template: str, partial: str, **context) -> Response:
    """Render the page, or only the results partial for htmx (the full page when htmx restores history)."""
    wants_partial = bool(htmx) and not htmx.history_restore_request
    response = make_response(render_template(partial if wants_partial else template, **context))
    response.vary.add("HX-Request")
    return response


def csv_response(chunks, filename: str) -> Response:
    """Return a streamed CSV download."""
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def columns_response(screen: str, table, endpoint: str) -> Response:
    """Save the column chooser's choice; redraw the table of the admin's current URL for htmx, else redirect back."""
    save_columns(screen)
    if htmx:
        return table_response(f"{screen}/index.html", f"{screen}/_results.html", **table(table_args()))
    return redirect(safe_target(request.form.get("next"), url_for(endpoint)))


def filter_or_400(form: TableForm):
    """Return the filter of a table's form, or abort with 400 and why it cannot be applied (an export's filter)."""
    try:
        return form.query_filter()
    except ServiceError as exc:
        abort(400, str(exc))
