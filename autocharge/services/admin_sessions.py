"""Admin login sessions: a row per login that the server can end, checked on every request.

The browser's session cookie carries a random token; the database keeps only its SHA-256, so a copy of the table
opens nothing. A session is live while its row is not ended, its admin is not disabled, and neither the idle nor
the absolute lifetime (settings) has passed.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, joinedload

from ..db import is_record_id, utcnow, writing
from ..extensions import db
from ..models import AdminSession
from . import NotFound, audit

# htmx polls every second or two: writing last_seen_at on each poll would queue every page behind SQLite's one
# writer. Once a minute is precise enough for a lifetime counted in minutes.
TOUCH_EVERY = timedelta(minutes=1)
# Rows of sessions long over are kept this long (the Admins screen's "last sign-in", what My account listed).
RETENTION = timedelta(days=30)

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"), ("Windows", "Windows"), ("Mac OS", "macOS"))
_SYSTEMS += (("Linux", "Linux"), ("CrOS", "ChromeOS"))


def hash_token(token: str) -> str:
    """Return the hex SHA-256 a token is stored as."""
    return hashlib.sha256(token.encode()).hexdigest()


def idle_lifetime() -> timedelta:
    """Return how long a session lives without a request."""
    return timedelta(minutes=float(current_app.config["AUTOCHARGE_SESSION_IDLE_MINUTES"]))


def max_lifetime() -> timedelta:
    """Return how long a session lives at most, however busy."""
    return timedelta(hours=float(current_app.config["AUTOCHARGE_SESSION_MAX_HOURS"]))


def _touch_every() -> timedelta:
    """Return how stale last_seen_at may get: a minute, or less when the idle lifetime is tiny."""
    return min(TOUCH_EVERY, idle_lifetime() / 4)


def _live(now: datetime):
    """Return the condition a live session's row meets at `now`."""
    return sa.and_(
        AdminSession.ended_at.is_(None),
        AdminSession.last_seen_at > now - idle_lifetime(),
        AdminSession.created_at > now - max_lifetime(),
    )


def _printable(text: str, size: int) -> str:
    """Return `text` without control characters (PostgreSQL refuses NUL), cut to `size`."""
    return re.sub(r"[\x00-\x1f\x7f]", "", text)[:size]


def browser_label(user_agent: str) -> str:
    """Return a short name of the browser and system a User-Agent header describes, e.g. "Firefox on Linux"."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser is None:
        return _printable(user_agent, 60) or "unknown"
    return f"{browser} on {system}" if system else browser


def open_in(session: Session, admin_id: int, address: str, user_agent: str) -> str:
    """Add a session for the admin to the caller's write transaction; return its token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AdminSession(
            token_hash=hash_token(token),
            admin_id=admin_id,
            created_at=now,
            last_seen_at=now,
            address=_printable(address, 64),
            user_agent=browser_label(_printable(user_agent, 400))[:120],
        )
    )
    # Sessions that ended long ago are only history: forget them when their admin signs in again.
    session.execute(
        sa.delete(AdminSession).where(
            AdminSession.admin_id == admin_id, AdminSession.created_at < now - max_lifetime() - RETENTION
        )
    )
    return token


def start(admin_id: int, address: str, user_agent: str) -> str:
    """Start a session for an admin who just proved their password; return the token for the cookie."""
    with writing() as session:
        token = open_in(session, admin_id, address, user_agent)
        audit.record("admin.signed_in", "admin", admin_id, admin_id=admin_id, detail=_printable(address, 64))
    return token


def resolve(token: str | None, admin_id: int) -> AdminSession | None:
    """Return the live session `token` opens for the admin (touching it now and then), else None."""
    if not token:
        return None
    row = db.session.scalar(
        sa.select(AdminSession)
        .options(joinedload(AdminSession.admin))
        .where(AdminSession.token_hash == hash_token(token))
    )
    if row is None or row.admin_id != admin_id or row.ended_at is not None or row.admin.disabled_at is not None:
        return None
    now = utcnow()
    if row.last_seen_at <= now - idle_lifetime() or row.created_at <= now - max_lifetime():
        return None
    if now - row.last_seen_at >= _touch_every():
        with writing() as session:
            session.execute(
                sa.update(AdminSession)
                .where(AdminSession.id == row.id, AdminSession.ended_at.is_(None))
                .values(last_seen_at=now)
            )
    return row


def end(token: str | None) -> None:
    """End the session `token` opens, for good (logging out); nothing happens for an unknown or ended one."""
    if not token:
        return
    with writing() as session:
        row = session.scalar(
            sa.select(AdminSession).where(AdminSession.token_hash == hash_token(token), AdminSession.ended_at.is_(None))
        )
        if row is not None:
            row.ended_at, row.end_reason = utcnow(), "signed out"
            audit.record("admin.signed_out", "admin", row.admin_id, admin_id=row.admin_id)


def end_one(session_id: int, admin_id: int) -> None:
    """End one of the admin's own live sessions; raise NotFound for one that is not theirs or not live."""
    if not is_record_id(session_id):
        raise NotFound("That session has already ended.")
    with writing() as session:
        row = session.scalar(
            sa.select(AdminSession).where(
                AdminSession.id == session_id, AdminSession.admin_id == admin_id, _live(utcnow())
            )
        )
        if row is None:
            raise NotFound("That session has already ended.")
        row.ended_at, row.end_reason = utcnow(), "signed out from My account"
        audit.record("admin.sessions_ended", "admin", admin_id, admin_id=admin_id, detail="1 session: signed out")


def end_all_in(session: Session, admin_id: int, reason: str, *, by: int | None) -> int:
    """End every live session of the admin in the caller's write transaction (audited as `by`); return how many."""
    now = utcnow()
    ended = session.execute(
        sa.update(AdminSession)
        .where(AdminSession.admin_id == admin_id, _live(now))
        .values(ended_at=now, end_reason=reason[:40])
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended:
        detail = f"{ended} session{'s' if ended != 1 else ''}: {reason}"
        audit.record("admin.sessions_ended", "admin", admin_id, admin_id=by, detail=detail)
    return ended


def end_all(admin_id: int, reason: str, *, by: int | None) -> int:
    """End every live session of the admin ("sign out everywhere"); return how many."""
    with writing() as session:
        return end_all_in(session, admin_id, reason, by=by)


def live_for(admin_id: int) -> list[AdminSession]:
    """Return the admin's live sessions, the most recently used first."""
    query = (
        sa.select(AdminSession)
        .where(AdminSession.admin_id == admin_id, _live(utcnow()))
        .order_by(AdminSession.last_seen_at.desc(), AdminSession.id.desc())
    )
    return list(db.session.scalars(query))
