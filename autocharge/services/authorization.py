"""One authorization decision for RFID tags, back-office starts and vehicle identifiers, for every OCPP version."""

from dataclasses import dataclass

import sqlalchemy as sa

from ..db import is_record_id, utcnow, writing
from ..hotpath import tokens
from ..models import UnknownIdentifier
from ..models.statuses import AuthStatus, IdentifierKind, Origin, RefusalReason, UserStatus
from . import identifiers, pairing
from .identifiers import Identifier

ACCEPTED, BLOCKED, INVALID = AuthStatus.ACCEPTED, AuthStatus.BLOCKED, AuthStatus.INVALID


@dataclass(frozen=True)
class AuthResult:
    """The answer to a token: status, and whom a transaction started with it belongs to."""

    status: AuthStatus
    user_id: int | None = None
    vehicle_id: int | None = None
    origin: Origin | None = None
    identifier: Identifier | None = None  # set when the token was a vehicle identifier
    remote_start_id: int | None = None

    @property
    def accepted(self) -> bool:
        """Tell whether charging may go ahead."""
        return self.status == ACCEPTED


def authorize(charger_id: int, token: str | None, token_type: str | None = None) -> AuthResult:
    """Decide on a token a charger presented (Authorize, StartTransaction, TransactionEvent).

    `token_type` is None for OCPP 1.6 idTags and the idToken type for 2.0.1. Refused vehicle
    identifiers and tags are recorded as unknown identifiers.
    """
    if token_type == "NoAuthorization":  # the charger is set to free vend; it did not ask us
        return AuthResult(ACCEPTED)
    ident = identifiers.from_token(token, token_type)
    if ident is not None:
        # Before the lookup: a pairing waiting on this charger makes the vehicle active now, so the
        # very request that completes it is answered Accepted and its transaction is Auto charge.
        pairing.on_identifier(charger_id, ident)
        result = _by_vehicle(ident)
    else:
        result = _by_remote_start(charger_id, token)
        if result is None:
            pairing.on_card_presented(charger_id, token, token_type)
            result = _by_rfid(token)
    if result.status == INVALID and token:
        _record_unknown(charger_id, token, ident, RefusalReason.RETIRED if result.vehicle_id else RefusalReason.UNKNOWN)
        return AuthResult(INVALID, identifier=ident)
    if result.accepted and result.vehicle_id is None and result.user_id is not None:
        result = _with_only_vehicle(result)
    return result


def _by_vehicle(ident: Identifier) -> AuthResult:
    """Authorize by the active vehicle carrying this identifier (a retired one never authenticates)."""
    vehicle = tokens.active_vehicle(ident.canonical)
    if vehicle is None:
        retired = tokens.any_vehicle_id(ident.canonical)
        return AuthResult(INVALID, vehicle_id=retired, identifier=ident)
    status = ACCEPTED if vehicle.status == UserStatus.ACTIVE else BLOCKED
    return AuthResult(status, vehicle.user_id, vehicle.id, Origin.AUTOCHARGE, ident)


def _by_remote_start(charger_id: int, token: str | None) -> AuthResult | None:
    """Authorize a one-time token the back office sent with a remote start to this charger."""
    if not token:
        return None
    remote = tokens.remote_start_by_token(token.strip().upper())
    if remote is None or remote.charger_id != charger_id or remote.expires_at < utcnow():
        return None
    status = ACCEPTED if remote.status == UserStatus.ACTIVE else BLOCKED
    return AuthResult(status, remote.user_id, origin=Origin.APP, remote_start_id=remote.id)


def remote_start_owner(charger_id: int, remote_start_id: int) -> AuthResult | None:
    """Return whom a transaction belongs to that a charger says it began for our remote start (2.0.1 remoteStartId).

    Not bound by the one-time token's lifetime: the charger names the start it was asked for, whenever the car came.
    """
    if not is_record_id(remote_start_id):
        return None
    remote = tokens.remote_start_by_id(remote_start_id)
    if remote is None or remote.charger_id != charger_id:
        return None
    status = ACCEPTED if remote.status == UserStatus.ACTIVE else BLOCKED
    result = AuthResult(status, remote.user_id, origin=Origin.APP, remote_start_id=remote.id)
    return _with_only_vehicle(result) if result.accepted else result


def _by_rfid(token: str | None) -> AuthResult:
    """Authorize an RFID tag by its user's status."""
    if not token:
        return AuthResult(INVALID)
    user = tokens.user_by_tag(token.strip().upper())
    if user is None:
        return AuthResult(INVALID)
    return AuthResult(ACCEPTED if user.status == UserStatus.ACTIVE else BLOCKED, user.id, origin=Origin.RFID)


def _with_only_vehicle(result: AuthResult) -> AuthResult:
    """Assign the user's vehicle when they have exactly one active vehicle."""
    ids = tokens.active_vehicle_ids(result.user_id)
    if len(ids) != 1:
        return result
    return AuthResult(result.status, result.user_id, ids[0], result.origin, result.identifier, result.remote_start_id)


def _record_unknown(charger_id: int, token: str, ident: Identifier | None, reason: RefusalReason) -> None:
    """Count a refused token under unknown identifiers (first/last seen, where, how often)."""
    kind, value = (
        (IdentifierKind.VEHICLE, ident.canonical) if ident else (IdentifierKind.RFID, token.strip().upper()[:64])
    )
    with writing() as session:
        row = session.scalar(
            sa.select(UnknownIdentifier).where(UnknownIdentifier.kind == kind, UnknownIdentifier.value == value)
        )
        if row is None:
            session.add(UnknownIdentifier(kind=kind, value=value, raw=token[:64], charger_id=charger_id, reason=reason))
        else:
            row.attempts += 1
            row.last_seen, row.raw, row.charger_id, row.reason = utcnow(), token[:64], charger_id, reason
