"""Admin accounts: creating them, roles, disabling, passwords, and logging in.

Every change is audited with the acting admin (None from the command line). Passwords are hashed before a write
transaction opens: a hash takes ~200 ms, and on SQLite every other writer would wait for it.
"""

import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import is_record_id, utcnow, writing, writing_or
from ..extensions import db
from ..models import Admin, AdminSession
from ..models.admin import ROLES
from ..models.statuses import Role
from . import NotFound, ServiceError, admin_sessions, audit, login_throttle
from .passwords import check_password, hash_password

MIN_PASSWORD = 8
MAX_PASSWORD = 200  # a longer one is refused before it is hashed
DEFAULT_EMAIL = "admin@localhost"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AccountDisabled(ServiceError):
    """The password was right, but the admin is disabled."""


def _checked_password(password: str, said: str = "The password", field: str = "password") -> str:
    """Return `password`; raise ServiceError (about `field`) when it is too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise ServiceError(f"{said} must have at least {MIN_PASSWORD} characters.", field=field)
    if len(password) > MAX_PASSWORD:
        raise ServiceError(f"{said} may have at most {MAX_PASSWORD} characters.", field=field)
    return password


def _checked_role(role: str) -> str:
    """Return `role`; raise ServiceError for one that does not exist."""
    if role not in ROLES:
        raise ServiceError(f"{role!r} is not a role; choose one of {', '.join(ROLES)}.", field="role")
    return role


def generate_password() -> str:
    """Return a random password of 16 characters, to be shown once."""
    return secrets.token_urlsafe(12)


def get(admin_id: int) -> Admin:
    """Return the admin; raise NotFound."""
    admin = db.session.get(Admin, admin_id) if is_record_id(admin_id) else None
    if admin is None:
        raise NotFound(f"Admin {admin_id} does not exist.")
    return admin


def list_admins() -> list[tuple[Admin, datetime | None]]:
    """Return every admin with their last sign-in, by email."""
    last = (
        sa.select(AdminSession.admin_id, sa.func.max(AdminSession.created_at).label("at"))
        .group_by(AdminSession.admin_id)
        .subquery()
    )
    query = sa.select(Admin, last.c.at).outerjoin(last, last.c.admin_id == Admin.id).order_by(Admin.email)
    return [(admin, at) for admin, at in db.session.execute(query)]


def create_admin(email: str, password: str, role: str = Role.ADMIN, *, admin_id: int | None = None) -> Admin:
    """Create an admin; raise ServiceError for a bad email, password or role, or a taken email."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or _CONTROL.search(email):
        raise ServiceError(f"{email!r} is not an email address.", field="email")
    _checked_role(role)
    password_hash = hash_password(_checked_password(password))  # outside the write lock: it takes ~200 ms
    taken = ServiceError(f"An admin with email {email} already exists.", field="email")
    with writing_or(taken) as session:
        if session.scalar(sa.select(Admin.id).where(Admin.email == email)):
            raise taken
        admin = Admin(email=email, password_hash=password_hash, role=role, preferences={})
        session.add(admin)
        session.flush()
        audit.record("admin.created", "admin", admin.id, admin_id=admin_id, detail=f"{email} as {role}")
    return admin


def _new_password_in(session: Session, admin: Admin, password_hash: str, action: str, by: int | None) -> None:
    """Store a new password hash and end all the admin's sessions, in the caller's transaction (audited)."""
    admin.password_hash = password_hash
    audit.record(action, "admin", admin.id, admin_id=by)
    admin_sessions.end_all_in(session, admin.id, "password changed", by=by)


def set_password(email: str, password: str) -> Admin:
    """Replace an admin's password from the command line and end their sessions; raise ServiceError."""
    password_hash = hash_password(_checked_password(password))
    with writing() as session:
        admin = session.scalar(sa.select(Admin).where(Admin.email == email.strip().lower()))
        if admin is None:
            raise ServiceError(f"There is no admin with email {email}.", field="email")
        _new_password_in(session, admin, password_hash, "admin.password_changed", None)
    return admin


def change_own_password(
    admin_id: int, current_password: str, new_password: str, repeat_password: str, *, address: str, user_agent: str
) -> str:
    """Change the admin's own password, end all their sessions and start one for this browser; return its token.

    Raises ServiceError naming the field at fault: the current password, the new one, or its repetition.
    """
    stored = get(admin_id).password_hash
    db.session.close()  # give the connection back while the check waits its turn in the password pool
    if not check_password(stored, current_password):
        raise ServiceError("The current password is wrong.", field="current_password")
    _checked_password(new_password, "The new password", field="new_password")
    if new_password != repeat_password:
        raise ServiceError("The repeated password does not match the new one.", field="repeat_password")
    password_hash = hash_password(new_password)
    with writing() as session:
        admin = session.get(Admin, admin_id)
        _new_password_in(session, admin, password_hash, "admin.password_changed", admin_id)
        return admin_sessions.open_in(session, admin_id, address, user_agent)


def reset_password(target_id: int, *, admin_id: int) -> str:
    """Give another admin a generated password and end their sessions; return the password (show it once)."""
    if target_id == admin_id:
        raise ServiceError("Change your own password on My account.")
    get(target_id)
    password = generate_password()
    password_hash = hash_password(password)
    with writing() as session:
        _new_password_in(session, session.get(Admin, target_id), password_hash, "admin.password_reset", admin_id)
    return password


def _lock_for_change(session: Session, target_id: int) -> Admin:
    """Lock the active admins with the admin role, then the target, and return the target; raise NotFound.

    Locked in one order (by id) so two admins demoting each other at once on PostgreSQL queue rather than
    deadlock, and the second sees the first's change when it counts who is left.
    """
    session.scalars(_active_admins().order_by(Admin.id).with_for_update()).all()
    admin = (
        session.get(Admin, target_id, with_for_update=True, populate_existing=True) if is_record_id(target_id) else None
    )
    if admin is None:
        raise NotFound(f"Admin {target_id} does not exist.")
    return admin


def _active_admins():
    """Return a query of the ids of active admins with the admin role."""
    return sa.select(Admin.id).where(Admin.role == Role.ADMIN, Admin.disabled_at.is_(None))


def _keep_an_admin(session: Session, admin: Admin) -> None:
    """Raise ServiceError when `admin` is the last active admin with the admin role."""
    if admin.role != Role.ADMIN or admin.disabled_at is not None:
        return
    if not session.scalar(
        sa.select(sa.func.count()).select_from(_active_admins().where(Admin.id != admin.id).subquery())
    ):
        raise ServiceError(
            f"{admin.email} is the last active admin with the admin role; there must always be one. "
            "Give another admin that role first."
        )


def set_role(target_id: int, role: str, *, admin_id: int | None) -> Admin:
    """Change an admin's role; raise ServiceError for your own role, an unknown role or the last admin."""
    if target_id == admin_id:
        raise ServiceError("You cannot change your own role; ask another admin.")
    _checked_role(role)
    with writing() as session:
        admin = _lock_for_change(session, target_id)
        if admin.role != role:
            if role != Role.ADMIN:
                _keep_an_admin(session, admin)
            audit.record("admin.role_changed", "admin", admin.id, admin_id=admin_id, detail=f"{admin.role} -> {role}")
            admin.role = role
    return admin


def disable(target_id: int, *, admin_id: int | None) -> Admin:
    """Disable an admin and end all their sessions; raise ServiceError for yourself or the last admin."""
    if target_id == admin_id:
        raise ServiceError("You cannot disable your own account.")
    with writing() as session:
        admin = _lock_for_change(session, target_id)
        if admin.disabled_at is None:
            _keep_an_admin(session, admin)
            admin.disabled_at = utcnow()
            audit.record("admin.disabled", "admin", admin.id, admin_id=admin_id)
            admin_sessions.end_all_in(session, admin.id, "disabled", by=admin_id)
    return admin


def enable(target_id: int, *, admin_id: int | None) -> Admin:
    """Let a disabled admin sign in again; raise NotFound."""
    with writing() as session:
        admin = _lock_for_change(session, target_id)
        if admin.disabled_at is not None:
            admin.disabled_at = None
            audit.record("admin.enabled", "admin", admin.id, admin_id=admin_id)
    return admin


def ensure_first_admin() -> str | None:
    """Create admin@localhost with a random password when there is no admin; return that password."""
    if db.session.scalar(sa.select(Admin.id).limit(1)):
        return None
    password = secrets.token_urlsafe(12)
    create_admin(DEFAULT_EMAIL, password)
    return password


def authenticate(email: str, password: str, address: str) -> Admin:
    """Return the admin for these credentials; raise LoginThrottled, AccountDisabled or ServiceError."""
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
        _record_failure(email, admin, "")
        raise ServiceError("Wrong email or password.")
    if failures:
        login_throttle.clear(email, address)
    if admin.disabled_at is not None:
        _record_failure(email, admin, " (account disabled)")
        raise AccountDisabled("This account is disabled. Ask an admin to enable it.")
    return admin


def _record_failure(email: str, admin: Admin | None, why: str) -> None:
    """Audit a refused sign-in with the email as typed (never the password)."""
    typed = _CONTROL.sub("", email)[:200]
    with writing():
        audit.record("admin.sign_in_failed", "admin", admin.id if admin else None, detail=typed + why)


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
