"""Accepting or rejecting a connected charger on the Chargers screen takes effect on its open socket at once.

"At once": the change reaches the socket through the process's wake-ups (csms/remote.py), on PostgreSQL a NOTIFY
that the listening greenlet receives a moment after the admin's answer; a frame in that moment still meets the old
registration. The test waits for the change, a few milliseconds, rather than betting on which comes first.
"""

import pytest
from conftest import eventually

from autocharge.services import chargers
from autocharge.simulator import CallErrorReceived


def _heartbeat_refusal(sim) -> CallErrorReceived | None:
    """Send a Heartbeat; return the CallError it got, or None if it was answered."""
    try:
        sim.heartbeat()
    except CallErrorReceived as exc:
        return exc
    return None


@pytest.mark.parametrize(("version", "refused"), [("1.6", "GenericError"), ("2.0.1", "SecurityError")])
def test_reject_then_accept_a_connected_charger(simulator, office, in_db, charger_id, version, refused):
    sim = simulator(version)
    assert sim.boot()["status"] == "Accepted"
    assert "currentTime" in sim.heartbeat()

    office.post(f"/chargers/{charger_id}/registration", registration="rejected", confirmed="yes")
    assert in_db(lambda: chargers.get(charger_id).registration) == "rejected"
    refusal = eventually(lambda: _heartbeat_refusal(sim), 5, "the open socket to follow the rejection")
    assert refusal.code == refused

    office.post(f"/chargers/{charger_id}/registration", registration="accepted")
    eventually(lambda: _heartbeat_refusal(sim) is None, 5, "the open socket to follow the acceptance")
