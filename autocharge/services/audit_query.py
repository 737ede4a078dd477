"""Finding audit events for the Audit screen and its export: by actor, action, subject and time, newest first."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Admin, AuditEvent, Charger, Transaction, User, Vehicle
from ..models.statuses import Actor
from . import ServiceError
from .audit import ACTIONS, SUBJECT_TYPES
from .paging import PER_PAGE, Page, contains_text, count, load_in_order, page_ids

ORDER = (AuditEvent.at, AuditEvent.id)  # newest first; every audit index ends in these
NOT_ADMINS = (Actor.SYSTEM, Actor.CHARGER)  # actors that are no admin
MAX_ACTOR = 254  # an email's length
MAX_ACTOR_MATCHES = 200  # admins a part of an email may name at once
EXPORT_BATCH = 2000


@dataclass(frozen=True)
class AuditFilter:
    """What to narrow the audit trail to; every field left empty means "any"."""

    actor: str = ""  # an admin's email or part of it, or "system" / "charger"
    action: str | None = None  # a key of audit.ACTIONS
    subject_type: str | None = None  # a key of audit.SUBJECT_TYPES
    subject_id: int | None = None  # only with subject_type
    at_from: datetime | None = None  # naive UTC, inclusive
    at_before: datetime | None = None  # naive UTC, exclusive

    def __post_init__(self) -> None:
        if len(self.actor) > MAX_ACTOR:
            raise ServiceError(
                f"An actor is an admin's email (at most {MAX_ACTOR} characters), system or charger.", field="actor"
            )
        if self.action is not None and self.action not in ACTIONS:
            raise ServiceError(f"Choose the action from the list (got {self.action[:40]!r}).", field="action")
        if self.subject_type is not None and self.subject_type not in SUBJECT_TYPES:
            raise ServiceError(f"The subject type is one of {', '.join(SUBJECT_TYPES)}.", field="subject_type")
        if self.subject_id is not None and self.subject_type is None:
            raise ServiceError(
                f"Choose what kind of record #{self.subject_id} is (the subject type).", field="subject_type"
            )


@dataclass(frozen=True)
class Subject:
    """What an event's record is called now, and for a vehicle its user (whose page lists it)."""

    name: str
    owner_id: int | None = None


def _admin_ids(text: str) -> list[int]:
    """Return the admins an actor text names: the one with exactly that email, else those whose email contains it."""
    exact = list(db.session.scalars(sa.select(Admin.id).where(Admin.email == text)))
    if exact:
        return exact
    query = sa.select(Admin.id).where(contains_text(Admin.email, text)).order_by(Admin.id)
    return list(db.session.scalars(query.limit(MAX_ACTOR_MATCHES)))


def conditions(flt: AuditFilter) -> list:
    """Return the WHERE conditions of a filter."""
    found = []
    actor = flt.actor.replace("\x00", "").strip().lower()  # no email holds a NUL; PostgreSQL refuses one
    if actor in NOT_ADMINS:
        found.append(AuditEvent.actor == actor)
    elif actor:
        found.append(AuditEvent.admin_id.in_(_admin_ids(actor)))
    if flt.action:
        found.append(AuditEvent.action == flt.action)
    if flt.subject_type:
        found.append(AuditEvent.subject_type == flt.subject_type)
    if flt.subject_id is not None:
        found.append(AuditEvent.subject_id == flt.subject_id)
    if flt.at_from is not None:
        found.append(AuditEvent.at >= flt.at_from)
    if flt.at_before is not None:
        found.append(AuditEvent.at < flt.at_before)
    return found


def page(flt: AuditFilter, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """Return one counted page of matching events, newest first, with their admins loaded."""
    number = max(number, 1)
    query = sa.select(AuditEvent.id).where(*conditions(flt))
    total = count(query)
    ids = page_ids(query, ORDER, True, total, number, per_page)
    return Page(load_in_order(AuditEvent, ids, joinedload(AuditEvent.admin)), number, per_page, total)


def actor_name(event: AuditEvent) -> str:
    """Say who acted: the admin's email, "system" or "charger" (or that the admin account is gone)."""
    if event.admin is not None:
        return event.admin.email
    return "a removed admin" if event.actor == Actor.ADMIN else event.actor


# Per subject type: its id column, what it is called, and (vehicles) whose it is.
_NAMES = {
    "admin": (Admin.id, Admin.email, sa.null()),
    "user": (User.id, User.name, sa.null()),
    "vehicle": (Vehicle.id, Vehicle.plate, Vehicle.user_id),
    "charger": (Charger.id, Charger.charge_box_id, sa.null()),
    "transaction": (Transaction.id, sa.null(), sa.null()),
}


def subjects(events: list[AuditEvent]) -> dict[tuple[str, int], Subject]:
    """Return the records a page of events is about that still exist, by (type, id): one query per type."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.subject_type in _NAMES and event.subject_id is not None:
            wanted.setdefault(event.subject_type, set()).add(event.subject_id)
    found = {}
    for kind, ids in wanted.items():
        id_column, name, owner = _NAMES[kind]
        for row_id, row_name, row_owner in db.session.execute(
            sa.select(id_column, name, owner).where(id_column.in_(ids))
        ):
            found[(kind, row_id)] = Subject(row_name or f"#{row_id}", row_owner)
    return found


EXPORT_HEADER = ("at_utc", "actor", "action", "subject_type", "subject_id", "detail")


def export_batches(flt: AuditFilter) -> Iterator[list]:
    """Yield batches of (at, actor, admin email, action, subject type, subject id, detail), newest first."""
    at = sa.type_coerce(AuditEvent.at, sa.String)  # the stored text on SQLite: see transactions_query
    query = (
        sa.select(
            at,
            AuditEvent.actor,
            Admin.email,
            AuditEvent.action,
            AuditEvent.subject_type,
            AuditEvent.subject_id,
            AuditEvent.detail,
        )
        .outerjoin(Admin, Admin.id == AuditEvent.admin_id)
        .where(*conditions(flt))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    yield from db.session.connection().execution_options(yield_per=EXPORT_BATCH).execute(query).partitions()
