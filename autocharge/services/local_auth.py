"""Chargers' local authorization lists: who may charge when the back office is unreachable, and each list's state.

The list is the same for every charger that keeps one: the identifiers of active vehicles and every RFID tag, each
Accepted (its user is active) or Blocked (its user is blocked). Retired identifiers and removed tags leave it.
Every change of that (pairing, retiring, replacing, blocking, a tag added or removed) is one LocalAuthChange row,
written in the same transaction as the change itself; each charger remembers the last row it has, so what it still
needs is the rows after that one, in order (services/local_auth_sync.py sends them when the charger is online).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..db import utcnow, writing
from ..extensions import db
from ..models import Charger, LocalAuthChange, LocalAuthList, RfidTag, User, Vehicle
from ..models.statuses import AuthStatus, UserStatus, VehicleStatus
from . import ServiceError, audit, chargers, link

ACCEPTED, BLOCKED = AuthStatus.ACCEPTED, AuthStatus.BLOCKED
PENDING_SHOWN = 1000  # the charger page counts pending changes up to this many ("1000+")
DEFAULT_PER_MESSAGE = 50  # entries per SendLocalList when the charger does not say how many it takes
MAX_TOKEN = {"1.6": 20, "2.0.1": 36}  # a 1.6 idTag is CiString20: longer tags cannot be in a 1.6 list


@dataclass(frozen=True)
class Entry:
    """One entry of a local list, in words that mean the same in every OCPP version."""

    kind: str  # "vehicle" or "rfid"
    value: str  # 12-hex identifier, or the upper-case tag
    status: str | None  # Accepted / Blocked; None removes the entry (differential updates only)


@dataclass(frozen=True)
class Panel:
    """What the charger page shows about its local list."""

    state: LocalAuthList | None
    pending: int  # changes not yet on the charger (capped at PENDING_SHOWN + 1)
    enabled: bool


def list_status(user_status: str) -> str:
    """Return the list status of a user's tokens: Accepted while the user is active, else Blocked."""
    return ACCEPTED if user_status == UserStatus.ACTIVE else BLOCKED


def changed_locked(kind: str, value: str | None, status: str | None) -> None:
    """Record, inside the caller's write, that a token's place in the lists changed; the sync wakes at the commit."""
    if not value:
        return
    db.session.add(LocalAuthChange(kind=kind, value=value[:36], status=status))
    link.current().local_list_changed()


def user_changed_locked(user: User) -> None:
    """Record a user's new status for all their tokens (active vehicles' identifiers and tags), inside the write."""
    status = list_status(user.status)
    identifiers = db.session.scalars(
        sa.select(Vehicle.identifier).where(
            Vehicle.user_id == user.id, Vehicle.status == VehicleStatus.ACTIVE, Vehicle.identifier.is_not(None)
        )
    ).all()
    tags = db.session.scalars(sa.select(RfidTag.tag).where(RfidTag.user_id == user.id)).all()
    for identifier in identifiers:
        changed_locked("vehicle", identifier, status)
    for tag in tags:
        changed_locked("rfid", tag, status)


def entries(version: str | None, limit: int | None = None) -> tuple[list[Entry], int]:
    """Return the full list (Accepted first, vehicles before tags; at most `limit`) and how many entries it has."""
    longest = MAX_TOKEN.get(version or "", 36)
    rows = [
        Entry("vehicle", identifier, list_status(status))
        for identifier, status in db.session.execute(
            sa.select(Vehicle.identifier, User.status)
            .join(User, User.id == Vehicle.user_id)
            .where(Vehicle.status == VehicleStatus.ACTIVE, Vehicle.identifier.is_not(None))
            .order_by(Vehicle.id)
        )
    ]
    rows += [
        Entry("rfid", tag, list_status(status))
        for tag, status in db.session.execute(
            sa.select(RfidTag.tag, User.status)
            .join(User, User.id == RfidTag.user_id)
            .where(sa.func.length(RfidTag.tag) <= longest)
            .order_by(RfidTag.id)
        )
    ]
    rows.sort(key=lambda entry: entry.status != ACCEPTED)  # stable: vehicles, then tags, within each status
    return (rows if limit is None else rows[:limit]), len(rows)


def count_entries(version: str | None) -> int:
    """Return how many entries the full list has (counted, not loaded)."""
    longest = MAX_TOKEN.get(version or "", 36)
    vehicles = sa.select(sa.func.count(Vehicle.id)).where(
        Vehicle.status == VehicleStatus.ACTIVE, Vehicle.identifier.is_not(None)
    )
    tags = sa.select(sa.func.count(RfidTag.id)).where(sa.func.length(RfidTag.tag) <= longest)
    return (db.session.scalar(vehicles) or 0) + (db.session.scalar(tags) or 0)


def last_change_id() -> int:
    """Return the id of the newest change (0 when there is none)."""
    return db.session.scalar(sa.select(sa.func.max(LocalAuthChange.id))) or 0


def changes_after(change_id: int, limit: int, version: str | None = None) -> tuple[list[Entry], int]:
    """Return the next changes after `change_id` as entries (the latest per token wins) and the last change's id.

    At most `limit` changes are taken, so the entries fit one message. A tag too long for the charger's OCPP
    version is skipped (it can never be in its list).
    """
    rows = db.session.execute(
        sa.select(LocalAuthChange.id, LocalAuthChange.kind, LocalAuthChange.value, LocalAuthChange.status)
        .where(LocalAuthChange.id > change_id)
        .order_by(LocalAuthChange.id)
        .limit(limit)
    ).all()
    if not rows:
        return [], change_id
    longest = MAX_TOKEN.get(version or "", 36)
    latest = {
        (row.kind, row.value): Entry(row.kind, row.value, row.status) for row in rows if len(row.value) <= longest
    }
    return list(latest.values()), rows[-1].id


def state(charger_id: int) -> LocalAuthList | None:
    """Return a charger's local list state, if it ever had one."""
    return db.session.get(LocalAuthList, charger_id)


def pending_count(row: LocalAuthList | None) -> int:
    """Return how many changes the charger still lacks (at most PENDING_SHOWN + 1: the page says "1000+")."""
    if row is None or row.synced_change_id is None:
        return 0
    capped = (
        sa.select(LocalAuthChange.id)
        .where(LocalAuthChange.id > row.synced_change_id)
        .limit(PENDING_SHOWN + 1)
        .subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0


def panel(charger_id: int) -> Panel:
    """Return what the charger page shows about its local list."""
    row = state(charger_id)
    return Panel(row, pending_count(row), bool(row and row.enabled))


def set_enabled(charger_id: int, enabled: bool, admin_id: int | None = None) -> LocalAuthList:
    """Turn a charger's local list on (a full list is sent) or off (the charger's list is emptied); audited."""
    charger = chargers.get(charger_id)
    with writing() as session:
        row = session.get(LocalAuthList, charger.id)
        if row is None:
            row = LocalAuthList(
                charger_id=charger.id, enabled=False, needs_full=False, version=0, entries=0, failures=0
            )
            session.add(row)
        if row.enabled != enabled:
            row.enabled, row.needs_full, row.failures, row.next_try_at = enabled, True, 0, None
            row.limits_at = None  # read the limits again: the charger may have changed since
            action = "charger.local_list_enabled" if enabled else "charger.local_list_disabled"
            audit.record(action, "charger", charger.id, admin_id=admin_id)
            link.current().local_list_changed()
    return row


def request_full(charger_id: int, admin_id: int | None = None) -> LocalAuthList:
    """Have the whole list sent to the charger again (when it is online); audited."""
    charger = chargers.get(charger_id)
    with writing() as session:
        row = session.get(LocalAuthList, charger.id)
        if row is None or not row.enabled:
            raise ServiceError(f"{charger.charge_box_id} keeps no local list; turn it on first.")
        row.needs_full, row.failures, row.next_try_at, row.limits_at = True, 0, None, None
        audit.record("charger.local_list_resync", "charger", charger.id, admin_id=admin_id)
        link.current().local_list_changed()
    return row


def record(charger_id: int, **values) -> None:
    """Store how a sync went (versions, entries, limits, result) in a write of its own."""
    with writing():
        db.session.execute(sa.update(LocalAuthList).where(LocalAuthList.charger_id == charger_id).values(**values))


def record_failure(charger_id: int, result: str, retry_seconds: float, give_up: bool = False) -> None:
    """Store a failed sync and when to try again: later after each failure in a row (at most an hour)."""
    row = state(charger_id)
    failures = (row.failures if row else 0) + 1
    wait = 3600.0 if give_up else min(3600.0, retry_seconds * 2 ** min(failures - 1, 10))
    now = utcnow()
    record(
        charger_id,
        last_sync_at=now,
        last_ok=False,
        last_result=result[:255],
        failures=failures,
        next_try_at=now + timedelta(seconds=wait),
    )


def due(connection_prefix: str, now: datetime | None = None) -> list[int]:
    """Return the chargers whose socket this process holds and whose list has something to send now."""
    now = now or utcnow()
    newest = sa.select(sa.func.coalesce(sa.func.max(LocalAuthChange.id), 0)).scalar_subquery()
    behind = sa.or_(
        LocalAuthList.needs_full,
        sa.and_(
            LocalAuthList.enabled,
            sa.or_(
                LocalAuthList.synced_change_id.is_(None),
                LocalAuthList.synced_change_id < newest,
                LocalAuthList.last_ok.is_not(True),
            ),
        ),
    )
    return list(
        db.session.scalars(
            sa.select(LocalAuthList.charger_id)
            .join(Charger, Charger.id == LocalAuthList.charger_id)
            .where(
                Charger.connection_id.like(connection_prefix + "%"),
                behind,
                sa.or_(LocalAuthList.next_try_at.is_(None), LocalAuthList.next_try_at <= now),
            )
        )
    )


def forget_delivered() -> int:
    """Delete the changes every enabled charger already has (all of them when no charger keeps a list).

    A charger waiting for its first full list counts as having none (0), so nothing goes while it is being sent.
    """
    floor = sa.select(sa.func.min(sa.func.coalesce(LocalAuthList.synced_change_id, 0))).where(LocalAuthList.enabled)
    with writing() as session:
        lowest = session.scalar(floor)
        if lowest is None:  # no charger keeps a list: none of the changes is needed
            lowest = last_change_id()
        if not lowest:
            return 0
        return session.execute(sa.delete(LocalAuthChange).where(LocalAuthChange.id <= lowest)).rowcount
