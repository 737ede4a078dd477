"""CSV exports of the Users and Transactions tables, streamed: constant memory whatever the row count.

Exports leave the back office, so they never carry a vehicle identifier, an RFID tag or an id token;
the users export never carries vehicles either (the seed article: "excluded from exports for security").
"""

import csv
import io
import time
from collections.abc import Iterable, Iterator
from datetime import datetime

from ..models.statuses import Actor
from ..models.transaction import ORIGINS
from . import audit, audit_query, transactions_query, users_query
from .audit_query import AuditFilter
from .transactions_query import TransactionFilter
from .users_query import UserFilter

# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...), +cmd|...): text typed by
# users or chargers (names, emails, charge box ids, plates) is exported with a leading ' so it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text(value: str | None) -> str:
    """Return a text cell as a spreadsheet will show it, never as a formula ("" for None)."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_chunks(header: Iterable[str], batches: Iterable[list], convert) -> Iterator[str]:
    """Yield the header line, then one CSV chunk per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield buffer.getvalue()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(map(convert, batch))
        yield buffer.getvalue()
        # A long export must not hold the one gevent loop: let chargers' messages run between batches
        # (time.sleep is gevent's when the server monkey-patched it; a plain yield of the thread otherwise).
        time.sleep(0)


def _when(value) -> str:
    """Return a UTC time as "YYYY-MM-DD HH:MM:SS" from a datetime or the text SQLite stores, "" for none."""
    if not value:
        return ""
    if isinstance(value, str):
        return value[:19]
    return value.isoformat(sep=" ", timespec="seconds")


def _seconds(start, stop) -> int | str:
    """Return the whole seconds between two times (datetimes or stored text), "" while running."""
    if not start or not stop:
        return ""
    if isinstance(start, str):
        start, stop = datetime.fromisoformat(start), datetime.fromisoformat(stop)
    return int((stop - start).total_seconds())


def users_csv(flt: UserFilter, sort: str = users_query.DEFAULT_SORT, descending: bool = False) -> Iterator[str]:
    """Yield the users export as CSV text chunks: id, name, email, status, created (UTC)."""

    def convert(row) -> tuple:
        return row[0], text(row[1]), text(row[2]), row[3], _when(row[4])

    return _csv_chunks(users_query.EXPORT_HEADER, users_query.export_batches(flt, sort, descending), convert)


def transactions_csv(
    flt: TransactionFilter,
    sort: str = transactions_query.DEFAULT_SORT,
    descending: bool = True,
    with_vehicle: bool = False,
) -> Iterator[str]:
    """Yield the transactions export as CSV text chunks; the plate column only `with_vehicle`."""
    header = (*transactions_query.EXPORT_HEADER, *(("vehicle",) if with_vehicle else ()))

    labels = {None: "", **ORIGINS}

    def convert(row) -> tuple:
        # Runs once per row of a million-row export: plain tuple work, no helper calls on the common path.
        tx_id, charger, evse, connector, user, origin, start, stop, energy, status = row[:10]
        if stop and isinstance(start, str):
            seconds = int((datetime.fromisoformat(stop) - datetime.fromisoformat(start)).total_seconds())
            times = (start[:19], stop[:19])
        else:
            seconds, times = _seconds(start, stop), (_when(start), _when(stop))
        extra = (text(row[10]),) if with_vehicle else ()
        return (
            tx_id,
            text(charger),
            "" if evse is None else evse,
            connector,
            text(user),
            labels.get(origin, ""),
            *times,
            seconds,
            "%.3f" % (energy / 1000),
            status,
            *extra,
        )

    batches = transactions_query.export_batches(flt, sort, descending, with_vehicle)
    return _csv_chunks(header, batches, convert)


def audit_csv(flt: AuditFilter) -> Iterator[str]:
    """Yield the audit trail export as CSV text chunks: when (UTC), who, what in words, which record, detail."""

    def convert(row) -> tuple:
        at, actor, email, action, subject_type, subject_id, detail = row
        who = email or ("a removed admin" if actor == Actor.ADMIN else actor)
        return _when(at), text(who), audit.action_label(action), subject_type, subject_id or "", text(detail)

    return _csv_chunks(audit_query.EXPORT_HEADER, audit_query.export_batches(flt), convert)
