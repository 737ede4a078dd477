"""The Chargers screen's forms: the list's filters; adding a charger, its registration, Auto Charge support, OCPP
password and local list setting."""

from ...services.chargers_query import ChargerFilter
from . import PostForm, QueryForm, stripped, text
from .tables import TableForm, choice


class ChargerForm(PostForm):
    """Add a charger: its charge box id, an optional OCPP password, its Auto Charge support."""

    charge_box_id = text("Charge box id")
    password = text("OCPP password (optional)")
    autocharge = text("Auto Charge support", default="unknown")


class ChargerPasswordForm(PostForm):
    """Set the charger's OCPP password (`action` "set"), generate one ("generate") or remove it ("remove")."""

    password = text("Set a password")
    action = text()


class RegistrationForm(PostForm):
    """Accept or reject a charger, or put it back to pending."""

    registration = text()


class AutochargeForm(PostForm):
    """Say whether the charger supports Auto Charge."""

    autocharge = text()


class LocalListForm(PostForm):
    """Turn the charger's local authorization list on ("on") or off (anything else)."""

    enabled = text()


class ChargerFilterForm(TableForm):
    """The Chargers list's search and filters (registration or state, connection, Auto Charge support)."""

    KEPT = ("q", "status", "connection", "autocharge", "per_page")

    q = text()
    status = text()
    connection = text()
    autocharge = text()

    def make_filter(self) -> ChargerFilter:
        """Return the chargers filter; raise ServiceError for a value that is not offered."""
        return ChargerFilter(
            search=self.q.data.strip(),
            status=choice(self.status.data),
            connection=choice(self.connection.data),
            autocharge=choice(self.autocharge.data),
        )


class UserSearchForm(QueryForm):
    """Find the users to start a charge for (the start form's active search)."""

    user_q = text(filters=[stripped])
