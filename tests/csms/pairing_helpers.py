"""Helpers of the pairing integration tests."""

from conftest import eventually

PASSWORD = "correct horse battery"  # of the admins the tests log in as


def id_status(answer: dict) -> str:
    """Return the authorization status of an Authorize/StartTransaction/TransactionEvent answer, any version."""
    info = answer.get("idTagInfo") or answer.get("idTokenInfo") or {}
    return info.get("status")


def wait_until(check, timeout: float = 10, what: str = "condition"):
    """Poll `check()` until it returns something truthy; return it (conftest's eventually, with 10 s)."""
    return eventually(check, timeout, what)


def one(fetch, model, *where):
    """Return the only row of `model` matching `where`."""
    rows = fetch(model, *where)
    assert len(rows) == 1, rows
    return rows[0]
