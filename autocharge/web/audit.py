"""The Audit screen (admin role): who did what to which record and when, filtered, paged, exported."""

from datetime import datetime, time, timedelta

from flask import Blueprint, request

from ..services import ServiceError, audit, audit_query, exports
from ..services.audit_query import AuditFilter
from ..services.paging import clamp_per_page
from .roles import allow
from .tables import csv_response, day_arg, filter_or_400, int_arg, kept, page_number, table_response

bp = Blueprint("audit", __name__, url_prefix="/audit")

FILTER_ARGS = ("actor", "action", "type", "subject", "from", "to", "per_page")


def _choice(args, name: str, allowed: dict, label: str) -> str | None:
    """Return a value chosen from `allowed`, None when empty; raise ServiceError for one not offered."""
    value = args.get(name, "").strip()
    if value and value not in allowed:
        raise ServiceError(f"Choose the {label} from the list (got {value[:40]!r}).")
    return value or None


def _filter(args) -> AuditFilter:
    """Return the filter the arguments ask for; raise ServiceError with a message for a person."""
    start, end = day_arg(args, "from", "From"), day_arg(args, "to", "To")
    if start and end and start > end:
        raise ServiceError(f"The From date ({start}) is after the To date ({end}).")
    return AuditFilter(
        actor=args.get("actor", "").strip(),
        action=_choice(args, "action", audit.ACTIONS, "action"),
        subject_type=_choice(args, "type", audit.SUBJECT_TYPES, "subject type"),
        subject_id=int_arg(args, "subject", "The record number"),
        at_from=datetime.combine(start, time()) if start else None,
        # The To day is included: events before the next midnight (UTC).
        at_before=datetime.combine(end + timedelta(days=1), time()) if end else None,
    )


def _table(args) -> dict:
    """Return the context of the audit table for these arguments (an error message instead of rows)."""
    context = {
        "filters": kept(args, FILTER_ARGS),
        "actions": audit.ACTIONS,
        "subject_types": audit.SUBJECT_TYPES,
        "error": None,
        "page": None,
        "names": {},
        "actor_name": audit_query.actor_name,
    }
    try:
        flt = _filter(args)
    except ServiceError as exc:
        context["error"] = str(exc)
        return context
    page = audit_query.page(flt, page_number(args), clamp_per_page(args.get("per_page", type=int)))
    context.update(page=page, names=audit_query.subjects(page.items))
    return context


@bp.route("/")
@allow("admin")
def index():
    """List audit events, newest first, with filters and counted pages (the results partial for htmx)."""
    return table_response("audit/index.html", "audit/_results.html", **_table(request.args))


@bp.route("/export.csv")
@allow("admin")
def export():
    """Stream the filtered audit trail as CSV (a bad filter is a 400 before the first byte)."""
    flt = filter_or_400(_filter, request.args)
    return csv_response(exports.audit_csv(flt), "audit.csv")
