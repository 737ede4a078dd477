"""A charger's recent events for its page: boots, refused connects, CallErrors, commands, NotifyEvent, security.

Each event is logged at its level and kept as one row. record() adds the row inside the caller's writing() (an ORM
write, so it goes before any hot-path write of the same transaction); note() writes it in a transaction of its own.
Nothing here runs for Heartbeat, MeterValues or StatusNotification.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..db import utcnow, writing
from ..extensions import db
from ..models import Charger, ChargerEvent
from ..models.statuses import ChargerEventKind, EventLevel

log = logging.getLogger("autocharge.charger_events")

PER_PAGE = 10
MAX_SUMMARY = 300
UNKNOWN_EVERY = 60.0  # seconds between two recorded refusals of one unknown charge box id (each is still logged)
UNKNOWN_PER_MINUTE = 30  # unknown ids recorded per minute and process: a scan of made-up ids fills no table
UNKNOWN_REMEMBERED = 10_000


@dataclass
class _Unknowns:
    """This app's memory of the unknown charge box ids whose refusal it recorded lately."""

    seen: dict[str, float] = field(default_factory=dict)
    minute: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class EventPage:
    """One page of a charger's events, newest first: `number` is 1-based, `has_next` when older ones exist."""

    items: list
    number: int
    has_next: bool


def record(
    charger_id: int | None,
    charge_box_id: str,
    kind: ChargerEventKind,
    summary: str,
    warning: bool = False,
    logged: bool = False,
) -> None:
    """Log an event (unless the caller `logged` it) and add its row inside the caller's writing()."""
    level = EventLevel.WARNING if warning else EventLevel.INFO
    if not logged:
        log.log(logging.WARNING if warning else logging.INFO, "%s: %s", charge_box_id, summary)
    db.session.add(
        ChargerEvent(
            charger_id=charger_id,
            charge_box_id=charge_box_id[:48],
            at=utcnow(),
            kind=kind,
            level=level,
            summary=_cut(summary),
        )
    )


def note(
    charger_id: int | None,
    charge_box_id: str,
    kind: ChargerEventKind,
    summary: str,
    warning: bool = False,
    logged: bool = False,
) -> None:
    """Log an event and keep it, in a write transaction of its own."""
    with writing():
        record(charger_id, charge_box_id, kind, summary, warning, logged)


def note_unknown(charge_box_id: str, address: str) -> None:
    """Log a connect refused for an unknown charge box id; keep it (rate-limited) for when the charger is added."""
    memory: _Unknowns = current_app.extensions.setdefault("autocharge.unknown_chargers", _Unknowns())
    now = time.monotonic()
    memory.minute[:] = [t for t in memory.minute if now - t < 60]
    recent = now - memory.seen.get(charge_box_id, -UNKNOWN_EVERY) < UNKNOWN_EVERY
    summary = f"Connect refused from {address or 'an unknown address'}: unknown charge box id."
    if recent or len(memory.minute) >= UNKNOWN_PER_MINUTE:
        log.warning("%s: %s", charge_box_id, summary)
        return
    if len(memory.seen) > UNKNOWN_REMEMBERED:
        memory.seen.clear()
    memory.seen[charge_box_id] = now
    memory.minute.append(now)
    note(None, charge_box_id, ChargerEventKind.REFUSED, summary, warning=True)


def adopt(charger: Charger) -> None:
    """Give a charger just added the refusals recorded under its charge box id before it existed (inside writing())."""
    db.session.execute(
        sa.update(ChargerEvent)
        .where(ChargerEvent.charger_id.is_(None), ChargerEvent.charge_box_id == charger.charge_box_id)
        .values(charger_id=charger.id)
    )


def repeated(charger_id: int, summary: str, within: timedelta) -> bool:
    """Tell whether the charger's newest event says `summary` and is younger than `within` (one indexed read)."""
    newest = db.session.execute(
        sa.select(ChargerEvent.summary, ChargerEvent.at)
        .where(ChargerEvent.charger_id == charger_id)
        .order_by(ChargerEvent.id.desc())
        .limit(1)
    ).first()
    return newest is not None and newest.summary == _cut(summary) and utcnow() - newest.at < within


def forget_older_than(days: float, batch: int = 1000) -> int:
    """Delete the events older than `days` (none when `days` is 0 or less); return how many went."""
    if days <= 0:
        return 0
    cutoff, forgotten = utcnow() - timedelta(days=days), 0
    while True:
        # In batches, each its own short write: chargers' frames wait for the write lock between them, not behind
        # a delete of months of events.
        oldest = sa.select(ChargerEvent.id).where(ChargerEvent.at < cutoff).limit(batch)
        with writing() as session:
            gone = session.execute(sa.delete(ChargerEvent).where(ChargerEvent.id.in_(oldest))).rowcount
        forgotten += gone
        if gone < batch:
            return forgotten
        time.sleep(0)  # gevent's when the server patched it: let chargers' frames run


def page(charger_id: int, number: int = 1, per_page: int = PER_PAGE) -> EventPage:
    """Return one page of a charger's events, newest first (one statement: one row more tells of older ones)."""
    number = max(1, number)
    rows = list(
        db.session.scalars(
            sa.select(ChargerEvent)
            .where(ChargerEvent.charger_id == charger_id)
            .order_by(ChargerEvent.id.desc())
            .offset((number - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return EventPage(rows[:per_page], number, len(rows) > per_page)


def _cut(text: str) -> str:
    """Return text that fits the summary column."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"


MAX_EVENTS_KEPT = 20  # of one NotifyEvent: a charger reporting hundreds at once gets a count for the rest


def charger_reported(charger_id: int, charge_box_id: str, events: list[dict]) -> None:
    """Keep the events of a 2.0.1 NotifyEvent (snake_case keys), one row each; Alerting ones are warnings."""
    if not events:
        return
    with writing():
        for event in events[:MAX_EVENTS_KEPT]:
            warning = event.get("trigger") == "Alerting" and not event.get("cleared")
            record(charger_id, charge_box_id, ChargerEventKind.EVENT, describe_event(event), warning)
        if len(events) > MAX_EVENTS_KEPT:
            more = f"{len(events) - MAX_EVENTS_KEPT} more events in the same NotifyEvent (not kept)."
            record(charger_id, charge_box_id, ChargerEventKind.EVENT, more)


def describe_event(event: dict) -> str:
    """Word one NotifyEvent eventData: trigger, component (EVSE), variable = value, and the charger's codes."""
    component, variable = event.get("component") or {}, event.get("variable") or {}
    where = _named(component)
    evse = component.get("evse") or {}
    if evse.get("id"):
        where += f" (EVSE {evse['id']}" + (f", connector {evse['connector_id']})" if evse.get("connector_id") else ")")
    said = f"Event {event.get('trigger', '?')}: {where} {_named(variable)} = {event.get('actual_value', '')}"
    extra = [
        f"{key.replace('_', ' ')} {event[key]}"
        for key in ("event_notification_type", "tech_code", "tech_info")
        if event.get(key)
    ]
    if event.get("cleared"):
        extra.append("cleared")
    return said + (f" ({'; '.join(extra)})" if extra else "") + "."


def security_event(charger_id: int, charge_box_id: str, kind: str, at: str, tech_info: str | None = None) -> None:
    """Keep a SecurityEventNotification (logged as a warning)."""
    summary = f"Security event {kind} at {at}" + (f": {tech_info}" if tech_info else "") + "."
    note(charger_id, charge_box_id, ChargerEventKind.SECURITY, summary, warning=True)


def _named(part: dict) -> str:
    """Return a component's or variable's name, with its instance if it has one."""
    name = str(part.get("name", "?"))
    return f"{name}[{part['instance']}]" if part.get("instance") else name
