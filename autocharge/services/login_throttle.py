"""Failed-login throttling per (email, client address), kept in the database so every process shares it."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..db import utcnow, writing
from ..extensions import db
from ..models import LoginFailure
from . import ServiceError


class LoginThrottled(ServiceError):
    """Too many failed logins for this account from this address."""


def _key(email: str, address: str) -> tuple[str, str]:
    """Return the (email, address) a failure is counted under, cut to the columns' sizes."""
    return email.strip().lower()[:254], address[:64]


def _window() -> timedelta:
    """Return how long a failure counts."""
    return timedelta(seconds=current_app.config["AUTOCHARGE_LOGIN_LOCK_SECONDS"])


def check(email: str, address: str) -> int:
    """Return the recent failures of `email` from `address`; raise LoginThrottled when there are too many."""
    email, address = _key(email, address)
    limit = current_app.config["AUTOCHARGE_LOGIN_MAX_FAILURES"]
    now = utcnow()
    recent: list[datetime] = db.session.scalars(
        sa.select(LoginFailure.at)
        .where(LoginFailure.email == email, LoginFailure.address == address, LoginFailure.at > now - _window())
        .order_by(LoginFailure.at.desc())
        .limit(limit)
    ).all()
    if len(recent) >= limit:
        # Locked until the failure that made the count reach the limit is out of the window.
        wait = int((recent[limit - 1] + _window() - now).total_seconds()) + 1
        raise LoginThrottled(f"Too many failed logins. Try again in {wait} seconds.")
    return len(recent)


def fail(email: str, address: str) -> None:
    """Count one failure of `email` from `address`, and forget failures older than the window."""
    email, address = _key(email, address)
    now = utcnow()
    # An insert per failure: simultaneous failures in several processes never conflict.
    with writing() as session:
        session.add(LoginFailure(email=email, address=address, at=now))
        session.execute(sa.delete(LoginFailure).where(LoginFailure.at <= now - _window()))


def clear(email: str, address: str) -> None:
    """Forget the failures of `email` from `address` after a successful login."""
    email, address = _key(email, address)
    with writing() as session:
        session.execute(sa.delete(LoginFailure).where(LoginFailure.email == email, LoginFailure.address == address))
