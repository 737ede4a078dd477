"""The tables' filter forms: a query string that cannot be applied is refused naming its field, in the same words."""

from urllib.parse import parse_qsl

import pytest
from werkzeug.datastructures import MultiDict

from autocharge.services import ServiceError
from autocharge.web.forms.audit import AuditFilterForm
from autocharge.web.forms.chargers import ChargerFilterForm
from autocharge.web.forms.transactions import TransactionFilterForm
from autocharge.web.forms.unknown import UnknownTableForm
from autocharge.web.forms.users import UserFilterForm

DATE_HINT = "is not a date: use YYYY-MM-DD, e.g. 2026-01-31."


def bound(form_class, query: str):
    """Return the form bound to a query string, as a request's args would bind it."""
    return form_class(MultiDict(parse_qsl(query, keep_blank_values=True)))


@pytest.mark.parametrize(
    ("form_class", "query", "field", "message"),
    [
        (TransactionFilterForm, "from=2026-13-01", "start", f"From date '2026-13-01' {DATE_HINT}"),
        (TransactionFilterForm, "to=31.01.2026", "end", f"To date '31.01.2026' {DATE_HINT}"),
        (TransactionFilterForm, "from=2026-1-5", "start", f"From date '2026-1-5' {DATE_HINT}"),
        (
            TransactionFilterForm,
            "to=9999-12-31",
            "end",
            "To date 9999-12-31 is out of range: use a date before 9999-12-31.",
        ),
        (
            TransactionFilterForm,
            "from=2026-02-01&to=2026-01-31",
            "end",
            "The From date (2026-02-01) is after the To date (2026-01-31).",
        ),
        (TransactionFilterForm, "charger=abc", "charger_id", "The charger must be chosen from the list (got 'abc')."),
        (TransactionFilterForm, "user=-1", "user_id", "The user must be chosen from the list (got '-1')."),
        (TransactionFilterForm, "user=²", "user_id", "The user must be chosen from the list (got '²')."),
        (
            TransactionFilterForm,
            "charger=" + "9" * 20,
            "charger_id",
            f"The charger must be chosen from the list (got '{'9' * 20}').",
        ),
        (TransactionFilterForm, "origin=bogus", "origin", "Origin must be one of autocharge, rfid, app."),
        (TransactionFilterForm, "status=paused", "status", "Status must be one of active, completed."),
        (AuditFilterForm, "action=nope", "action", "Choose the action from the list (got 'nope')."),
        (AuditFilterForm, "type=nope", "subject_type", "Choose the subject type from the list (got 'nope')."),
        (AuditFilterForm, "subject=x", "subject_id", "The record number must be chosen from the list (got 'x')."),
        (AuditFilterForm, "subject=7", "subject_type", "Choose what kind of record #7 is (the subject type)."),
        (AuditFilterForm, "from=x", "start", f"From date 'x' {DATE_HINT}"),
        (UserFilterForm, "status=gone", "status", "Status must be one of active, blocked."),
        (ChargerFilterForm, "connection=maybe", "connection", "Connection must be one of online, offline."),
    ],
)
def test_a_filter_that_cannot_be_applied_names_its_field(form_class, query, field, message):
    with pytest.raises(ServiceError) as refused:
        bound(form_class, query).query_filter()
    assert (refused.value.field, str(refused.value)) == (field, message)


def test_the_first_bad_argument_is_the_one_said():
    with pytest.raises(ServiceError) as refused:
        bound(TransactionFilterForm, "user=x&charger=y&to=z&from=w").query_filter()
    assert refused.value.field == "start"  # the order of the form's fields: days, charger, user, the rest


def test_a_good_filter_reads_days_ids_and_choices():
    flt = bound(
        TransactionFilterForm, "from=2026-01-01&to=2026-01-31&charger=3&user=4&origin=rfid&q=+Ann+"
    ).query_filter()
    assert (flt.charger_id, flt.user_id, flt.origin, flt.search) == (3, 4, "rfid", "Ann")
    assert (flt.started_from.isoformat(), flt.started_before.isoformat()) == (
        "2026-01-01T00:00:00",
        "2026-02-01T00:00:00",
    )


@pytest.mark.parametrize(
    ("query", "order", "page", "size"),
    [
        ("", ("start", True), 1, 50),
        ("sort=bogus&dir=asc", ("start", True), 1, 50),  # an unknown sort: the default order
        ("sort=energy", ("energy", False), 1, 50),  # another column: ascending unless told
        ("sort=energy&dir=desc", ("energy", True), 1, 50),
        ("sort=start&dir=sideways", ("start", True), 1, 50),
        ("page=3&per_page=20", ("start", True), 3, 20),
        ("page=-2&per_page=abc", ("start", True), 1, 50),  # nonsense pages and sizes: the defaults
        ("page=²&per_page=100000", ("start", True), 1, 500),
    ],
)
def test_sort_and_page_fall_back_to_the_defaults(query, order, page, size):
    form = bound(TransactionFilterForm, query)
    assert (form.order(), form.page_number(), form.page_size()) == (order, page, size)


def test_links_keep_the_non_empty_arguments_in_their_order_but_the_page():
    form = bound(TransactionFilterForm, "page=2&to=2026-01-02&q=+x+&charger=&sort=energy&from=2026-01-01")
    assert list(form.kept().items()) == [("q", "x"), ("from", "2026-01-01"), ("to", "2026-01-02"), ("sort", "energy")]


@pytest.mark.parametrize(("query", "kind"), [("", "vehicle"), ("kind=rfid", "rfid"), ("kind=%00", "vehicle")])
def test_the_unknown_list_falls_back_to_vehicle_identifiers(query, kind):
    assert bound(UnknownTableForm, query).listed_kind() == kind
