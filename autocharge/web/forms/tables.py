"""What the tables' filter forms share: the query string's sort, direction, page and page size."""

from wtforms import BooleanField, Field, ValidationError
from wtforms.widgets import TextInput

from ...services import ServiceError
from ...services.paging import clamp_per_page
from . import PostForm, QueryForm, text


class LenientNumberField(Field):
    """A whole number where a wrong one means "the default" (a page number, a page size): None, never an error."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the number; anything else is None."""
        try:
            self.data = int(valuelist[0]) if valuelist else None
        except ValueError:
            self.data = None

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else ""


class TableForm(QueryForm):
    """A table's filters with its order and page; subclasses name their sorts (none: the table has one order).

    A filter that cannot be applied is an error the table shows instead of rows (and its export refuses, 400);
    an unknown sort or page falls back to the default, as a link kept from an older version expects.
    """

    KEPT: tuple[str, ...] = ()  # the arguments links and the export carry along, in their order in a URL
    SORTS: dict = {}
    DEFAULT_SORT = ""
    DEFAULT_DESCENDING = False

    per_page = LenientNumberField()
    page = LenientNumberField()

    def query_filter(self):
        """Return the service's filter for these arguments; raise ServiceError naming the field it cannot apply."""
        if not self.validate():
            name, field = next((name, field) for name, field in self._fields.items() if field.errors)
            raise ServiceError(field.errors[0], field=name)
        return self.make_filter()

    def make_filter(self):
        """Return the service's filter of checked arguments (the services check their own rules: ServiceError)."""
        raise NotImplementedError

    def order(self) -> tuple[str, bool]:
        """Return the (sort key, descending) asked for; an unknown key falls back to the default order."""
        sort = self._raw("sort")
        if sort not in self.SORTS:
            return self.DEFAULT_SORT, self.DEFAULT_DESCENDING
        direction = self._raw("dir")
        if direction in ("asc", "desc"):
            return sort, direction == "desc"
        return sort, self.DEFAULT_DESCENDING if sort == self.DEFAULT_SORT else False

    def page_number(self) -> int:
        """Return the page asked for: 1 when missing or not a positive number."""
        number = self.page.data
        return number if number and number > 0 else 1

    def page_size(self) -> int:
        """Return the rows per page asked for, within the allowed range."""
        return clamp_per_page(self.per_page.data)

    def kept(self) -> dict[str, str]:
        """Return the non-empty arguments among KEPT: what links, the pager and the export carry along."""
        return {name: value for name in self.KEPT if (value := self._raw(name))}

    def _raw(self, name: str) -> str:
        """Return what the query string said for the field of that (HTML) name, stripped ("" when nothing)."""
        field = next((f for f in self if f.name == name), None)
        return field.raw_data[0].strip() if field is not None and field.raw_data else ""


class SortedTableForm(TableForm):
    """A table the admin sorts by a column header (`sort`), ascending or descending (`dir`)."""

    sort = text()
    dir = text()


def choice(value: str) -> str | None:
    """Return a stripped choice, None when empty (a filter's "any")."""
    return value.strip() or None


def offered(allowed, label: str):
    """Return a validator refusing a value not among `allowed` ("Choose the `label` from the list (got ...)")."""

    def check(form, field) -> None:
        value = (field.data or "").strip()
        if value and value not in allowed:
            raise ValidationError(f"Choose the {label} from the list (got {value[:40]!r}).")

    return check


def day_order(form, field) -> None:
    """Refuse a range whose To day (this field) comes before its From day (the form's `start`)."""
    start, end = form.start.data, field.data
    if start and end and start > end:
        raise ValidationError(f"The From date ({start}) is after the To date ({end}).")


def columns_form(columns: dict[str, str]) -> type[PostForm]:
    """Return the form class of a column chooser: a tick box per optional column (name: label)."""
    return type("ColumnsForm", (PostForm,), {name: BooleanField(label) for name, label in columns.items()})
