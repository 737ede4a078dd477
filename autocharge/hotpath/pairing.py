"""The read every StatusNotification and Authorize starts with: does a pairing wait on this charger?"""

import sqlalchemy as sa

from ..models import PairingSession
from ..models.statuses import PairingState
from .runner import constant, prebuilt, run

_WAITING_ID = prebuilt(
    "pairing.waiting_pairing_id",
    sa.select(PairingSession.id).where(
        PairingSession.charger_id == sa.bindparam("p_charger"),
        PairingSession.state == constant(PairingState.WAITING.value),
    ),
)


def waiting_pairing_id(charger_id: int) -> int | None:
    """Return the id of the pairing waiting on a charger, or None."""
    return run(_WAITING_ID, {"p_charger": charger_id}).scalar()
