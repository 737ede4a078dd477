"""Small pieces every screen's views share."""

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Response, flash, make_response, redirect, render_template, request

from ..db import MAX_RECORD_ID
from ..extensions import htmx
from ..services import ServiceError

CONFIRMED = "yes"  # what a confirmed destructive form carries (the dialog's hidden field, hx-vals, or the confirm page)


def record_id(raw: str) -> int:
    """Convert a form or query value to a record id; raise ValueError (so `.get(..., type=record_id)` gives None)."""
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_RECORD_ID:
        raise ValueError(f"not a record id: {raw[:30]!r}")
    return int(raw)


def page_or_partial(page: str, partial: str, **context) -> Response:
    """Render the whole page, or only its partial for an htmx request (one URL, so Vary on HX-Request)."""
    response = make_response(render_template(partial if htmx else page, **context))
    response.vary.add("HX-Request")
    return response


def form_page(template: str, status: int = 200, **context) -> Response:
    """Render a form page with a status (422 when it carries errors) and nothing cached."""
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_target(target: str | None, default: str) -> str:
    """Return `target` if it is a path on this site, else `default` (no open redirects)."""
    # Not printable (CR, LF, NUL...): a header cannot carry it, and no page of ours is named so.
    if (
        target
        and target.isprintable()
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default


def redirect_back(default: str) -> Response:
    """Redirect to the form's `next` field (the page the form was on), else to `default`."""
    return redirect(safe_target(request.form.get("next"), default))


def act(call: Callable[[], object], done: str, back: str) -> Response:
    """Run a service call for a small form; flash its refusal or `done`, then go back to the form's page."""
    try:
        call()
    except ServiceError as exc:
        flash(str(exc), "error")
    else:
        flash(done, "success")
    return redirect_back(back)


def confirmed() -> bool:
    """Tell whether the form says its destructive action was confirmed (in the dialog, or on the confirmation page)."""
    return request.form.get("confirmed") == CONFIRMED


def confirm_page(title: str, explanation: str, confirm: str, fields: dict[str, str], back: str, back_label: str):
    """Ask on a page of its own before a destructive action (no JavaScript): it posts `fields` again, confirmed."""
    if request.form.get("next"):
        fields = {**fields, "next": safe_target(request.form["next"], back)}
    return form_page(
        "confirm.html",
        title=title,
        explanation=explanation,
        action=request.path,
        fields={**fields, "confirmed": CONFIRMED},
        confirm=confirm,
        back=safe_target(request.form.get("next"), back),
        back_label=back_label,
    )
