"""Demo chargers: vendors, OCPP versions, Auto Charge support, connectors."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Profile:
    """A charger model as sold: what it is and how it behaves."""

    vendor: str
    model: str
    code: str  # charge box id prefix
    dc: bool
    power_kw: float
    connectors: int
    support: str  # Auto Charge support as the operator recorded it
    weight: int


# DC chargers read the EV's MAC over the charging cable (DIN 70121 / ISO 15118), so Auto Charge
# is mostly a DC feature; AC wallboxes mostly cannot, and some are simply not yet known.
PROFILES = (
    Profile("Alpitronic", "HYC300", "ALP", True, 300, 2, "supported", 6),
    Profile("Kempower", "S-Series Satellite", "KEM", True, 150, 2, "supported", 6),
    Profile("ABB", "Terra 184", "ABB", True, 180, 2, "supported", 5),
    Profile("Ekoenergetyka", "Axon Side 60", "EKO", True, 60, 1, "unknown", 2),
    Profile("Tritium", "RTM75", "TRI", True, 75, 1, "supported", 3),
    Profile("Alfen", "Eve Double Pro-line", "ALF", False, 22, 2, "unsupported", 10),
    Profile("Wallbox", "Commander 2", "WBX", False, 22, 1, "unsupported", 6),
    Profile("Zaptec", "Pro", "ZAP", False, 22, 1, "unsupported", 7),
    Profile("Easee", "Charge", "EAS", False, 22, 1, "unknown", 5),
    Profile("KEBA", "KeContact P30", "KEB", False, 11, 1, "unsupported", 6),
    Profile("Mennekes", "AMTRON Professional", "MEN", False, 22, 2, "unknown", 4),
)
# The first chargers cover every kind, so even a tiny demo database shows all of them.
FIRST = (("ALP", "2.0.1"), ("KEM", "1.6"), ("ALF", "1.6"), ("EAS", "2.0.1"), ("ZAP", "2.0.1"))
FIRMWARE = {"1.6": ("1.8.3", "2.1.0", "3.4.12", "5.22.1"), "2.0.1": ("6.0.4", "6.2.1", "7.1.0")}


@dataclass
class Charger:
    """What the session generator needs to know about a demo charger."""

    id: int
    version: str
    profile: Profile
    accepted: bool
    online: bool
    connectors: list[int] = field(default_factory=list)

    @property
    def autocharge(self) -> bool:
        """Tell whether sessions here may start by Auto Charge."""
        return self.profile.support == "supported"


def default_count(users: int) -> int:
    """Return how many chargers a demo with this many users gets: one per 50 users, 10 to 2000."""
    return max(10, min(2000, users // 50))


def _profile(rng: random.Random, index: int) -> tuple[Profile, str]:
    """Return the model and OCPP version of the index-th demo charger."""
    if index < len(FIRST):
        code, version = FIRST[index]
        return next(p for p in PROFILES if p.code == code), version
    profile = rng.choices(PROFILES, weights=[p.weight for p in PROFILES])[0]
    return profile, "2.0.1" if rng.random() < 0.4 else "1.6"


def make_chargers(rng: random.Random, count: int, first_id: int, until: datetime) -> tuple[list[Charger], list[dict]]:
    """Return the demo chargers and their rows (about 1% pending and 1% rejected when there are many)."""
    chargers, rows = [], []
    for index in range(count):
        charger_id = first_id + index
        profile, version = _profile(rng, index)
        registration = "accepted"
        if index >= len(FIRST) and count >= 50:
            registration = rng.choices(("accepted", "pending", "rejected"), weights=(98, 1, 1))[0]
        online = registration == "accepted" and rng.random() < 0.92
        last_seen = until - timedelta(seconds=rng.randint(5, 280) if online else rng.randint(3600, 30 * 86400))
        charger = Charger(charger_id, version, profile, registration == "accepted", online)
        if charger.accepted:
            charger.connectors = list(range(1, profile.connectors + 1))
        chargers.append(charger)
        rows.append(
            {
                "id": charger_id,
                "charge_box_id": f"{profile.code}-{charger_id:05d}",
                "vendor": profile.vendor,
                "model": profile.model,
                "serial": f"{profile.code}{rng.randrange(10**9):09d}",
                "firmware": rng.choice(FIRMWARE[version]),
                "ocpp_version": version,
                "registration": registration,
                "autocharge": profile.support,
                "password_hash": None,
                "online": online,
                "connection_id": None,
                "last_seen": last_seen.replace(microsecond=0),
                "last_boot": (last_seen - timedelta(days=rng.randint(0, 60), seconds=rng.randint(0, 86400))).replace(
                    microsecond=0
                ),
                "created_at": (until - timedelta(days=rng.randint(380, 900))).replace(microsecond=0),
            }
        )
    return chargers, rows


def place(version: str, connector: int) -> dict:
    """Return the columns naming a demo connector: a 1.6 connector, or a 2.0.1 EVSE's one connector."""
    return (
        {"evse_id": None, "connector_id": connector} if version == "1.6" else {"evse_id": connector, "connector_id": 1}
    )


def connector_rows(
    chargers: list[Charger], busy: set[tuple[int, int]], rng: random.Random, until: datetime
) -> list[dict]:
    """Return the connectors' last reported status: charging where a demo session is active."""
    rows = []
    for charger in chargers:
        for connector in charger.connectors:
            if (charger.id, connector) in busy:
                # 2.0.1 reports the connector as Occupied; the charging state is in the transaction.
                status = "Charging" if charger.version == "1.6" else "Occupied"
            elif not charger.online:
                status = "Unavailable"
            else:
                status = rng.choices(("Available", "Faulted", "Unavailable"), weights=(96, 2, 2))[0]
            rows.append(
                {
                    "charger_id": charger.id,
                    **place(charger.version, connector),
                    "status": status,
                    "error_code": "GroundFailure" if status == "Faulted" else None,
                    "updated_at": (until - timedelta(minutes=rng.randint(1, 600))).replace(microsecond=0),
                }
            )
    return rows
