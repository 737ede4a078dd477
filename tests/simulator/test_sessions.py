"""The simulator against the real server: boot, heartbeat, and charging sessions by RFID and by vehicle identifier."""

import sqlalchemy as sa

from autocharge.extensions import db
from autocharge.models import Charger, Transaction, UnknownIdentifier, Vehicle
from autocharge.services import pairing, users, vehicles

TAG = "04A1B2C3"
VID = "001B2C3D4E5F"


def status_of(answer: dict) -> str:
    """Return the authorization status of an Authorize/StartTransaction/TransactionEvent answer."""
    return (answer.get("idTagInfo") or answer.get("idTokenInfo") or {}).get("status", "")


def transactions(in_db, charger_id: int) -> list[dict]:
    """Return the charger's transactions as plain dicts, oldest first."""

    def load():
        rows = db.session.scalars(sa.select(Transaction).where(Transaction.charger_id == charger_id).order_by("id"))
        keys = ("user_id", "vehicle_id", "origin", "id_token", "status", "meter_start", "meter_stop", "energy_wh")
        return [{k: getattr(row, k) for k in keys} for row in rows]

    return in_db(load)


def unknown(in_db) -> list[tuple[str, str]]:
    """Return the unknown identifiers recorded, as (kind, value)."""
    return in_db(
        lambda: [tuple(r) for r in db.session.execute(sa.select(UnknownIdentifier.kind, UnknownIdentifier.value))]
    )


def add_driver(in_db, tag: str | None = None) -> int:
    """Create an active user (with an RFID tag, if given); return the user id."""

    def add():
        user = users.add_user("Jane Doe", "jane@example.com")
        if tag:
            users.add_tag(user.id, tag)
        return user.id

    return in_db(add)


def test_boot_heartbeat_status(booted, version, in_db, charger_id):
    assert "currentTime" in booted.heartbeat()
    charger = in_db(lambda: db.session.get(Charger, charger_id))
    assert (charger.online, charger.vendor, charger.model, charger.ocpp_version) == (
        True,
        "Autocharge",
        "Simulator",
        version,
    )
    statuses = in_db(lambda: [(c.connector_id, c.status) for c in db.session.get(Charger, charger_id).connectors])
    assert statuses == [(1, "Available")]


def test_rfid_session(booted, in_db, charger_id):
    user_id = add_driver(in_db, TAG)
    booted.meter_wh = 1000
    booted.plug_in()
    assert status_of(booted.authorize(id_tag=TAG)) == "Accepted"
    assert status_of(booted.start_transaction(id_tag=TAG, meter_start=1000)) == "Accepted"
    assert booted.transaction_id is not None
    booted.meter_values(2500, 11000)
    booted.stop_transaction(4000)
    booted.unplug()
    [tx] = transactions(in_db, charger_id)
    assert tx["user_id"] == user_id and tx["origin"] == "rfid" and tx["status"] == "completed"
    assert (tx["meter_start"], tx["meter_stop"], tx["energy_wh"]) == (1000, 4000, 3000)


def test_unknown_tag_is_refused_and_recorded(booted, in_db, charger_id):
    booted.plug_in()
    assert status_of(booted.authorize(id_tag="DEADBEEF")) == "Invalid"
    assert status_of(booted.start_transaction(id_tag="DEADBEEF")) == "Invalid"
    assert booted.transaction is None  # the charger stopped again (StopTransactionOnInvalidId)
    booted.unplug()
    assert all(tx["status"] != "active" for tx in transactions(in_db, charger_id))
    assert ("rfid", "DEADBEEF") in unknown(in_db)


def test_vehicle_pairs_then_charges_by_itself(booted, in_db, charger_id):
    user_id = add_driver(in_db)
    vehicle_id = in_db(lambda: vehicles.add_vehicle(user_id, "AB-123").id)
    in_db(lambda: pairing.start(vehicle_id, charger_id))

    booted.plug_in()
    assert status_of(booted.authorize(vid=VID)) == "Accepted"  # the request that completes the pairing
    assert status_of(booted.start_transaction(vid=VID)) == "Accepted"
    booted.stop_transaction(5000)
    booted.unplug()
    assert in_db(
        lambda: (db.session.get(Vehicle, vehicle_id).status, db.session.get(Vehicle, vehicle_id).identifier)
    ) == ("active", VID)

    booted.plug_in()  # the next plug-in needs nothing but the vehicle
    assert status_of(booted.authorize(vid=VID)) == "Accepted"
    assert status_of(booted.start_transaction(vid=VID, meter_start=5000)) == "Accepted"
    booted.stop_transaction(8000)
    booted.unplug()
    txs = transactions(in_db, charger_id)
    assert [(t["origin"], t["vehicle_id"], t["user_id"], t["status"]) for t in txs] == [
        ("autocharge", vehicle_id, user_id, "completed")
    ] * 2


def test_unknown_vehicle_is_refused_and_recorded(booted, in_db):
    booted.plug_in()
    assert status_of(booted.authorize(vid="0A1B2C3D4E5F")) == "Invalid"
    booted.unplug()
    assert ("vehicle", "0A1B2C3D4E5F") in unknown(in_db)


def test_v16_identifier_forms(simulator, in_db, charger_id):
    sim = simulator("1.6")
    sim.boot()
    user_id = add_driver(in_db)
    vehicle_id = in_db(lambda: vehicles.add_vehicle(user_id, "AB-123").id)
    in_db(lambda: pairing.start(vehicle_id, charger_id))
    assert status_of(sim.authorize(vid=VID)) == "Accepted"
    for raw in ["vid:001b2c3d4e5f", "VID:0000001B2C3D4E5F"]:  # idTag is at most 20 characters
        assert status_of(sim.authorize(id_tag=raw)) == "Accepted", raw
