"""Commands typed to a staying simulator (console.run), against the live server."""

import threading

import sqlalchemy as sa

from autocharge.extensions import db
from autocharge.models import MeterSample, Transaction
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


def test_a_reading_of_a_session_unplugged_meanwhile_is_not_sent(simulator, version, in_db):
    in_db(lambda: users.add_tag(users.add_user("Jane Doe", "jane@example.com").id, TAG))
    sim = simulator(version)
    assert sim.boot()["status"] == "Accepted"
    sim.plug_in()
    sim.authorize(id_tag=TAG)
    sim.start_transaction(1, id_tag=TAG, meter_start=1000)
    running = sim.transaction  # what the staying loop read before the console unplugged
    assert sim.meter_values_of(running, 1500, 11000)
    sim.unplug()
    assert not sim.meter_values_of(running, 2000, 11000)  # the loop's late reading: dropped
    assert sim.meter_wh == 1500
    [tx] = in_db(lambda: list(db.session.scalars(sa.select(Transaction))))
    assert (tx.status, tx.meter_stop) == ("completed", 1500)
    assert in_db(lambda: db.session.scalar(sa.select(sa.func.max(MeterSample.energy_wh)))) == 1500
