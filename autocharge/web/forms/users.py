"""The Users screen's forms: a user's name and email, an RFID tag, blocking, and the table's filters."""

from ...services import users_query
from ...services.users_query import UserFilter
from . import PostForm, text
from .tables import SortedTableForm, choice


class UserForm(PostForm):
    """Add a user, or correct one's name and email."""

    name = text("Name")
    email = text("Email")


class TagForm(PostForm):
    """Give a user an RFID tag."""

    tag = text("Add an RFID tag")


class StatusForm(PostForm):
    """Block a user (status "blocked") or let them charge again ("active")."""

    status = text()


class UserFilterForm(SortedTableForm):
    """The Users table's search and status filter."""

    KEPT = ("q", "status", "sort", "dir", "per_page")
    SORTS = users_query.SORTS
    DEFAULT_SORT = users_query.DEFAULT_SORT

    q = text()
    status = text()

    def make_filter(self) -> UserFilter:
        """Return the users filter; raise ServiceError for a status that does not exist."""
        return UserFilter(search=self.q.data.strip(), status=choice(self.status.data))
