"""The Audit screen (admin role): who did what to which record and when, filtered, paged, exported."""

from flask import Blueprint, request

from ..services import ServiceError, audit, audit_query, exports
from .forms.audit import AuditFilterForm
from .roles import allow
from .tables import csv_response, filter_or_400, table_response

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _table(args) -> dict:
    """Return the context of the audit table for these arguments (an error message instead of rows)."""
    form = AuditFilterForm(args)
    context = {
        "filters": form.kept(),
        "actions": audit.ACTIONS,
        "subject_types": audit.SUBJECT_TYPES,
        "error": None,
        "page": None,
        "names": {},
        "actor_name": audit_query.actor_name,
    }
    try:
        flt = form.query_filter()
    except ServiceError as exc:
        context["error"] = str(exc)
        return context
    page = audit_query.page(flt, form.page_number(), form.page_size())
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
    flt = filter_or_400(AuditFilterForm(request.args))
    return csv_response(exports.audit_csv(flt), "audit.csv")
