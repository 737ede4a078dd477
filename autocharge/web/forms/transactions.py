"""The Transactions screen's forms: ending a session by hand, and the table's filters."""

from . import PostForm, text


class EndSessionForm(PostForm):
    """End a session the charger will not end, saying why."""

    reason = text("Reason")
