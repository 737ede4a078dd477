"""The Audit screen's filters: who, what, which record, which days."""

from datetime import datetime, time, timedelta

from ...services import audit
from ...services.audit_query import AuditFilter
from . import DayField, RecordIdField, text
from .tables import TableForm, choice, day_order, offered


class AuditFilterForm(TableForm):
    """The Audit table's filters (newest first, one order)."""

    KEPT = ("actor", "action", "type", "subject", "from", "to", "per_page")

    start = DayField("From", name="from")
    end = DayField("To", name="to", validators=[day_order])
    action = text(validators=[offered(audit.ACTIONS, "action")])
    subject_type = text(name="type", validators=[offered(audit.SUBJECT_TYPES, "subject type")])
    subject_id = RecordIdField(message="The record number must be chosen from the list (got {raw!r}).", name="subject")
    actor = text()

    def make_filter(self) -> AuditFilter:
        """Return the audit filter; raise ServiceError for an actor that cannot be one."""
        start, end = self.start.data, self.end.data
        return AuditFilter(
            actor=self.actor.data.strip(),
            action=choice(self.action.data),
            subject_type=choice(self.subject_type.data),
            subject_id=self.subject_id.data,
            at_from=datetime.combine(start, time()) if start else None,
            # The To day is included: events before the next midnight (UTC).
            at_before=datetime.combine(end + timedelta(days=1), time()) if end else None,
        )
