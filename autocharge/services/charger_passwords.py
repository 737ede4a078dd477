"""Charger passwords (OCPP security profile 1): scrypt hashes, the legacy SHA-256 ones, and a cache of recent checks.

Cost of one derivation: scrypt with N=2**14, r=8, p=1 uses 16 MiB and takes ~40 ms on one core of the 2-core
machine the README's figures come from (bench/charger_passwords.py prints it). That is Percival's "interactive"
setting: below OWASP's N=2**17 for people's passwords, on purpose. A charger password is 16-40 printable characters
(OCPP 2.0.1's BasicAuthPassword) and the generated ones carry 144 random bits, so the KDF only has to make a leaked
database expensive to guess for a weak hand-set one; and every handshake pays for it, so a reconnect storm of 1,000
chargers after a restart costs ~20 s of two threads, where N=2**17 (~330 ms, 128 MiB) would take minutes.
The parameters are stored in each hash, so raising them later leaves existing hashes readable.
"""

import base64
import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import current_app

from . import passwords

N, R, P = 2**14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAX_MEMORY = 64 * 1024 * 1024  # OpenSSL's limit for one derivation: room for N up to 2**15 at r=8
CACHE_SIZE = 100_000  # chargers remembered; ~250 bytes each


def hash_charger_password(password: str, n: int = N, r: int = R, p: int = P) -> str:
    """Return `scrypt$n$r$p$salt$key` of a charger password (derived in the chargers' thread pool)."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = passwords.run_charger_check(_derive, password, salt, n, r, p)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def check_charger_password(stored: str, password: str) -> bool:
    """Tell whether `password` matches a stored scrypt (or legacy salted SHA-256) hash; derive off the hub."""
    kind, _, rest = (stored or "").partition("$")
    if kind == "sha256":
        return _check_sha256(rest, password)
    if kind != "scrypt":
        return False
    try:
        n, r, p, salt, key = rest.split("$")
        n, r, p, salt, key = int(n), int(r), int(p), _unb64(salt), _unb64(key)
    except ValueError:
        return False
    try:
        derived = passwords.run_charger_check(_derive, password, salt, n, r, p)
    except ValueError:  # parameters OpenSSL refuses (a hand-edited row): no match, not a 500
        return False
    return hmac.compare_digest(derived, key)


def needs_upgrade(stored: str) -> bool:
    """Tell whether a stored hash predates the current KDF and parameters (rehash it after a good check)."""
    return not stored.startswith(f"scrypt${N}${R}${P}$")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    """Return scrypt's key for `password`; the slow part, run in a thread."""
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=MAX_MEMORY, dklen=KEY_BYTES)


def _check_sha256(rest: str, password: str) -> bool:
    """Tell whether `password` matches `salt$hexdigest`, the salted SHA-256 stored before the KDF."""
    salt, _, digest = rest.partition("$")
    return bool(digest) and hmac.compare_digest(digest, hashlib.sha256((salt + password).encode()).hexdigest())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


# Recently verified credentials, so a charger reconnecting after a network blip is admitted without another
# derivation. Safe because: an entry is written only after a full check succeeded; it is an HMAC, under a key that
# lives only in this process's memory, of the stored hash and the presented password together, so it holds nothing
# a database dump or a log could test guesses against, a wrong password never matches it (it pays the full KDF and
# the back-off as before), and any password change anywhere gives a new stored hash (a new salt) that no entry
# matches, even one written by another process. Removing a password needs no check at all.
@dataclass
class VerifiedCache:
    """Charge box id -> HMAC of (stored hash, password) last verified for it; bounded, oldest dropped first."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    entries: OrderedDict = field(default_factory=OrderedDict)

    def _mac(self, box: str, stored: str, password: str) -> bytes:
        message = "\0".join((box, stored, password)).encode()
        return hmac.digest(self.key, message, "sha256")

    def hit(self, box: str, stored: str, password: str) -> bool:
        """Tell whether this exact password was verified against this exact stored hash before."""
        known = self.entries.get(box)
        return known is not None and hmac.compare_digest(known, self._mac(box, stored, password))

    def remember(self, box: str, stored: str, password: str) -> None:
        """Record a successful full check."""
        self.entries[box] = self._mac(box, stored, password)
        self.entries.move_to_end(box)
        while len(self.entries) > CACHE_SIZE:
            self.entries.popitem(last=False)

    def forget(self, box: str) -> None:
        """Drop a charger's entry (its password changed here)."""
        self.entries.pop(box, None)


def verified_cache() -> VerifiedCache:
    """Return the current app's cache of verified charger credentials."""
    return current_app.extensions.setdefault("autocharge.charger_passwords", VerifiedCache())
