"""The Pair screen's form: the charger to pair a vehicle on."""

from . import PostForm, RecordIdField

CHOOSE_CHARGER = "Choose a charger from the list."


class PairOnForm(PostForm):
    """Pair a vehicle on a charger chosen from the list."""

    charger_id = RecordIdField(message=CHOOSE_CHARGER)
