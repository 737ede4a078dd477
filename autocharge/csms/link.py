"""The OCPP side of services/link.py: reach a charger's socket in whichever process holds it, call it, read the answer.

A charger's socket lives in exactly one server process, and only that process can send to it (registry). With one
process (the embedded default) that is always this one; with several, a command for a charger another process
holds goes through the database (outbox.py), which wakes that process. Never called inside writing(): a call waits
for the charger.
"""

import logging
from dataclasses import dataclass

import gevent
import sqlalchemy as sa
from flask import current_app, has_app_context

from ..extensions import db
from ..models import Charger
from ..models.statuses import ChargerEventKind
from ..services import charger_events, chargers
from ..services.link import ChargerOffline, CommandFailed, CommandTimeout, Reply, Target
from . import commands_v16, commands_v201, outbox, registry, remote
from .charger_socket import Connection
from .errors import CallFailed, CallTimeout, ConnectionClosed

log = logging.getLogger("autocharge.commands")

DEFAULT_TIMEOUT = 15.0
VERSIONS = {"1.6": commands_v16, "2.0.1": commands_v201}


@dataclass(frozen=True)
class _Reached(Target):
    """A Target with the socket it was reached on in this process (None: another process holds it)."""

    conn: Connection | None = None


class OcppLink:
    """services.link.ChargerLink over this process's sockets and the database outbox."""

    def reach(self, charger_id: int) -> Target:
        """Return the charger if some process holds its socket; raise NotFound or ChargerOffline."""
        charger = chargers.get(charger_id)
        conn = registry.get(charger.charge_box_id)
        if conn is not None and not conn.closed:  # a closed one is on its way out: the charger moved
            return _Reached(charger.id, charger.charge_box_id, conn.version, conn)
        if charger.online and charger.connection_id and not registry.is_local(charger.connection_id):
            return _Reached(charger.id, charger.charge_box_id, charger.ocpp_version or "1.6")
        raise ChargerOffline(f"{charger.charge_box_id} is offline.")

    def call(self, target: Target, command: str, timeout: float | None = None, **args) -> Reply:
        """Build the command's call in the charger's OCPP version, send it and read the answer."""
        version = VERSIONS[target.version]
        action, payload = getattr(version, command)(**args)
        answer = self.send(target, action, payload, timeout)
        if "variables" in args:  # the answer's results are named as asked
            return version.reply(command, answer, args["variables"])
        return version.reply(command, answer)

    def send(self, target: Target, action: str, payload: dict, timeout: float | None = None) -> dict:
        """Call the charger on its socket (here or in its process); raise errors worded for people."""
        timeout = _timeout() if timeout is None else timeout
        box = target.charge_box_id
        conn = target.conn if isinstance(target, _Reached) else registry.get(box)
        try:
            if conn is not None:
                if has_app_context():
                    db.session.commit()  # end the read transaction: no pooled connection held while the charger thinks
                return conn.call(action, payload, timeout)
            return outbox.call(target.charger_id, box, action, payload, timeout)
        except CallTimeout:
            raise CommandTimeout(f"{box} did not answer {action} within {timeout:g} seconds.") from None
        except CallFailed as exc:
            log.warning("%s answered %s with CallError %s: %s", box, action, exc.code, exc.description or "-")
            said = refusal(box, action, exc.code, exc.description)
            _note_call_error(target, said)
            raise CommandFailed(said) from None
        except ConnectionClosed:
            raise ChargerOffline(f"{box} went offline before answering {action}.") from None

    def everywhere(self, command: str) -> int:
        """Send a command to every online charger without waiting (other processes' through the outbox)."""
        timeout = _timeout()
        conns = registry.connections()
        for conn in conns:
            gevent.spawn(_quietly, conn, *getattr(VERSIONS[conn.version], command)(), timeout)
        if not has_app_context():
            return len(conns)
        online = db.session.execute(
            sa.select(Charger.id, Charger.connection_id, Charger.ocpp_version).where(Charger.online)
        ).all()
        elsewhere = [row for row in online if row.connection_id and not registry.is_local(row.connection_id)]
        for version, module in VERSIONS.items():
            ids = [row.id for row in elsewhere if (row.ocpp_version or "1.6") == version]
            if ids:
                outbox.post_many(ids, *getattr(module, command)(), timeout)
        return len(conns) + len(elsewhere)

    def registration_changed(self, charge_box_id: str, registration: str) -> None:
        """Have the live socket, in whichever process, follow the new registration."""
        remote.registration_changed(charge_box_id, registration)

    def password_changed(self, charge_box_id: str) -> None:
        """Have the live socket, in whichever process, closed so the charger logs in again."""
        remote.password_changed(charge_box_id)

    def local_list_changed(self) -> None:
        """Wake every process's local list sync: who may charge changed, or a charger's list setting did."""
        remote.local_list_changed()


def refusal(box: str, action: str, code: str, description: str) -> str:
    """Word a charger's CallError for people: its code, and its description only when it gave one."""
    said = f" ({description.strip()})" if description and description.strip() else ""
    return f"{box} could not process {action}: {code}{said}."


def _note_call_error(target: Target, said: str) -> None:
    """Keep a charger's CallError (logged already) among its events; failing to keep it must not hide the error."""
    if not has_app_context():
        return
    try:
        charger_events.note(
            target.charger_id, target.charge_box_id, ChargerEventKind.CALL_ERROR, said, warning=True, logged=True
        )
    except sa.exc.SQLAlchemyError:
        log.exception("%s: could not record a CallError: %s", target.charge_box_id, said)


def _timeout() -> float:
    """Return how long a command waits for the charger."""
    return current_app.config["AUTOCHARGE_COMMAND_TIMEOUT"] if has_app_context() else DEFAULT_TIMEOUT


def _quietly(conn: Connection, action: str, payload: dict, timeout: float) -> None:
    """Send one call nobody waits for, logging instead of raising."""
    try:
        conn.call(action, payload, timeout)
    except (CallTimeout, CallFailed, ConnectionClosed, OSError) as exc:
        log.warning("%s: %s failed: %s", conn.charge_box_id, action, exc)
