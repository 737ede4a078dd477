"""What the Users and Transactions tables share: sort and page arguments, optional columns, the htmx response."""

from datetime import date
from urllib.parse import parse_qsl, urlsplit

from flask import Response, abort, make_response, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..extensions import htmx
from ..services import ServiceError, admins
from .helpers import record_id, safe_target

LAST_DAY = date(9999, 12, 31)

# Optional columns per screen (hidden unless the admin shows them), kept in Admin.preferences.
OPTIONAL_COLUMNS = {"users": {"vehicles": "Vehicles"}, "transactions": {"vehicle": "Vehicle"}}


def preference_key(screen: str) -> str:
    """Return the Admin.preferences key holding a screen's shown optional columns."""
    return f"{screen}.columns"


def shown_columns(screen: str) -> set[str]:
    """Return the optional columns the logged-in admin shows on a screen (none by default)."""
    chosen = (current_user.preferences or {}).get(preference_key(screen)) or []
    return set(chosen) & set(OPTIONAL_COLUMNS[screen])


def save_columns(screen: str) -> None:
    """Store the optional columns the column chooser's form ticked."""
    chosen = [name for name in OPTIONAL_COLUMNS[screen] if request.form.get(name)]
    admins.set_preference(current_user.id, preference_key(screen), chosen)


def table_args() -> MultiDict:
    """Return the arguments of the table to show: the current URL's for htmx (a chooser post), else the request's."""
    if request.method == "POST":
        source = htmx.current_url if htmx else request.form.get("next", "")
        return MultiDict(parse_qsl(urlsplit(source or "").query, keep_blank_values=True))
    return request.args


def sort_choice(args: MultiDict, sorts: dict, default: str, default_desc: bool) -> tuple[str, bool]:
    """Return the (sort key, descending) asked for; an unknown key falls back to the default order."""
    sort = args.get("sort", "")
    if sort not in sorts:
        return default, default_desc
    direction = args.get("dir", "")
    if direction in ("asc", "desc"):
        return sort, direction == "desc"
    return sort, default_desc if sort == default else False


def page_number(args: MultiDict) -> int:
    """Return the page asked for: 1 when missing or not a positive number."""
    number = args.get("page", 1, type=int)
    return number if number and number > 0 else 1


def int_arg(args: MultiDict, name: str, label: str) -> int | None:
    """Return a whole-number argument, None when empty; raise ServiceError when it is not a number."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return record_id(raw)
    except ValueError:
        raise ServiceError(f"{label} must be chosen from the list (got {raw[:30]!r}).") from None


def day_arg(args: MultiDict, name: str, label: str) -> date | None:
    """Return a YYYY-MM-DD argument as a date, None when empty; raise ServiceError when it is not one."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        value = date.fromisoformat(raw)
    except ValueError:
        raise ServiceError(f"{label} date {raw[:30]!r} is not a date: use YYYY-MM-DD, e.g. 2026-01-31.") from None
    if value >= LAST_DAY:  # a range ends the day after its "to": the calendar's last day has none
        raise ServiceError(f"{label} date {raw} is out of range: use a date before {LAST_DAY.isoformat()}.")
    return value


def kept(args: MultiDict, names: tuple[str, ...]) -> dict[str, str]:
    """Return the non-empty arguments among `names`: what links and the export carry along."""
    return {name: args.get(name, "").strip() for name in names if args.get(name, "").strip()}


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


def filter_or_400(make, args: MultiDict):
    """Return make(args), or abort with 400 and the service's message (an export of a bad filter)."""
    try:
        return make(args)
    except ServiceError as exc:
        abort(400, str(exc))
