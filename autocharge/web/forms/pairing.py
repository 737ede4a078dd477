"""The Pair screen's forms: find chargers, choose the one to pair a vehicle on."""

from . import PostForm, QueryForm, RecordIdField, stripped, text

CHOOSE_CHARGER = "Choose a charger from the list."


class PairOnForm(PostForm):
    """Pair a vehicle on a charger chosen from the list."""

    charger_id = RecordIdField(message=CHOOSE_CHARGER)


class ChargerSearchForm(QueryForm):
    """Find chargers to pair on by their charge box id."""

    q = text(filters=[stripped])
