"""Chargers as the admin manages them: registration, passwords, Auto Charge support, admission."""

import logging
import math
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from ..db import utcnow, writing, writing_or
from ..extensions import db
from ..models import Charger
from ..models.charger import AUTOCHARGE_SUPPORT, REGISTRATIONS
from ..models.statuses import Actor, AutochargeSupport, ChargerEventKind, Registration
from . import NotFound, ServiceError, audit, charger_events, link
from .backoff import Backoff, Rate
from .charger_passwords import check_charger_password, hash_charger_password, needs_upgrade, verified_cache

# OCPP 2.0.1 BasicAuthPassword is 16-40 characters (1.6's security white paper: 16-20 bytes+).
PASSWORD_MIN, PASSWORD_MAX = 16, 40
MAX_ID = 48

log = logging.getLogger("autocharge.chargers")


@dataclass(frozen=True)
class Admission:
    """Whether a connecting charger may upgrade to a WebSocket, and if not, the HTTP answer."""

    allowed: bool
    status: int = 101
    reason: str = ""
    charger_id: int | None = None
    retry_after: int | None = None  # seconds, for a 429 or 503


@dataclass
class _Guards:
    """This app's memory of wrong charger passwords and of pending chargers created."""

    by_address: Backoff = field(default_factory=Backoff)
    by_box: Backoff = field(default_factory=Backoff)
    good_address: dict[str, str] = field(default_factory=dict)  # charge box id -> address it last logged in from
    pending: Rate = field(default_factory=Rate)


def get(charger_id: int) -> Charger:
    """Return a charger; raise NotFound."""
    charger = db.session.get(Charger, charger_id)
    if charger is None:
        raise NotFound(f"Charger {charger_id} does not exist.")
    return charger


def by_box_id(charge_box_id: str) -> Charger | None:
    """Return the charger with this charge box id, if any."""
    return db.session.scalar(sa.select(Charger).where(Charger.charge_box_id == charge_box_id))


def validate_box_id(charge_box_id: str) -> str:
    """Return a stripped charge box id; raise ServiceError if it cannot be one."""
    value = (charge_box_id or "").strip()
    if not value or len(value) > MAX_ID or any(c in value for c in "/?#% ") or not value.isprintable():
        raise ServiceError(
            "A charge box id is 1-48 printable characters without spaces, '/', '?', '#' or '%'.", field="charge_box_id"
        )
    return value


def validate_password(password: str) -> str:
    """Return `password` if it can be an OCPP basic-auth password; raise ServiceError."""
    if not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX) or not password.isprintable():
        raise ServiceError(
            f"A charger password has {PASSWORD_MIN}-{PASSWORD_MAX} printable characters.", field="password"
        )
    return password


def add_charger(
    charge_box_id: str,
    password: str | None = None,
    autocharge: str = AutochargeSupport.UNKNOWN,
    registration: str = Registration.ACCEPTED,
    admin_id: int | None = None,
) -> Charger:
    """Register a charger; raise ServiceError for a bad or taken id or a bad password."""
    charge_box_id = validate_box_id(charge_box_id)
    _check_choice(autocharge, AUTOCHARGE_SUPPORT, "Auto Charge support", "autocharge")
    # Derived before the write lock, which must never wait on a KDF.
    hashed = hash_charger_password(validate_password(password)) if password else None
    taken = ServiceError(f"A charger with id {charge_box_id} already exists.", field="charge_box_id")
    with writing_or(taken) as session:  # also when the same unknown id connects twice at once
        if by_box_id(charge_box_id):
            raise taken
        charger = Charger(
            charge_box_id=charge_box_id,
            autocharge=autocharge,
            registration=registration,
            password_hash=hashed,
        )
        session.add(charger)
        session.flush()
        charger_events.adopt(charger)
        detail = f"{charge_box_id}, {registration}" + (", with a password" if password else "")
        actor = (
            Actor.CHARGER if registration == Registration.PENDING else Actor.SYSTEM
        )  # only a connecting charger registers as pending
        audit.record("charger.added", "charger", charger.id, admin_id=admin_id, detail=detail, actor=actor)
    return charger


def set_registration(charger_id: int, registration: str, admin_id: int | None = None) -> Charger:
    """Accept, reject or return a charger to pending."""
    _check_choice(registration, REGISTRATIONS, "registration", "registration")
    with writing():
        charger = get(charger_id)
        detail = f"{charger.charge_box_id}, was {charger.registration}"
        charger.registration = registration
        audit.record(f"charger.{registration}", "charger", charger.id, admin_id=admin_id, detail=detail)
        # The live socket, in whichever process, follows now, not only at the charger's next boot.
        link.current().registration_changed(charger.charge_box_id, registration)
    return charger


def set_autocharge(charger_id: int, support: str, admin_id: int | None = None) -> Charger:
    """Set whether a charger supports Auto Charge (supported / unsupported / unknown)."""
    _check_choice(support, AUTOCHARGE_SUPPORT, "Auto Charge support", "autocharge")
    with writing():
        charger = get(charger_id)
        charger.autocharge = support
        detail = f"{charger.charge_box_id}: {support}"
        audit.record("charger.autocharge", "charger", charger.id, admin_id=admin_id, detail=detail)
    return charger


def set_password(charger_id: int, password: str | None, admin_id: int | None = None) -> str | None:
    """Set a charger's OCPP password (None removes it; "" generates one); return the new password."""
    if password == "":
        password = secrets.token_urlsafe(18)[:24]

    hashed = hash_charger_password(validate_password(password)) if password else None
    with writing():
        charger = get(charger_id)
        charger.password_hash = hashed
        action = "charger.password_set" if password else "charger.password_removed"
        audit.record(action, "charger", charger.id, admin_id=admin_id, detail=charger.charge_box_id)
        if password:  # a socket opened with the old password (or none) must log in again
            link.current().password_changed(charger.charge_box_id)
    return password


def admit(charge_box_id: str, authorization, address: str = "") -> Admission:
    """Decide whether a connecting charger may open its socket (Basic auth, unknown ids, throttles)."""
    config, guards = current_app.config, _guards()
    try:
        validate_box_id(charge_box_id)  # no stored id fails this, and PostgreSQL refuses a NUL in a parameter
    except ServiceError as exc:
        return Admission(False, 400, str(exc))
    charger = by_box_id(charge_box_id)
    if charger is None:
        if not config["AUTOCHARGE_ACCEPT_UNKNOWN_CHARGERS"]:
            charger_events.note_unknown(charge_box_id, address)
            return Admission(False, 404, f"Unknown charger {charge_box_id}.")
        return _register_pending(charge_box_id, config, guards)
    if not charger.password_hash:
        return Admission(True, charger_id=charger.id)
    # The box's own known address is not held back by others' guesses at its password: no lockout for good.
    boxes = guards.by_box if guards.good_address.get(charge_box_id) != address else None
    wait = max(guards.by_address.wait(address), boxes.wait(charge_box_id) if boxes else 0.0)
    if wait:
        return _slow_down(wait)
    charger_id, stored = charger.id, charger.password_hash
    # End the read first: a handshake waiting its turn for the KDF during a reconnect storm must not hold one of
    # the pool's connections (the web pages and the other chargers' frames need them).
    db.session.rollback()
    password = _basic_password(charge_box_id, authorization)
    if password is None or not _password_ok(charger_id, charge_box_id, stored, password):
        longest = config["AUTOCHARGE_CHARGER_AUTH_DELAY_MAX"]
        guards.by_address.fail(address, longest)
        guards.by_box.fail(charge_box_id, longest)
        _note_refused(charger_id, charge_box_id, address, _why_refused(charge_box_id, authorization, password))
        return Admission(False, 401, "Authentication required.")
    guards.by_address.clear(address)
    guards.by_box.clear(charge_box_id)
    guards.good_address[charge_box_id] = address
    return Admission(True, charger_id=charger_id)


def _why_refused(charge_box_id: str, authorization, password: str | None) -> str:
    """Say why a charger's credentials were refused: none sent, another user name, or a wrong password."""
    if password is not None:
        return "wrong password"
    if authorization is None or authorization.type != "basic":
        return "no password sent (no HTTP Basic credentials)"
    return f"HTTP Basic user {str(authorization.username)[:48]!r} is not the charge box id"


def _note_refused(charger_id: int, charge_box_id: str, address: str, why: str) -> None:
    """Log a refused login and keep it for the charger's page: a misconfigured charger otherwise leaves no trace."""
    summary = f"Connect refused from {address or 'an unknown address'}: {why}."
    with writing() as session:
        charger_events.record(charger_id, charge_box_id, ChargerEventKind.REFUSED, summary, warning=True)
        values = {"login_refused_at": utcnow(), "login_refused_from": address[:64] or None}
        session.execute(sa.update(Charger).where(Charger.id == charger_id).values(**values))


def _guards() -> _Guards:
    """Return the current app's admission guards."""
    return current_app.extensions.setdefault("autocharge.admission", _Guards())


def _slow_down(wait: float) -> Admission:
    """Refuse a try made before its wait after earlier wrong passwords is over."""
    seconds = math.ceil(wait)
    return Admission(False, 429, f"Too many wrong passwords: try again in {seconds} s.", retry_after=seconds)


def _register_pending(charge_box_id: str, config, guards: _Guards) -> Admission:
    """Register an unknown charger as pending, within the cap and the creation rate; or refuse it."""
    cap = config["AUTOCHARGE_MAX_PENDING_CHARGERS"]
    pending = db.session.scalar(sa.select(sa.func.count()).where(Charger.registration == Registration.PENDING))
    if pending >= cap:
        return Admission(False, 503, f"{cap} chargers already wait for an admin to accept them.", retry_after=300)
    wait = guards.pending.wait(config["AUTOCHARGE_PENDING_PER_MINUTE"])
    if wait:
        return Admission(False, 503, "Too many new chargers at once: try again later.", retry_after=math.ceil(wait))
    try:
        charger = add_charger(charge_box_id, registration=Registration.PENDING)
        guards.pending.record()
    except ServiceError as exc:  # a bad id, or a simultaneous first connect registered it
        charger = by_box_id(charge_box_id)
        if charger is None:
            return Admission(False, 400, str(exc))
    return Admission(True, charger_id=charger.id)


def _basic_password(charge_box_id: str, authorization) -> str | None:
    """Return the password of HTTP Basic credentials that name this charger, else None."""
    if authorization is None or authorization.type != "basic" or authorization.username != charge_box_id:
        return None
    return authorization.password or ""


def _password_ok(charger_id: int, charge_box_id: str, stored: str, password: str) -> bool:
    """Check a charger's password once per connection: from the cache, else by the KDF off the hub."""
    cache = verified_cache()
    if cache.hit(charge_box_id, stored, password):
        return True
    if not check_charger_password(stored, password):
        return False
    if needs_upgrade(stored):
        stored = _rehash(charger_id, stored, password)
    cache.remember(charge_box_id, stored, password)
    return True


def _rehash(charger_id: int, old: str, password: str) -> str:
    """Store a current KDF hash in place of `old` (unless the password changed meanwhile); return what is stored."""
    new = hash_charger_password(password)  # before the write lock: no derivation inside it
    with writing() as session:
        changed = session.execute(
            sa.update(Charger).where(Charger.id == charger_id, Charger.password_hash == old).values(password_hash=new)
        ).rowcount
    return new if changed else old


def _check_choice(value: str, allowed: tuple[str, ...], what: str, field: str) -> None:
    """Raise ServiceError (about `field`) unless `value` is one of `allowed`."""
    if value not in allowed:
        raise ServiceError(f"{what} must be one of {', '.join(allowed)}.", field=field)
