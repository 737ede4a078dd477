"""Auto Charge identifiers (EV MAC addresses / EVCCIDs): recognising and normalising them."""

import re
from dataclasses import dataclass

PREFIX = "VID:"
_SEPARATORS = re.compile(r"[:\-\s.]")
_HEX = re.compile(r"[0-9A-F]+")
# OCPP 2.0.1 / 2.1 idToken types that carry a vehicle identifier.
VEHICLE_TOKEN_TYPES = {"MacAddress", "EVCCID"}


@dataclass(frozen=True)
class Identifier:
    """A vehicle identifier: canonical 12 upper-case hex, plus the raw string the charger sent."""

    canonical: str
    raw: str

    @property
    def display(self) -> str:
        """Return the identifier as people read it: AA:BB:CC:DD:EE:FF."""
        return display(self.canonical)

    @property
    def masked(self) -> str:
        """Return the identifier with its middle hidden, for the audit trail: AA:BB:••:••:••:FF."""
        return mask(self.canonical)

    @property
    def randomized(self) -> bool:
        """Tell whether this is a locally administered MAC, which the car may change between sessions."""
        return is_locally_administered(self.canonical)


def normalize(value: str | None) -> str | None:
    """Return the canonical 12-hex form of a vehicle identifier, or None if `value` is not one.

    Accepts an optional VID: prefix, any case, ':' '-' '.' or space separators, and DIN 70121
    16-hex EVCCIDs whose first four digits are zero padding.
    """
    if not value:
        return None
    text = value.strip().upper()
    if text.startswith(PREFIX):
        text = text[len(PREFIX) :]
    text = _SEPARATORS.sub("", text)
    if not _HEX.fullmatch(text):
        return None
    if len(text) == 16 and text.startswith("0000"):
        text = text[4:]
    return text if len(text) == 12 else None


def display(canonical: str | None) -> str:
    """Format a canonical identifier as AA:BB:CC:DD:EE:FF (empty for None)."""
    if not canonical:
        return ""
    return ":".join(canonical[i : i + 2] for i in range(0, 12, 2))


MASK = "••"


def mask(canonical: str | None) -> str:
    """Show only the first two octets and the last one of an identifier (personal data): AA:BB:••:••:••:FF."""
    octets = display(canonical).split(":")
    if len(octets) != 6:
        return MASK
    return ":".join(octets[:2] + [MASK] * 3 + octets[5:])


def mask_tag(tag: str | None) -> str:
    """Show an RFID tag or id token with its middle hidden (personal data): AB••••EF."""
    tag = tag or ""
    return tag[:2] + MASK * 2 + tag[-2:] if len(tag) > 6 else MASK


def is_locally_administered(canonical: str) -> bool:
    """Tell whether the MAC's locally-administered bit (second bit of the first octet) is set."""
    return bool(int(canonical[:2], 16) & 0x02)


def from_token(token: str | None, token_type: str | None = None) -> Identifier | None:
    """Return the vehicle identifier a charger's idTag/idToken carries, or None for RFID and other tokens.

    OCPP 1.6 (no token type): only idTags with the VID: prefix are vehicles, since RFID UIDs are
    hex too. OCPP 2.0.1: idToken types MacAddress and EVCCID, with or without the prefix.
    """
    if not token:
        return None
    if token_type is None:
        if not token.strip().upper().startswith(PREFIX):
            return None
    elif token_type not in VEHICLE_TOKEN_TYPES:
        return None
    canonical = normalize(token)
    return Identifier(canonical, token) if canonical else None


def looks_like_vehicle(token: str | None, token_type: str | None = None) -> bool:
    """Tell whether a token was meant as a vehicle identifier, even a malformed one."""
    if token_type is not None:
        return token_type in VEHICLE_TOKEN_TYPES
    return bool(token) and token.strip().upper().startswith(PREFIX)
