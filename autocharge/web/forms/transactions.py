"""The Transactions screen's forms: ending a session by hand, and the table's filters."""

from datetime import datetime, time, timedelta

from ...services import transactions_query
from ...services.transactions_query import TransactionFilter
from . import DayField, PostForm, RecordIdField, text
from .tables import SortedTableForm, choice, day_order


class EndSessionForm(PostForm):
    """End a session the charger will not end, saying why."""

    reason = text("Reason")


class TransactionFilterForm(SortedTableForm):
    """The Transactions table's filters: days (UTC), charger, user, origin, status and a search."""

    KEPT = ("q", "charger", "user", "origin", "status", "from", "to", "sort", "dir", "per_page")
    SORTS = transactions_query.SORTS
    DEFAULT_SORT = transactions_query.DEFAULT_SORT
    DEFAULT_DESCENDING = True

    start = DayField("From", name="from")
    end = DayField("To", name="to", validators=[day_order])
    charger_id = RecordIdField(message="The charger must be chosen from the list (got {raw!r}).", name="charger")
    user_id = RecordIdField(message="The user must be chosen from the list (got {raw!r}).", name="user")
    origin = text()
    status = text()
    q = text()

    def make_filter(self) -> TransactionFilter:
        """Return the transactions filter; raise ServiceError for an origin or status that does not exist."""
        start, end = self.start.data, self.end.data
        return TransactionFilter(
            charger_id=self.charger_id.data,
            user_id=self.user_id.data,
            origin=choice(self.origin.data),
            status=choice(self.status.data),
            started_from=datetime.combine(start, time()) if start else None,
            # The To day is included: sessions started before the next midnight (UTC).
            started_before=datetime.combine(end + timedelta(days=1), time()) if end else None,
            search=self.q.data.strip(),
        )
