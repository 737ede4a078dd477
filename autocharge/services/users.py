"""Drivers and their RFID tags."""

import sqlalchemy as sa

from ..db import writing, writing_or
from ..extensions import db
from ..models import RfidTag, User
from ..models.statuses import UserStatus
from ..models.user import USER_STATUSES
from . import NotFound, ServiceError, audit, local_auth
from .identifiers import mask_tag

MAX_TAG = 36  # 2.0.1 idToken length; 1.6 idTags are at most 20


def get(user_id: int) -> User:
    """Return a user; raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist.")
    return user


def _clean(name: str, email: str) -> tuple[str, str]:
    """Return a stripped name and lower-case email; raise ServiceError if either is unusable."""
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name or len(name) > 120:
        raise ServiceError("A name is required (at most 120 characters).", field="name")
    if not name.isprintable():
        raise ServiceError("A name cannot contain control characters (line breaks, tabs, NUL).", field="name")
    if "@" not in email or len(email) > 254 or " " in email or not email.isprintable():
        raise ServiceError("A valid email address is required.", field="email")
    return name, email


def _email_taken(email: str, except_id: int | None = None) -> bool:
    """Tell whether another user has this email."""
    query = sa.select(User.id).where(User.email == email)
    if except_id is not None:
        query = query.where(User.id != except_id)
    return db.session.scalar(query) is not None


def add_user(name: str, email: str, admin_id: int | None = None) -> User:
    """Create an active user; raise ServiceError for a bad or taken email."""
    name, email = _clean(name, email)
    taken = ServiceError(f"A user with email {email} already exists.", field="email")
    with writing_or(taken) as session:
        if _email_taken(email):
            raise taken
        user = User(name=name, email=email, status=UserStatus.ACTIVE)
        session.add(user)
        session.flush()
        audit.record("user.created", "user", user.id, admin_id=admin_id)
    return user


def update_user(user_id: int, name: str, email: str, admin_id: int | None = None) -> User:
    """Change a user's name and email; raise ServiceError or NotFound."""
    name, email = _clean(name, email)
    taken = ServiceError(f"A user with email {email} already exists.", field="email")
    with writing_or(taken):
        user = get(user_id)
        if _email_taken(email, except_id=user_id):
            raise taken
        user.name, user.email = name, email
        audit.record("user.updated", "user", user.id, admin_id=admin_id)
    return user


def set_status(user_id: int, status: str, admin_id: int | None = None) -> User:
    """Block or unblock a user."""
    if status not in USER_STATUSES:
        raise ServiceError(f"Status must be one of {', '.join(USER_STATUSES)}.", field="status")
    with writing():
        user = get(user_id)
        changed = user.status != status
        user.status = status
        audit.record(f"user.{status}", "user", user.id, admin_id=admin_id)
        if changed:  # their tokens become Blocked (or Accepted again) in the chargers' local lists
            local_auth.user_changed_locked(user)
    return user


def normalize_tag(tag: str) -> str:
    """Return the stored form of an RFID idTag; raise ServiceError if it cannot be one."""
    value = (tag or "").strip().upper()
    if not value or len(value) > MAX_TAG or not value.isprintable() or " " in value:
        raise ServiceError(f"An RFID tag is 1-{MAX_TAG} printable characters without spaces.", field="tag")
    if value.startswith("VID:"):
        raise ServiceError("VID: identifiers belong to vehicles, not RFID tags.", field="tag")
    return value


def add_tag(user_id: int, tag: str, admin_id: int | None = None) -> RfidTag:
    """Give a user an RFID tag; raise ServiceError if another user has it."""
    value = normalize_tag(tag)
    with writing_or(ServiceError(f"Tag {value} was just given to another user; reload to see whom.", field="tag")):
        return give_tag(user_id, value, admin_id)


def give_tag(user_id: int, value: str, admin_id: int | None = None, shown: str = "", source: str = "") -> RfidTag:
    """Add a normalized tag to a user inside a write; raise NotFound, or ServiceError naming its owner.

    `shown` is how the tag appears in that message (masked where the admin only saw it masked); `source` says in the
    audit trail where the tag came from.
    """
    user = get(user_id)
    owner = db.session.scalar(sa.select(RfidTag).where(RfidTag.tag == value))
    if owner is not None:
        raise ServiceError(f"Tag {shown or value} already belongs to {owner.user.name}.", field="tag")
    rfid = RfidTag(user_id=user.id, tag=value)
    db.session.add(rfid)
    db.session.flush()  # a lost race shows here, inside the caller's write
    local_auth.changed_locked("rfid", value, local_auth.list_status(user.status))
    audit.record("user.tag_added", "user", user.id, admin_id=admin_id, detail=f"tag {mask_tag(value)}{source}")
    return rfid


def remove_tag(user_id: int, tag_id: int, admin_id: int | None = None) -> None:
    """Remove one of a user's RFID tags; raise NotFound."""
    with writing() as session:
        rfid = session.get(RfidTag, tag_id)
        if rfid is None or rfid.user_id != user_id:
            raise NotFound("That tag does not exist.")
        session.delete(rfid)
        local_auth.changed_locked("rfid", rfid.tag, None)
        audit.record("user.tag_removed", "user", user_id, admin_id=admin_id, detail=f"tag {mask_tag(rfid.tag)}")
