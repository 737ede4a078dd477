"""The query strings of the charger page's paged panels: its events, and its device model's search."""

from . import QueryForm, stripped, text


def page_number(raw: str | None) -> int:
    """Return a page number from the query string; anything that is not one is the first page."""
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return min(max(number, 1), 10_000)


class EventsPageForm(QueryForm):
    """Which page of the charger's events."""

    page = text()

    def number(self) -> int:
        """Return the page asked for (the first when none or nonsense)."""
        return page_number(self.page.data)


class DeviceModelForm(QueryForm):
    """Search the charger's device model by component or variable name, and which page."""

    q = text(filters=[stripped])
    page = text()

    def number(self) -> int:
        """Return the page asked for (the first when none or nonsense)."""
        return page_number(self.page.data)
