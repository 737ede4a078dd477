"""Business rules shared by the web views and the OCPP handlers: plain arguments in, domain errors out."""


class ServiceError(Exception):
    """A rule refused the request; the message is meant for the person who made it.

    `field` names the argument the message is about (the service function's parameter name, which a form's field
    shares), so a screen shows it next to that field; None means the request as a whole.
    """

    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(ServiceError):
    """The record asked for does not exist."""
