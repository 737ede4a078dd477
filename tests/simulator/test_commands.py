"""The back office's commands reach the simulator and it acts on them: remote start/stop, clear cache, reset, unlock,
trigger message, and reading and changing the configuration.

The commands are sent the way an admin sends them: through the live server's web screens (only the process holding
the charger's socket can send to it).
"""

import sqlalchemy as sa

from autocharge.extensions import db
from autocharge.models import Transaction
from autocharge.services import users


def latest_transaction(in_db) -> dict:
    """Return the newest transaction's id, origin, user, status and stop reason."""

    def load():
        tx = db.session.scalars(sa.select(Transaction).order_by(Transaction.id.desc())).first()
        return {"id": tx.id, "origin": tx.origin, "user_id": tx.user_id, "status": tx.status, "reason": tx.stop_reason}

    return in_db(load)


def test_remote_start_and_stop(booted, office, in_db, charger_id):
    user_id = in_db(lambda: users.add_user("Jane Doe", "jane@example.com").id)
    booted.plug_in()
    office.post(f"/chargers/{charger_id}/start", user_id=user_id)
    booted.wait_idle()  # the simulator started the transaction it accepted
    assert booted.transaction is not None and booted.transaction.authorized
    tx = latest_transaction(in_db)
    assert (tx["origin"], tx["user_id"], tx["status"]) == ("app", user_id, "active")

    booted.meter_values(1200, 11000)
    office.post(f"/chargers/{charger_id}/stop", transaction_id=tx["id"])
    booted.wait_idle()
    assert booted.transaction is None
    tx = latest_transaction(in_db)
    assert (tx["status"], tx["reason"]) == ("completed", "Remote")


def test_clear_cache_and_reset(booted, office, charger_id):
    office.post(f"/chargers/{charger_id}/clear-cache")
    assert booted.wait_for("ClearCache") == {}
    asked = office.post(f"/chargers/{charger_id}/reset", kind="Hard")
    assert "<h1>Hard reset CP-1?</h1>" in asked and "Reset" not in [
        name for name, _ in booted.received
    ]  # no JavaScript: asked first
    office.post(f"/chargers/{charger_id}/reset", kind="Hard", confirmed="yes")
    booted.wait_for("Reset")
    booted.wait_idle()
    assert booted.boot_reason == "RemoteReset" and booted.registration == "Accepted"


def test_unlock_connector(booted, office, charger_id, version):
    page = office.post(f"/chargers/{charger_id}/unlock", connector_id=1)  # on 2.0.1: EVSE 1's connector 1
    if version == "1.6":
        assert booted.wait_for("UnlockConnector") == {"connectorId": 1}
        assert "CP-1 accepted the unlock of connector 1." in page
    else:
        assert booted.wait_for("UnlockConnector") == {"evseId": 1, "connectorId": 1}
        assert "CP-1 accepted the unlock of EVSE 1 connector 1." in page


def test_trigger_message(booted, office, charger_id):
    page = office.post(f"/chargers/{charger_id}/trigger", message="StatusNotification", connector_id=1)
    assert booted.wait_for("TriggerMessage")["requestedMessage"] == "StatusNotification"
    assert "CP-1 accepted the StatusNotification trigger." in page
    booted.wait_idle()  # the simulator sent the StatusNotification it was asked for


def test_read_and_change_the_configuration(booted, office, charger_id, version):
    key = "HeartbeatInterval" if version == "1.6" else "OCPPCommCtrlr.HeartbeatInterval"
    page = office.post(f"/chargers/{charger_id}/configuration", keys=f"{key}, NoSuch.Key")
    assert f"<tr><td><code>{key}</code></td><td><code>300</code></td></tr>" in page
    assert "Unknown to CP-1: <code>NoSuch.Key</code>" in page

    page = office.post(f"/chargers/{charger_id}/configuration/change", key="HeartbeatInterval", value="60")
    assert "CP-1 accepted the change of HeartbeatInterval." in page
    page = office.post(f"/chargers/{charger_id}/configuration")  # no keys: all of them
    assert f"<tr><td><code>{key}</code></td><td><code>60</code></td></tr>" in page
    assert "configuration values." in page
