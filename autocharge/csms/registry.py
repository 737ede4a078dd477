"""The live charger sockets of this process, by charge box id.

Only the process that holds a charger's socket can talk to it. Every connection id this process writes to
Charger.connection_id starts with PROCESS_ID, so other processes can tell where a charger's socket lives and
route commands there through the database (csms/outbox.py).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .charger_socket import Connection

_connections: dict[str, Connection] = {}
PROCESS_ID = uuid.uuid4().hex[:12]


def new_connection_id() -> str:
    """Return a fresh 32-character socket id that names this process."""
    return PROCESS_ID + uuid.uuid4().hex[:20]


def is_local(connection_id: str | None) -> bool:
    """Tell whether a Charger.connection_id names a socket of this process."""
    return bool(connection_id) and connection_id.startswith(PROCESS_ID)


def register(conn: Connection) -> Connection | None:
    """Make `conn` the charger's live socket; return the socket it replaces, if any."""
    old = _connections.get(conn.charge_box_id)
    _connections[conn.charge_box_id] = conn
    return old if old is not conn else None


def unregister(conn: Connection) -> None:
    """Forget `conn`, unless a newer socket of the same charger already replaced it."""
    if _connections.get(conn.charge_box_id) is conn:
        del _connections[conn.charge_box_id]


def get(charge_box_id: str) -> Connection | None:
    """Return the charger's live socket in this process, or None."""
    return _connections.get(charge_box_id)


def count() -> int:
    """Return how many live sockets this process holds."""
    return len(_connections)


def connections() -> list[Connection]:
    """Return every live socket of this process."""
    return list(_connections.values())
