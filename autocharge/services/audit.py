"""Recording the audit trail."""

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEvent


def record(
    action: str, subject_type: str, subject_id: int | None, *, admin_id: int | None = None, detail: str | None = None
) -> AuditEvent:
    """Add an audit event to the current write transaction."""
    event = AuditEvent(
        action=action, subject_type=subject_type, subject_id=subject_id, admin_id=admin_id, detail=detail
    )
    db.session.add(event)
    return event


def for_subject(subject_type: str, subject_id: int, limit: int = 100) -> list[AuditEvent]:
    """Return the newest audit events about one record."""
    query = (
        sa.select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
