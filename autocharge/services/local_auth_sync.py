"""Sending a charger its local authorization list: limits, version check, full list or the changes it lacks.

Runs in the process that holds the charger's socket (csms/local_lists.py decides when: at connect, after a boot,
when something changed, and again after a failure). Never inside writing(): every call waits for the charger.

The charger's version is asked first. When it differs from the version we last left it with (it lost its list,
was reset, or another back office wrote to it), or a full list is due, the whole list goes out: the first message
Full, the rest Differential, each with the next version number, so a charger interrupted halfway reports a version
we never finished and gets the full list again. Otherwise the changes after the last one it has go out in order,
at most as many per message as the charger takes.
"""

import logging
from dataclasses import dataclass, replace

from flask import current_app

from ..db import utcnow
from . import NotFound, ServiceError, device_model, link, local_auth
from .link import ChargerOffline, CommandFailed, Target

log = logging.getLogger("autocharge.local_list")

# A 2.0.1 SendLocalList entry is at most ~110 bytes of JSON (a 36-character idToken, its type and status), the
# rest of the message ~120: how a station's LocalAuthListCtrlr.BytesPerMessage turns into entries per message.
ENTRY_BYTES, ENVELOPE_BYTES = 110, 120


class Refused(ServiceError):
    """The charger answered a local list update with something other than Accepted."""


@dataclass(frozen=True)
class Plan:
    """What a sync starts from (copied, so waiting on the charger holds no database rows)."""

    charger_id: int
    enabled: bool
    needs_full: bool
    version: int
    synced_change_id: int
    max_entries: int | None
    per_message: int | None
    last_ok: bool | None = None


def sync(charger_id: int, check: bool = False) -> str | None:
    """Bring a charger's local list up to date if it keeps one and is online; return what happened, in words.

    `check` reads the charger's limits and switch again (at connect and after a boot).
    """
    row = local_auth.state(charger_id)
    if row is None or not (row.enabled or row.needs_full):
        return None
    plan = Plan(
        charger_id,
        row.enabled,
        row.needs_full,
        row.version,
        row.synced_change_id or 0,
        row.max_entries,
        row.per_message,
        row.last_ok,
    )
    ocpp = link.current()
    try:
        target = ocpp.reach(charger_id)
    except (ChargerOffline, NotFound):
        return None  # tried again when it connects
    retry = float(current_app.config["AUTOCHARGE_LOCAL_LIST_RETRY_SECONDS"])
    try:
        if plan.enabled and (check or row.limits_at is None):
            plan = _prepare(ocpp, target, plan)
        reported = _reported_version(ocpp, target)
        if reported is None:
            return _unsupported(target, plan, retry)
        local_auth.record(charger_id, reported_version=reported)
        if plan.needs_full or reported != plan.version:
            return _full(ocpp, target, plan, reported)
        return _differential(ocpp, target, plan)
    except ServiceError as exc:  # offline meanwhile, no answer, a CallError or a refusal: try again later
        log.warning("%s: local list not updated: %s", target.charge_box_id, exc)
        local_auth.record_failure(charger_id, str(exc), retry)
        return str(exc)


def _prepare(ocpp: link.ChargerLink, target: Target, plan: Plan) -> Plan:
    """Read the charger's local list limits, and turn its list on if it is off; return the plan with the limits."""
    values = ocpp.call(target, "local_list_limits").values
    if str(values.get("enabled") or "").strip().lower() == "false":
        reply = ocpp.call(target, "enable_local_list")
        if reply.status != "Accepted":
            raise Refused(f"{target.charge_box_id} did not turn its local list on ({reply.status}).")
    if target.version == "2.0.1":  # what the station did not say now, its device model may have said
        values = device_model.local_list_limits(plan.charger_id, values)
    per_message = _positive(values.get("per_message"))
    bytes_per_message = _positive(values.get("bytes_per_message"))
    if bytes_per_message:  # entries that fit the station's message size, the envelope left aside
        fit = max(1, (bytes_per_message - ENVELOPE_BYTES) // ENTRY_BYTES)
        per_message = min(per_message, fit) if per_message else fit
    limits = {"max_entries": _positive(values.get("max_entries")), "per_message": per_message}
    local_auth.record(plan.charger_id, limits_at=utcnow(), **limits)
    return replace(plan, **limits)


def _reported_version(ocpp: link.ChargerLink, target: Target) -> int | None:
    """Return the charger's list version; None when it has no local list support (-1, or a CallError)."""
    try:
        version = ocpp.call(target, "get_local_list_version").values.get("version")
    except CommandFailed:
        return None
    return version if isinstance(version, int) and version >= 0 else None


def _unsupported(target: Target, plan: Plan, retry: float) -> str:
    """Note that the charger keeps no local list (asked again in an hour); nothing is left to empty on it."""
    result = f"{target.charge_box_id} does not support local authorization lists."
    if not plan.enabled:
        local_auth.record(plan.charger_id, needs_full=False, last_sync_at=utcnow(), last_ok=True, last_result=result)
        return result
    log.warning("%s", result)
    local_auth.record_failure(plan.charger_id, result, retry, give_up=True)
    return result


def _send(ocpp: link.ChargerLink, target: Target, version: int, full: bool, entries: list, what: str) -> None:
    """Send one SendLocalList; raise Refused unless the charger accepted it."""
    reply = ocpp.call(target, "send_local_list", version=version, full=full, entries=entries)
    if reply.status != "Accepted":
        raise Refused(f"{target.charge_box_id} refused {what} ({reply.status}).")


def _full(ocpp: link.ChargerLink, target: Target, plan: Plan, reported: int) -> str:
    """Send the whole list (an empty one when the list was turned off), then any change made meanwhile."""
    snapshot = local_auth.last_change_id()  # before the list is read: a change in between is sent again, harmlessly
    listed, total = local_auth.entries(target.version, plan.max_entries) if plan.enabled else ([], 0)
    per = plan.per_message or local_auth.DEFAULT_PER_MESSAGE
    chunks = [listed[i : i + per] for i in range(0, len(listed), per)] or [[]]
    base = max(plan.version, reported) + 1
    for n, chunk in enumerate(chunks):
        _send(ocpp, target, base + n, n == 0, chunk, f"the full list (message {n + 1} of {len(chunks)})")
    version = base + len(chunks) - 1
    if plan.enabled:
        result = f"Full list sent: {len(listed)} entries in {len(chunks)} message{'s' if len(chunks) > 1 else ''}."
        if total > len(listed):
            result += f" {total - len(listed)} did not fit: the charger holds at most {plan.max_entries}."
    else:
        result = "List emptied: local authorization is off for this charger."
    _done(plan.charger_id, result, version=version, synced_change_id=snapshot, needs_full=False, entries=len(listed))
    log.info("%s: %s", target.charge_box_id, result)
    if not plan.enabled:
        return result
    return _differential(
        ocpp, target, replace(plan, needs_full=False, version=version, synced_change_id=snapshot, last_ok=True)
    )


def _differential(ocpp: link.ChargerLink, target: Target, plan: Plan) -> str:
    """Send the changes the charger lacks, in order, a message at a time; a VersionMismatch sends the full list."""
    per = plan.per_message or local_auth.DEFAULT_PER_MESSAGE
    version, synced, sent = plan.version, plan.synced_change_id, 0
    while True:
        entries, last = local_auth.changes_after(synced, per, target.version)
        if last == synced:
            break
        if entries:
            reply = ocpp.call(target, "send_local_list", version=version + 1, full=False, entries=entries)
            if reply.status == "VersionMismatch":
                local_auth.record(plan.charger_id, needs_full=True)
                return _full(ocpp, target, replace(plan, needs_full=True, version=version), version + 1)
            if reply.status != "Accepted":
                raise Refused(f"{target.charge_box_id} refused an update of its local list ({reply.status}).")
            version, sent = version + 1, sent + len(entries)
        synced = last
        _done(plan.charger_id, None, version=version, synced_change_id=synced, entries=_held(target, plan))
    if sent:
        result = f"Sent {sent} change{'s' if sent > 1 else ''}; list version {version}."
        log.info("%s: %s", target.charge_box_id, result)
    elif plan.last_ok:  # nothing new: the last result (e.g. what did not fit) stays on the page
        local_auth.record(plan.charger_id, last_sync_at=utcnow())
        return "Up to date."
    else:
        result = f"Up to date (list version {version})."
    _done(plan.charger_id, result, version=version, synced_change_id=synced)
    return result


def _held(target: Target, plan: Plan) -> int:
    """Return how many entries the charger's list holds now that it has every change."""
    total = local_auth.count_entries(target.version)
    return min(total, plan.max_entries) if plan.max_entries else total


def _done(charger_id: int, result: str | None, **values) -> None:
    """Store a step that went well (and the result in words, once the sync is over)."""
    values.update(reported_version=values["version"], failures=0, next_try_at=None)
    if result is not None:
        values.update(last_sync_at=utcnow(), last_ok=True, last_result=result)
    local_auth.record(charger_id, **values)


def _positive(value) -> int | None:
    """Return a limit the charger reported as a positive number, else None (not reported, or not a number)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
