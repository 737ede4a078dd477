"""Commands typed to a staying simulator (console.run), against the live server."""

import threading

import sqlalchemy as sa

from autocharge.extensions import db
from autocharge.models import Transaction
from autocharge.services import users
from autocharge.simulator import console

TAG = "04A1B2C3"


def test_typed_commands_charge_refuse_and_quit(simulator, version, in_db):
    in_db(lambda: users.add_tag(users.add_user("Jane Doe", "jane@example.com").id, TAG))
    said: list[str] = []
    sim = simulator(version, log=said.append)
    assert sim.boot()["status"] == "Accepted"
    sim.status(1, "Available")
    stop = threading.Event()
    lines = [
        "help",
        "dance now",
        "",
        "rfid DEADBEEF   # nobody's tag",
        "unplug",
        f"rfid {TAG}   # Jane's",
        "charge 0.2",
        "stop",  # nothing runs any more: said, not raised
        "plug 001122334455",  # already plugged in; an identifier nobody has
        f"rfid {TAG}",
        "quit",
        "unplug",  # after quit: not read
    ]
    console.run(sim, lines, stop)
    text = "\n".join(said)
    assert stop.is_set() and console.HELP in text
    assert "Not understood: dance now." in text
    assert text.count("Not authorized") == 2
    assert text.count("Charging; meter values follow.") == 2
    assert "stop failed: no session is running." in text
    stops = in_db(
        lambda: db.session.execute(
            sa.select(Transaction.origin, Transaction.status, Transaction.stop_reason)
            .where(Transaction.user_id.is_not(None))
            .order_by(Transaction.id)
        ).all()
    )
    assert [tuple(row) for row in stops] == [("rfid", "completed", "Local"), ("rfid", "completed", "EVDisconnected")]
