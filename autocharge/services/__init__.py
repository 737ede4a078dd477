"""Business rules shared by the web views and the OCPP handlers: plain arguments in, domain errors out."""


class ServiceError(Exception):
    """A rule refused the request; the message is meant for the person who made it."""


class NotFound(ServiceError):
    """The record asked for does not exist."""
