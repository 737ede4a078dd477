"""The Chargers screen's forms: adding a charger, its registration, Auto Charge support and OCPP password."""

from . import PostForm, text


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
