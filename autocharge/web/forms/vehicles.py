"""A user's Vehicles forms: add a vehicle (maybe replacing one), correct its plate. No form takes an identifier."""

from . import PostForm, RecordIdField, text


class PlateForm(PostForm):
    """Correct a vehicle's license plate (any other field sent, an identifier say, is not read)."""

    plate = text("License plate")


class VehicleForm(PlateForm):
    """Add a vehicle by its plate, as the replacement of `replaces` if given; `then` "add" skips pairing."""

    replaces = RecordIdField()
    then = text()
