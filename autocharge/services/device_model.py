"""A 2.0.1 charger's device model: asked for with GetBaseReport, received in NotifyReport parts, shown paged.

A report arrives in parts numbered by seqNo from 0, the last with tbc false. Parts are stored as they come, under
their requestId, beside the model shown; the last part makes that report the model shown and deletes the one before.
A part sent again (a retry) is ignored; a part missing (a gap in seqNo) drops the report being assembled and says so.
A charger answers one part at a time on its socket, so the parts of one charger never race each other.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..db import utcnow, writing
from ..extensions import db
from ..models import DeviceReport, DeviceVariable
from ..models.statuses import ChargerEventKind
from . import ServiceError, charger_events, paging

PER_PAGE = 25
BASES = ("FullInventory", "ConfigurationInventory", "SummaryInventory")
MAX_VALUE = 2500
WAIT = timedelta(minutes=2)  # how long the page waits for a report asked for (a big one comes in many parts)


@dataclass(frozen=True)
class ModelPage:
    """One page of the variables shown, newest report only: `has_next` when more match."""

    report: DeviceReport | None
    items: list
    number: int
    has_next: bool
    search: str

    @property
    def waiting(self) -> bool:
        """Tell whether a report asked for in the last WAIT has not come in yet (the panel then refreshes)."""
        row = self.report
        if row is None or not row.last_request_id or row.request_id == row.last_request_id:
            return False
        return row.requested_at is not None and utcnow() - row.requested_at < WAIT


def report(charger_id: int) -> DeviceReport | None:
    """Return the charger's report state (None before any report was asked for or received)."""
    return db.session.get(DeviceReport, charger_id)


def check_base(base: str) -> str:
    """Return a report base a station knows; raise ServiceError naming the choices."""
    if base not in BASES:
        raise ServiceError(f"Choose a report: {', '.join(BASES)}.", field="base")
    return base


def next_request_id(charger_id: int, base: str) -> int:
    """Hand out the requestId of a new GetBaseReport and note what was asked; raise ServiceError for a bad base."""
    check_base(base)
    with writing() as session:
        row = session.get(DeviceReport, charger_id) or DeviceReport(charger_id=charger_id, last_request_id=0)
        row.last_request_id = (row.last_request_id or 0) + 1
        row.requested_at, row.requested_base = utcnow(), base
        session.add(row)
        session.flush()
        return row.last_request_id


def notify_report(
    charger_id: int,
    charge_box_id: str,
    request_id: int,
    generated_at: datetime,
    seq_no: int,
    tbc: bool,
    report_data: list[dict],
) -> None:
    """Store one NotifyReport part (snake_case keys); the last one makes its report the model shown."""
    with writing() as session:
        row = session.get(DeviceReport, charger_id)
        if row is None:
            row = DeviceReport(charger_id=charger_id, last_request_id=0, variables=0, parts=0, pending_parts=0)
            session.add(row)
        if seq_no == 0 and row.pending_request_id != request_id:
            _drop_pending(session, row)
            row.pending_request_id, row.pending_parts = request_id, 0
        if row.pending_request_id != request_id or seq_no < row.pending_parts:
            return  # a part of a report dropped or already complete, or a part sent again
        if seq_no > row.pending_parts:
            missing = row.pending_parts
            _drop_pending(session, row)
            row.last_result = f"Report {request_id} dropped: part {missing} never arrived (part {seq_no} did)."
            charger_events.record(charger_id, charge_box_id, ChargerEventKind.REPORT, row.last_result, warning=True)
            return
        if report_data:
            session.execute(sa.insert(DeviceVariable), [_row(charger_id, request_id, seq_no, d) for d in report_data])
        row.pending_parts += 1
        if not tbc:
            _complete(session, row, charge_box_id, generated_at)


def _complete(session, row: DeviceReport, charge_box_id: str, generated_at: datetime) -> None:
    """Make the report assembled the model shown, and delete the one before."""
    request_id = row.pending_request_id
    session.execute(
        sa.delete(DeviceVariable).where(
            DeviceVariable.charger_id == row.charger_id, DeviceVariable.request_id != request_id
        )
    )
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(DeviceVariable)
        .where(DeviceVariable.charger_id == row.charger_id, DeviceVariable.request_id == request_id)
    )
    row.request_id, row.generated_at, row.received_at = request_id, generated_at, utcnow()
    row.variables, row.parts = count or 0, row.pending_parts
    row.pending_request_id, row.pending_parts = None, 0
    plural = "s" if row.parts != 1 else ""
    row.last_result = f"Device model received: {row.variables} variables in {row.parts} part{plural}."
    charger_events.record(row.charger_id, charge_box_id, ChargerEventKind.REPORT, row.last_result)


def _drop_pending(session, row: DeviceReport) -> None:
    """Delete the parts of a report being assembled (never those of the model shown)."""
    if row.pending_request_id is not None and row.pending_request_id != row.request_id:
        session.execute(
            sa.delete(DeviceVariable).where(
                DeviceVariable.charger_id == row.charger_id, DeviceVariable.request_id == row.pending_request_id
            )
        )
    row.pending_request_id, row.pending_parts = None, 0


def _row(charger_id: int, request_id: int, seq_no: int, data: dict) -> dict:
    """Return the device_variable row of one ReportDataType (snake_case keys, as the handlers receive them)."""
    component, variable = data.get("component") or {}, data.get("variable") or {}
    evse = component.get("evse") or {}
    attributes = data.get("variable_attribute") or []
    actual = next((a for a in attributes if a.get("type", "Actual") == "Actual"), None)
    characteristics = data.get("variable_characteristics")
    return {
        "charger_id": charger_id,
        "request_id": request_id,
        "seq_no": seq_no,
        "component": str(component.get("name", ""))[:50],
        "component_instance": _cut(component.get("instance"), 50),
        "evse_id": evse.get("id"),
        "connector_id": evse.get("connector_id"),
        "variable": str(variable.get("name", ""))[:50],
        "variable_instance": _cut(variable.get("instance"), 50),
        "value": _cut(actual.get("value") if actual else None, MAX_VALUE),
        "attributes": json.dumps(attributes, separators=(",", ":")),
        "characteristics": json.dumps(characteristics, separators=(",", ":")) if characteristics else None,
    }


def page(charger_id: int, search: str = "", number: int = 1, per_page: int = PER_PAGE) -> ModelPage:
    """Return one page of the model shown, by component and variable; `search` finds either by part of its name."""
    row = report(charger_id)
    number, search = max(1, number), (search or "").strip()[:50]
    if row is None or row.request_id is None:
        return ModelPage(row, [], 1, False, search)
    query = sa.select(DeviceVariable).where(
        DeviceVariable.charger_id == charger_id, DeviceVariable.request_id == row.request_id
    )
    if search:
        query = query.where(
            sa.or_(
                paging.contains_text(DeviceVariable.component, search),
                paging.contains_text(DeviceVariable.variable, search),
            )
        )
    ordered = query.order_by(DeviceVariable.component, DeviceVariable.variable, DeviceVariable.id)
    found = list(db.session.scalars(ordered.offset((number - 1) * per_page).limit(per_page + 1)))
    return ModelPage(row, [Variable.of(v) for v in found[:per_page]], number, len(found) > per_page, search)


@dataclass(frozen=True)
class Variable:
    """A variable as the page shows it: where, what, its attributes and characteristics read from JSON."""

    component: str
    evse: str
    variable: str
    attributes: list
    characteristics: dict

    @property
    def actual(self) -> dict | None:
        """Return the Actual attribute (the one without a type is Actual), if reported."""
        return next((a for a in self.attributes if a.get("type", "Actual") == "Actual"), None)

    @property
    def others(self) -> list[dict]:
        """Return the attributes besides Actual (Target, MinSet, MaxSet)."""
        return [a for a in self.attributes if a.get("type", "Actual") != "Actual"]

    @classmethod
    def of(cls, row: DeviceVariable) -> "Variable":
        """Read a stored row."""
        component = row.component + (f"[{row.component_instance}]" if row.component_instance else "")
        evse = "" if row.evse_id is None else str(row.evse_id) + (f".{row.connector_id}" if row.connector_id else "")
        variable = row.variable + (f"[{row.variable_instance}]" if row.variable_instance else "")
        return cls(
            component, evse, variable, json.loads(row.attributes or "[]"), json.loads(row.characteristics or "{}")
        )


def device_values(charger_id: int, component: str, names: tuple[str, ...]) -> dict[str, dict]:
    """Return the model shown's variables of one component (no instance, no EVSE): name -> {attribute type: value}."""
    row = report(charger_id)
    if row is None or row.request_id is None:
        return {}
    found = db.session.scalars(
        sa.select(DeviceVariable).where(
            DeviceVariable.charger_id == charger_id,
            DeviceVariable.request_id == row.request_id,
            DeviceVariable.component == component,
            DeviceVariable.variable.in_(names),
            DeviceVariable.component_instance.is_(None),
            DeviceVariable.evse_id.is_(None),
        )
    )
    return {v.variable: {a.get("type", "Actual"): a.get("value") for a in json.loads(v.attributes)} for v in found}


def _cut(value, size: int) -> str | None:
    """Return a value as text cut to its column, None staying None."""
    return None if value is None else str(value)[:size]


# LocalAuthListCtrlr variables a local list sync needs: (variable, attribute type, the sync's name for it).
LOCAL_LIST_LIMITS = (
    ("Entries", "MaxSet", "max_entries"),
    ("ItemsPerMessage", "Actual", "per_message"),
    ("BytesPerMessage", "Actual", "bytes_per_message"),
)


def local_list_limits(charger_id: int, values: dict) -> dict:
    """Return the local list limits read from the station, each one it did not give taken from its device model."""
    missing = [row for row in LOCAL_LIST_LIMITS if values.get(row[2]) in (None, "")]
    if not missing:
        return values
    known = device_values(charger_id, "LocalAuthListCtrlr", tuple(variable for variable, _, _ in missing))
    found = {name: (known.get(variable) or {}).get(kind) for variable, kind, name in missing}
    return {**values, **{name: value for name, value in found.items() if value not in (None, "")}}
