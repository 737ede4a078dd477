"""The forms that pair vehicles: choosing a charger to pair on, pairing or assigning a refused identifier."""

from . import PostForm, RecordIdField, text

CHOOSE_CHARGER = "Choose a charger from the list."


class PairOnForm(PostForm):
    """Pair a vehicle on a charger chosen from the list."""

    charger_id = RecordIdField(message=CHOOSE_CHARGER)


class AssignTagForm(PostForm):
    """Give a refused RFID tag to a user: found by `q` (step 1), then chosen (`user_id`, step 2)."""

    q = text("Find a user by name or email")
    user_id = RecordIdField()


class PairIdentifierForm(AssignTagForm):
    """Pair a refused vehicle identifier with one of the chosen user's pending vehicles, or a new one by its plate."""

    vehicle_id = RecordIdField()
    plate = text("…or a new vehicle with license plate")
