"""Data for the table tests: two chargers, three users (one with paired vehicles), sessions of every origin.

The `fleet` fixture reaches every web test through tests/web/conftest.py; import only the constants from here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from autocharge.db import writing
from autocharge.models import Transaction, Vehicle
from autocharge.services import chargers, users

DAY = datetime(2026, 3, 10, 8, 0, 0)
# Identifiers stored on the vehicles and as raw id tokens: no page export may contain them in any form.
IDENT_A, IDENT_B = "0A1B2C3D4E5F", "A453EE033156"


def identifier_forms(ident: str) -> list[str]:
    """Return the ways an identifier could be written: hex, AA:BB:.., with dashes, lower case."""
    pairs = [ident[i : i + 2] for i in range(0, 12, 2)]
    forms = [ident, ":".join(pairs), "-".join(pairs), f"VID:{ident}"]
    return forms + [f.lower() for f in forms]


@dataclass
class Fleet:
    """Ids of what `fleet` stored."""

    cp1: int
    cp2: int
    alice: int
    bob: int
    carol: int
    tx: list[int]  # oldest first


@pytest.fixture
def fleet(app) -> Fleet:
    """Store 2 chargers, users Alice (two plates, RFID tag), Bob (blocked), Carol and seven sessions a day apart."""
    with app.app_context():
        cp1, cp2 = chargers.add_charger("CP-NORTH").id, chargers.add_charger("CP-SOUTH").id
        alice = users.add_user("Alice Schmidt", "alice@example.com").id
        bob = users.add_user("Bob Meyer", "bob@example.com").id
        carol = users.add_user("Carol Jones", "carol@fleet.example").id
        users.add_tag(alice, "04A1B2C3")
        users.set_status(bob, "blocked")
        with writing() as session:
            ev = Vehicle(user_id=alice, plate="B-EV 123", plate_key="BEV123", status="active", identifier=IDENT_A)
            van = Vehicle(user_id=alice, plate="M-VAN 7", plate_key="MVAN7", status="pending")
            old = Vehicle(user_id=bob, plate="K-OLD 1", plate_key="KOLD1", status="retired", identifier=IDENT_B)
            session.add_all([ev, van, old])
            session.flush()
            specs = [  # charger, user, vehicle, origin, status, energy Wh, token
                (cp1, alice, ev.id, "autocharge", "completed", 12_345, f"VID:{IDENT_A}"),
                (cp1, bob, old.id, "autocharge", "completed", 8_000, IDENT_B),
                (cp2, alice, None, "rfid", "completed", 30_000, "04A1B2C3"),
                (cp2, carol, None, "app", "completed", 500, "APP0123456789AB"),
                (cp1, None, None, None, "completed", 0, "GARBAGE"),
                (cp2, bob, old.id, "autocharge", "active", 2_000, f"{IDENT_B[:2]}:{IDENT_B[2:4]}"),
                (cp1, alice, ev.id, "autocharge", "active", 100, f"vid:{IDENT_A.lower()}"),
            ]
            rows = []
            for i, (charger, user, vehicle, origin, status, energy, token) in enumerate(specs):
                start = DAY + timedelta(days=i)
                rows.append(
                    Transaction(
                        charger_id=charger,
                        connector_id=1 + i % 2,
                        dedupe_key=f"k{i}",
                        user_id=user,
                        vehicle_id=vehicle,
                        origin=origin,
                        status=status,
                        start_time=start,
                        stop_time=start + timedelta(minutes=30 + i) if status == "completed" else None,
                        energy_wh=energy,
                        id_token=token,
                    )
                )
            session.add_all(rows)
        return Fleet(cp1, cp2, alice, bob, carol, [r.id for r in rows])
