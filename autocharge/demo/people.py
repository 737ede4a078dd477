"""Demo drivers: users, RFID tags and vehicles with Auto Charge identifiers."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .fleet import Charger
from .names import new_person, new_plate

# What a user owns, with weights: most have one paired car, some a car waiting for pairing, some replaced
# their car (old one retired, new one active), some have two cars, a few only a sold one.
SCENARIOS = {"none": 30, "active": 48, "pending": 8, "replaced": 6, "two": 4, "active+pending": 2, "sold": 2}


@dataclass(slots=True)
class Window:
    """When a vehicle could start sessions by Auto Charge: from pairing until retirement (None: still active)."""

    vehicle_id: int
    identifier: str
    start: datetime
    end: datetime | None


@dataclass(slots=True)
class Driver:
    """What the session generator needs to know about a demo user."""

    id: int
    weight: float
    blocked: bool
    home: list[Charger]
    tags: list[str] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)


@dataclass
class Taken:
    """Values that must stay unique, including those already in the database."""

    emails: set[str]
    tags: set[str]
    plates: set[str]  # keys of active and pending vehicles
    identifiers: set[str]  # every identifier ever used, so new ones are fresh
    active: set[str]  # identifiers of active vehicles
    sold: list[tuple[str, datetime]] = field(default_factory=list)  # retired identifiers a new owner may pair


class People:
    """Generate users, tags and vehicles with consecutive explicit ids."""

    def __init__(self, rng: random.Random, chargers: list[Charger], taken: Taken, ids: dict[str, int], until: datetime):
        self.rng, self.taken, self.ids, self.until = rng, taken, dict(ids), until
        self.accepted = [c for c in chargers if c.accepted] or chargers
        self.supported = [c for c in self.accepted if c.autocharge] or self.accepted
        self.users: list[dict] = []
        self.tags: list[dict] = []
        self.vehicles: list[dict] = []

    def _next(self, table: str) -> int:
        """Return the next explicit id of a table."""
        value = self.ids[table]
        self.ids[table] += 1
        return value

    def _days_ago(self, low: float, high: float) -> datetime:
        """Return a moment between `high` and `low` days before the end of the demo, to the second."""
        return _second(self.until - timedelta(days=self.rng.uniform(low, high)))

    def driver(self) -> Driver:
        """Generate one user with tags and vehicles; their rows are appended to the lists of rows."""
        rng = self.rng
        name, email = new_person(rng, self.taken.emails)
        created = self._days_ago(370, 1000)
        status = "blocked" if rng.random() < 0.03 else "active"
        user_id = self._next("user")
        self.users.append({"id": user_id, "name": name, "email": email, "status": status, "created_at": created})
        driver = Driver(user_id, rng.lognormvariate(0, 0.9), status == "blocked", [])
        for _ in range(rng.choices((0, 1, 2), weights=(7, 85, 8))[0]):
            driver.tags.append(self._tag(user_id, created))
        self._vehicles(driver, rng.choices(list(SCENARIOS), weights=list(SCENARIOS.values()))[0], created)
        pool = self.supported if driver.windows else self.accepted
        driver.home = [rng.choice(pool if rng.random() < 0.8 else self.accepted) for _ in range(rng.randint(1, 3))]
        return driver

    def _tag(self, user_id: int, created: datetime) -> str:
        """Add a fresh RFID tag (4- or 7-byte UID in hex) and return it."""
        while True:
            tag = f"{self.rng.getrandbits(32):08X}" if self.rng.random() < 0.6 else f"{self.rng.getrandbits(56):014X}"
            if tag not in self.taken.tags:
                break
        self.taken.tags.add(tag)
        self.tags.append({"id": self._next("rfid_tag"), "user_id": user_id, "tag": tag, "created_at": created})
        return tag

    def _vehicles(self, driver: Driver, scenario: str, created: datetime) -> None:
        """Add the vehicles of one ownership scenario."""
        if scenario in ("active", "two", "active+pending"):
            self._active(driver, self._days_ago(20, 700))
        if scenario == "two":
            self._active(driver, self._days_ago(20, 500))
        if scenario in ("pending", "active+pending"):
            self._row(driver.id, "pending", self._days_ago(0, 20))
        if scenario == "replaced":
            retired = self._days_ago(30, 330)
            old = self._paired(driver, _second(retired - timedelta(days=self.rng.uniform(60, 600))), retired)
            self._active(driver, retired, replaces=old)
        if scenario == "sold":
            retired = self._days_ago(10, 280)
            self._paired(driver, _second(retired - timedelta(days=self.rng.uniform(60, 600))), retired)

    def _active(self, driver: Driver, paired: datetime, replaces: int | None = None) -> int:
        """Add an active vehicle paired at `paired` (maybe with the identifier of a car someone sold)."""
        return self._paired(driver, paired, None, replaces)

    def _paired(self, driver: Driver, paired: datetime, retired: datetime | None, replaces: int | None = None) -> int:
        """Add a paired vehicle, active or (when `retired` is set) retired; return its id."""
        identifier = self._identifier(paired, active=retired is None)
        charger = self.rng.choice(self.supported)
        vehicle_id = self._row(
            driver.id,
            "retired" if retired else "active",
            _second(paired - timedelta(days=self.rng.uniform(0, 5))),
            identifier=identifier,
            raw=_raw(self.rng, identifier, charger.version),
            paired=paired,
            charger_id=charger.id,
            replaces=replaces,
            retired=retired,
        )
        driver.windows.append(Window(vehicle_id, identifier, paired, retired))
        if retired is not None and self.rng.random() < 0.5:
            self.taken.sold.append((identifier, retired))
        return vehicle_id

    def _identifier(self, paired: datetime, active: bool) -> str:
        """Return an identifier: mostly a fresh universally administered MAC, sometimes a sold car's."""
        sold = self.taken.sold
        if active and sold and self.rng.random() < 0.3 and sold[0][1] < paired and sold[0][0] not in self.taken.active:
            identifier = sold.pop(0)[0]
        else:
            while True:
                # Unicast (bit 0 clear); about 5% locally administered (bit 1 set): randomised MACs.
                first = self.rng.getrandbits(8) & 0xFC | (0x02 if self.rng.random() < 0.05 else 0)
                identifier = f"{first:02X}{self.rng.getrandbits(40):010X}"
                if identifier not in self.taken.identifiers:
                    break
            self.taken.identifiers.add(identifier)
        if active:
            self.taken.active.add(identifier)
        return identifier

    def _row(
        self,
        user_id: int,
        status: str,
        created: datetime,
        identifier: str | None = None,
        raw: str | None = None,
        paired: datetime | None = None,
        charger_id: int | None = None,
        replaces: int | None = None,
        retired: datetime | None = None,
    ) -> int:
        """Append a vehicle row with a fresh plate; return its id."""
        vehicle_id = self._next("vehicle")
        # A retired car's plate no longer counts as taken (the partial unique index agrees).
        plate, key = new_plate(self.rng, self.taken.plates, keep=status != "retired")
        self.vehicles.append(
            {
                "id": vehicle_id,
                "user_id": user_id,
                "plate": plate,
                "plate_key": key,
                "identifier": identifier,
                "identifier_raw": raw,
                "randomized_mac": bool(identifier and int(identifier[:2], 16) & 0x02),
                "status": status,
                "paired_at": paired,
                "paired_charger_id": charger_id,
                "replaces_id": replaces,
                "retired_at": retired,
                "created_at": min(created, paired or created),
            }
        )
        return vehicle_id


def _second(moment: datetime) -> datetime:
    """Return a moment to the second, as the screens show it."""
    return moment.replace(microsecond=0)


def _raw(rng: random.Random, identifier: str, version: str) -> str:
    """Return the identifier as a charger of this OCPP version sent it when the vehicle was paired."""
    if version == "1.6":
        return "VID:" + (identifier if rng.random() < 0.8 else "0000" + identifier)  # some send DIN 70121 EVCCIDs
    if rng.random() < 0.7:
        return identifier
    return ":".join(identifier[i : i + 2] for i in range(0, 12, 2)).lower()


def unknown_rows(
    rng: random.Random, count: int, chargers: list[Charger], taken: Taken, seen: set[tuple[str, str]], until: datetime
) -> list[dict]:
    """Return identifiers and cards that tried to charge and matched nothing (a few retired ones among them)."""
    rows, sold = [], taken.sold
    accepted = [c for c in chargers if c.accepted] or chargers
    for index in range(count):
        charger = rng.choice(accepted)
        if index % 5 == 4:
            value = f"{rng.getrandbits(32):08X}"
            kind, raw, reason = "rfid", value, "unknown"
        elif index % 7 == 6 and sold and sold[-1][0] not in taken.active:
            value = sold[-1][0]
            kind, raw, reason = "vehicle", "VID:" + value, "retired"
        else:
            value = f"{rng.getrandbits(8) & 0xFC:02X}{rng.getrandbits(40):010X}"
            kind, raw, reason = "vehicle", "VID:" + value if charger.version == "1.6" else value, "unknown"
        if (kind, value) in seen or value in taken.active or value in taken.tags:
            continue
        seen.add((kind, value))
        last = (until - timedelta(hours=rng.uniform(0.1, 24 * 60))).replace(microsecond=0)
        rows.append(
            {
                "kind": kind,
                "value": value,
                "raw": raw,
                "attempts": rng.randint(1, 40),
                "charger_id": charger.id,
                "first_seen": (last - timedelta(days=rng.uniform(0, 30))).replace(microsecond=0),
                "last_seen": last,
                "reason": reason,
            }
        )
    return rows
