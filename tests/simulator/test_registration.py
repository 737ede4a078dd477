"""Accepting or rejecting a connected charger on the Chargers screen takes effect on its open socket at once."""

import pytest

from autocharge.services import chargers
from autocharge.simulator import CallErrorReceived


@pytest.mark.parametrize(("version", "refused"), [("1.6", "GenericError"), ("2.0.1", "SecurityError")])
def test_reject_then_accept_a_connected_charger(simulator, office, in_db, charger_id, version, refused):
    sim = simulator(version)
    assert sim.boot()["status"] == "Accepted"
    assert "currentTime" in sim.heartbeat()

    office.post(f"/chargers/{charger_id}/registration", registration="rejected", confirmed="yes")
    assert in_db(lambda: chargers.get(charger_id).registration) == "rejected"
    with pytest.raises(CallErrorReceived) as refusal:
        sim.heartbeat()
    assert refusal.value.code == refused

    office.post(f"/chargers/{charger_id}/registration", registration="accepted")
    assert "currentTime" in sim.heartbeat()
