"""Finding chargers for the Chargers screen: search, status, connection and Auto Charge filters, counted pages."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Charger, Connector, Transaction
from ..models.charger import AUTOCHARGE_SUPPORT, REGISTRATIONS
from ..models.statuses import ConnectorStatus, TransactionStatus
from . import ServiceError
from .paging import PER_PAGE, Page, contains_text, count, load_in_order, page_ids

# Connector states an operator looks for, as the statuses chargers report (1.6 and 2.0.1 share these).
CONNECTOR_STATES = {"faulted": ConnectorStatus.FAULTED, "unavailable": ConnectorStatus.UNAVAILABLE}
# "charging" means a session is running: a 2.0.1 charger reports such a connector only as Occupied.
STATUSES = (*REGISTRATIONS, "charging", *CONNECTOR_STATES)
CONNECTIONS = ("online", "offline")
ORDER = (Charger.charge_box_id, Charger.id)


@dataclass(frozen=True)
class ChargerFilter:
    """What to narrow the chargers to; empty or None means "any"."""

    search: str = ""  # part of the charge box id, vendor, model or serial number
    status: str | None = None  # a registration, "charging", or a connector state (online chargers only)
    connection: str | None = None  # online / offline
    autocharge: str | None = None  # supported / unsupported / unknown

    def __post_init__(self) -> None:
        for field, allowed, what in (
            ("status", STATUSES, "Status"),
            ("connection", CONNECTIONS, "Connection"),
            ("autocharge", AUTOCHARGE_SUPPORT, "Auto Charge support"),
        ):
            value = getattr(self, field)
            if value is not None and value not in allowed:
                raise ServiceError(f"{what} must be one of {', '.join(allowed)}.", field=field)


def conditions(flt: ChargerFilter) -> list:
    """Return the WHERE conditions of a filter."""
    found = []
    if flt.status in REGISTRATIONS:
        found.append(Charger.registration == flt.status)
    elif flt.status == "charging":
        running = sa.select(Transaction.charger_id).where(Transaction.status == TransactionStatus.ACTIVE)
        found.append(Charger.id.in_(running))
    elif flt.status in CONNECTOR_STATES:
        states = sa.select(Connector.charger_id).where(
            Connector.status == CONNECTOR_STATES[flt.status], Connector.connector_id > 0
        )
        # An offline charger's connectors are unknown (the list shows "Offline · last Faulted"): its last report is
        # no longer a state, so it is not counted as faulted or unavailable.
        found.extend((Charger.id.in_(states), Charger.online.is_(True)))
    if flt.connection:
        found.append(Charger.online.is_(flt.connection == "online"))
    if flt.autocharge:
        found.append(Charger.autocharge == flt.autocharge)
    text = flt.search.strip()
    if text:
        columns = (Charger.charge_box_id, Charger.vendor, Charger.model, Charger.serial)
        found.append(sa.or_(*(contains_text(column, text) for column in columns)))
    return found


def page(flt: ChargerFilter, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """Return one counted page of matching chargers by charge box id, with their connectors loaded."""
    query = sa.select(Charger.id).where(*conditions(flt))
    number = max(number, 1)
    total = count(query)
    ids = page_ids(query, ORDER, False, total, number, per_page)
    return Page(_load(ids), number, per_page, total)


def rows(flt: ChargerFilter, number: int = 1, per_page: int = PER_PAGE) -> list[Charger]:
    """Return the chargers of one page without counting them (the live refresh of the rows on screen)."""
    query = sa.select(Charger.id).where(*conditions(flt)).order_by(*ORDER)
    ids = list(db.session.scalars(query.offset((max(number, 1) - 1) * per_page).limit(per_page)))
    return _load(ids)


def _load(ids: list[int]) -> list[Charger]:
    """Return these chargers in this order, with their connectors (one more query, for these rows only)."""
    return load_in_order(Charger, ids, selectinload(Charger.connectors))
