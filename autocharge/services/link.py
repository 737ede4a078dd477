"""The one door from the rules to the chargers: what services may ask of the OCPP side, which plugs itself in here.

Services never import the OCPP side (a lint contract says so): they name a command and its arguments in words
that mean the same in every OCPP version ("reset", kind="Hard"), and the OCPP side (csms/link.py) finds the
charger's socket in whichever process holds it, builds the version's call and reads the answer back.
"""

from dataclasses import dataclass, field
from typing import Protocol

from . import ServiceError


class ChargerOffline(ServiceError):
    """The charger has no live socket in any process."""


class CommandTimeout(ServiceError):
    """The charger did not answer in time."""


class CommandFailed(ServiceError):
    """The charger answered with a CallError."""


@dataclass(frozen=True)
class Target:
    """A charger a command can reach now, and the OCPP version it speaks."""

    charger_id: int
    charge_box_id: str
    version: str


@dataclass
class Reply:
    """A charger's answer in version-neutral words: Accepted/Rejected/..., the raw payload, values read."""

    status: str
    payload: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)  # configuration read: key -> value
    unknown: list = field(default_factory=list)  # configuration keys the charger does not know
    results: list = field(default_factory=list)  # 2.0.1 Get/SetVariables: one VariableResult per variable asked


@dataclass(frozen=True)
class VariableResult:
    """A station's answer about one variable: its name as asked, the attribute status, the value read, why not."""

    name: str
    status: str
    value: str | None = None
    info: str | None = None


class ChargerLink(Protocol):
    """What the OCPP side offers the services."""

    def reach(self, charger_id: int) -> Target:
        """Return the charger if some process holds its socket; raise NotFound or ChargerOffline."""

    def call(self, target: Target, command: str, timeout: float | None = None, **args) -> Reply:
        """Send a command and return the answer; raise ServiceError, ChargerOffline, CommandTimeout, CommandFailed."""

    def send(self, target: Target, action: str, payload: dict, timeout: float | None = None) -> dict:
        """Send a raw OCPP call of the target's version and return the answer's payload."""

    def everywhere(self, command: str) -> int:
        """Send a command to every online charger without waiting for answers; return how many."""

    def registration_changed(self, charge_box_id: str, registration: str) -> None:
        """Have the live socket follow a new registration (inside the change's write transaction)."""

    def password_changed(self, charge_box_id: str) -> None:
        """Have the live socket closed, so the charger logs in with its new password (inside the write)."""

    def local_list_changed(self) -> None:
        """Wake the processes that send chargers their local lists (inside the change's write transaction)."""


_link: list[ChargerLink] = []


def use(link: ChargerLink) -> None:
    """Plug in the OCPP side (the app factory does this)."""
    _link[:] = [link]


def current() -> ChargerLink:
    """Return the OCPP side plugged in."""
    if not _link:
        raise RuntimeError("No charger link: create the app with autocharge.create_app() first.")
    return _link[0]
