"""The back office's forms as WTForms classes: one module per screen, this one for what they share.

A form reads and types what the browser sent (a record id, a date, a choice from a list) and carries the errors to
show next to each field; the rules themselves (what a valid plate or email is, what is taken) stay in the services,
which the CLI and the OCPP handlers share. A service's refusal names its field (`ServiceError.field`), and
`PostForm.place` puts it there, so no view reads an English message to guess where it belongs.
"""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import Field, Form, StringField
from wtforms.widgets import TextInput

from ...services import ServiceError
from ..helpers import record_id

LAST_DAY = date(9999, 12, 31)


def stripped(value: str | None) -> str | None:
    """Return `value` without surrounding whitespace (a filter for text fields)."""
    return value.strip() if isinstance(value, str) else value


def text(label: str = "", default: str = "", **kwargs) -> StringField:
    """Return a text field whose value is `default` ("") when the browser sent none (never None)."""
    return StringField(label, default=default, **kwargs)


class PostForm(FlaskForm):
    """A form a browser posts, bound to request.form; its errors are shown next to its fields."""

    class Meta:
        csrf = False  # CSRFProtect already checked the token of every POST, before any view ran

    def place(self, exc: ServiceError) -> None:
        """Put a service's refusal next to the field it names, else above the form."""
        field = self._fields.get(exc.field or "")
        if field is None:
            self.form_errors.append(str(exc))
        else:
            field.errors = [*field.errors, str(exc)]

    def first_error(self, beside: tuple[str, ...] = ()) -> str | None:
        """Return the first error to show above the form: its own, or of a field not shown `beside` its input."""
        fields = (field for field in self if field.name not in beside)
        messages = [*self.form_errors, *(message for field in fields for message in field.errors)]
        return messages[0] if messages else None


class QueryForm(Form):
    """A GET form (a table's filters), bound to the query string: no CSRF token, nothing stored."""


class RecordIdField(Field):
    """A record chosen from a list (a user, a charger...): its id, None when empty; anything else is an error.

    `message` is the error, with {raw} for (the start of) what was sent.
    """

    widget = TextInput()

    def __init__(self, label: str = "", message: str = "Choose from the list (got {raw!r}).", **kwargs) -> None:
        super().__init__(label, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the id; raise ValueError (the field's error) for what is not one."""
        raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if raw:
            try:
                self.data = record_id(raw)
            except ValueError:
                raise ValueError(self.message.format(raw=raw[:30])) from None

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else ("" if self.data is None else str(self.data))


class DayField(Field):
    """A YYYY-MM-DD date, None when empty; `label` names it in the error ("From date ... is not a date")."""

    widget = TextInput(input_type="date")

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read the date; raise ValueError (the field's error) for what is not a usable one."""
        raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not raw:
            return
        try:
            if len(raw) != 10:
                raise ValueError(raw)
            value = date.fromisoformat(raw)
        except ValueError:
            raise ValueError(
                f"{self.label.text} date {raw[:30]!r} is not a date: use YYYY-MM-DD, e.g. 2026-01-31."
            ) from None
        if value >= LAST_DAY:  # a range ends the day after its "to": the calendar's last day has none
            raise ValueError(f"{self.label.text} date {raw} is out of range: use a date before {LAST_DAY.isoformat()}.")
        self.data = value

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else (self.data.isoformat() if self.data else "")
