"""What can go wrong with a call to a charger: no answer in time, a CallError, a closed socket."""


class CallTimeout(Exception):
    """The charger did not answer a call in time."""


class CallFailed(Exception):
    """The charger answered a call with a CallError."""

    def __init__(self, code: str, description: str, details: dict | None = None):
        super().__init__(f"{code}: {description}")
        self.code, self.description, self.details = code, description, details or {}


class ConnectionClosed(Exception):
    """The socket closed before the charger answered."""
