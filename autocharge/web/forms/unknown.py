"""The Unknown identifiers screen's forms: the list of one kind, pairing or assigning a refused identifier."""

from ...services import unknown
from . import PostForm, RecordIdField, text
from .tables import TableForm


class UnknownTableForm(TableForm):
    """Which refused identifiers to list (vehicle identifiers, or RFID tags), and the page."""

    kind = text(default="vehicle")

    def listed_kind(self) -> str:
        """Return the kind asked for; one that does not exist shows vehicle identifiers."""
        return self.kind.data if self.kind.data in unknown.KINDS else "vehicle"


class AssignTagForm(PostForm):
    """Give a refused RFID tag to a user: found by `q` (step 1), then chosen (`user_id`, step 2)."""

    q = text("Find a user by name or email")
    user_id = RecordIdField()


class PairIdentifierForm(AssignTagForm):
    """Pair a refused vehicle identifier with one of the chosen user's pending vehicles, or a new one by its plate."""

    vehicle_id = RecordIdField()
    plate = text("…or a new vehicle with license plate")
