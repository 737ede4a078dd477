"""Charger passwords at the live handshake: scrypt runs off the hub, legacy hashes are upgraded, reconnects are cheap."""

import hashlib
import threading
import time

import pytest
import sqlalchemy as sa
import websocket

from autocharge.db import writing
from autocharge.extensions import db
from autocharge.models import Charger
from autocharge.services import chargers
from autocharge.services.charger_passwords import check_charger_password, hash_charger_password

from .support import basic

PASSWORD = "s3cret-password-for-the-kdf"
SLOW = {"n": 2**14, "r": 8, "p": 16}  # 16 MiB like the default, 16 times its time: a hub that derived would stall


def open_socket(live_server, box: str, password: str | None, timeout: float = 10) -> websocket.WebSocket:
    """Open a charger's socket (raises WebSocketBadStatusException when refused)."""
    header = [basic(box, password)] if password else []
    return websocket.create_connection(
        f"{live_server.ws_url}/{box}", subprotocols=["ocpp1.6"], header=header, timeout=timeout
    )


def status_of(live_server, box: str, password: str) -> int:
    """Return the HTTP status the handshake gets (101 when admitted)."""
    try:
        open_socket(live_server, box, password).close()
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code
    return 101


def set_hash(in_db, box: str, value: str) -> None:
    """Store a password hash straight into a charger's row."""

    def write():
        with writing() as session:
            session.execute(sa.update(Charger).where(Charger.charge_box_id == box).values(password_hash=value))

    in_db(write)


def hash_of(in_db, box: str) -> str:
    """Return a charger's stored password hash."""
    return in_db(lambda: db.session.scalar(sa.select(Charger.password_hash).where(Charger.charge_box_id == box)))


def test_right_password_admitted_wrong_refused_over_a_live_socket(live_server, in_db):
    in_db(lambda: chargers.add_charger("CP-1", password=PASSWORD))
    assert hash_of(in_db, "CP-1").startswith("scrypt$")
    assert status_of(live_server, "CP-1", "wrong-password-wrong-pass") == 401
    assert status_of(live_server, "CP-1", PASSWORD) == 101
    assert status_of(live_server, "CP-1", PASSWORD) == 101  # again, from the cache of verified credentials


def test_a_legacy_sha256_hash_admits_and_is_upgraded_at_the_live_handshake(live_server, in_db):
    in_db(lambda: chargers.add_charger("CP-1"))
    salt = "0123456789abcdef"
    legacy = f"sha256${salt}${hashlib.sha256((salt + PASSWORD).encode()).hexdigest()}"
    set_hash(in_db, "CP-1", legacy)
    assert status_of(live_server, "CP-1", "wrong-password-wrong-pass") == 401
    assert hash_of(in_db, "CP-1") == legacy
    assert status_of(live_server, "CP-1", PASSWORD) == 101
    upgraded = hash_of(in_db, "CP-1")
    assert upgraded.startswith("scrypt$16384$8$1$") and check_charger_password(upgraded, PASSWORD)


@pytest.mark.parametrize("count", [6])
def test_the_hub_keeps_answering_heartbeats_while_passwords_are_derived(live_server, in_db, count):
    boxes = [f"CP-K{i}" for i in range(count)]
    in_db(lambda: [chargers.add_charger(box) for box in ["CP-HB", *boxes]])
    slow = hash_charger_password(PASSWORD, **SLOW)  # one string for all: each charger still derives its own check
    started = time.perf_counter()
    assert check_charger_password(slow, PASSWORD)
    derivation = time.perf_counter() - started
    for box in boxes:
        set_hash(in_db, box, slow)

    probe = open_socket(live_server, "CP-HB", None)
    round_trips: list[float] = []
    storm_over = threading.Event()

    def heartbeats():
        while not storm_over.is_set():
            sent = time.perf_counter()
            probe.send('[2,"hb","Heartbeat",{}]')
            assert "currentTime" in probe.recv()
            round_trips.append(time.perf_counter() - sent)
            time.sleep(0.01)

    def storm(results: dict):
        def connect(box):
            sent = time.perf_counter()
            # Queued behind the others' derivations (two at a time): slow by design, seconds on a busy machine.
            open_socket(live_server, box, PASSWORD, timeout=120).close()
            results[box] = time.perf_counter() - sent

        threads = [threading.Thread(target=connect, args=(box,)) for box in boxes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    beating = threading.Thread(target=heartbeats)
    beating.start()
    cold: dict[str, float] = {}
    warm: dict[str, float] = {}
    try:
        storm(cold)  # every charger's first connect: a full derivation each, two at a time
        storm(warm)  # the same chargers again (a network blip): verified already, no derivation
    finally:
        storm_over.set()
        beating.join()
        probe.close()

    assert sorted(cold) == sorted(warm) == boxes  # all admitted, both times
    assert max(cold.values()) >= derivation * 0.8  # the handshakes really derived
    assert max(warm.values()) < derivation * 0.5  # the reconnects did not
    assert len(round_trips) >= 10
    # A hub that derived would leave a Heartbeat waiting a whole derivation at least.
    assert max(round_trips) < derivation * 0.5, (max(round_trips), derivation)
