"""Admin accounts and logging in."""

import secrets

import sqlalchemy as sa

from ..db import writing, writing_or
from ..extensions import db
from ..models import Admin
from . import ServiceError, audit, login_throttle
from .passwords import check_password, hash_password

MIN_PASSWORD = 8
DEFAULT_EMAIL = "admin@localhost"


def create_admin(email: str, password: str, role: str = "admin") -> Admin:
    """Create an admin; raise ServiceError for a bad email, short password or taken email."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ServiceError(f"{email!r} is not an email address.")
    if len(password) < MIN_PASSWORD:
        raise ServiceError(f"The password must have at least {MIN_PASSWORD} characters.")
    password_hash = hash_password(password)  # outside the write lock: it takes ~200 ms
    taken = ServiceError(f"An admin with email {email} already exists.")
    with writing_or(taken) as session:
        if session.scalar(sa.select(Admin.id).where(Admin.email == email)):
            raise taken
        admin = Admin(email=email, password_hash=password_hash, role=role, preferences={})
        session.add(admin)
        session.flush()
        audit.record("admin.created", "admin", admin.id, detail=email)
    return admin


def set_password(email: str, password: str) -> Admin:
    """Replace an admin's password; raise ServiceError for an unknown email or a short password."""
    if len(password) < MIN_PASSWORD:
        raise ServiceError(f"The password must have at least {MIN_PASSWORD} characters.")
    password_hash = hash_password(password)
    with writing() as session:
        admin = session.scalar(sa.select(Admin).where(Admin.email == email.strip().lower()))
        if admin is None:
            raise ServiceError(f"There is no admin with email {email}.")
        admin.password_hash = password_hash
        audit.record("admin.password_changed", "admin", admin.id)
    return admin


def ensure_first_admin() -> str | None:
    """Create admin@localhost with a random password when there is no admin; return that password."""
    if db.session.scalar(sa.select(Admin.id).limit(1)):
        return None
    password = secrets.token_urlsafe(12)
    create_admin(DEFAULT_EMAIL, password)
    return password


def authenticate(email: str, password: str, address: str) -> Admin:
    """Return the admin for these credentials; raise LoginThrottled or ServiceError."""
    failures = login_throttle.check(email, address)
    admin = db.session.scalar(sa.select(Admin).where(Admin.email == email.strip().lower()))
    # Hash even for an unknown email so response time does not reveal which emails exist. The check runs in
    # a thread for ~200 ms, so the failure or the clearing is written after it, in a short transaction of its own.
    stored = admin.password_hash if admin else _dummy_hash()
    # Give the database connection back while the check waits its turn in the password pool: a login flood
    # would otherwise hold the whole connection pool, and every admin's page would wait for one.
    db.session.close()
    if not check_password(stored, password) or admin is None:
        login_throttle.fail(email, address)
        raise ServiceError("Wrong email or password.")
    if failures:
        login_throttle.clear(email, address)
    return admin


_dummy: list[str] = []


def _dummy_hash() -> str:
    """Return a hash of a random password, made once."""
    if not _dummy:
        _dummy.append(hash_password(secrets.token_hex(8)))
    return _dummy[0]


def set_preference(admin_id: int, key: str, value) -> None:
    """Store one screen preference (e.g. a shown column) for an admin."""
    with writing() as session:
        admin = session.get(Admin, admin_id)
        admin.preferences = {**(admin.preferences or {}), key: value}
