"""Demo charging sessions: transactions of every origin, consistent with users and vehicles, and meter samples."""

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .fleet import Charger, place
from .people import Driver, Window

EPOCH = datetime(1970, 1, 1)
DAY = 86400.0
# Arrivals per hour of the day: a morning and an evening peak, quiet nights.
HOURLY = (1, 1, 1, 1, 1, 2, 4, 7, 9, 8, 6, 5, 5, 5, 5, 6, 7, 9, 9, 7, 5, 4, 3, 2)
TAPER_FROM = 0.7  # share of the charging time at full power, then power falls linearly to TAPER_TO
TAPER_TO = 0.3
SHAPE_AREA = TAPER_FROM + (1 - TAPER_FROM) * (1 + TAPER_TO) / 2  # mean power / full power
# A 2.0.1 charger reports one of these idToken types; 1.6 idTags have no type.
TOKEN_TYPES = {"autocharge": "MacAddress", "rfid": "ISO14443", "app": "Central"}


def to_datetime(seconds: float) -> datetime:
    """Return the naive UTC datetime `seconds` after the epoch, to the second."""
    return EPOCH + timedelta(seconds=round(seconds))


def to_seconds(moment: datetime) -> float:
    """Return a naive UTC datetime as seconds after the epoch."""
    return (moment - EPOCH).total_seconds()


def charged_share(x: float) -> float:
    """Return the share of a session's energy delivered after share `x` of its charging time."""
    x = min(max(x, 0.0), 1.0)
    if x <= TAPER_FROM:
        return x / SHAPE_AREA
    y = x - TAPER_FROM
    slope = (1 - TAPER_TO) / (1 - TAPER_FROM)
    return (TAPER_FROM + y - slope * y * y / 2) / SHAPE_AREA


def power_share(x: float) -> float:
    """Return power as a share of full power after share `x` of the charging time (0 once done)."""
    if x >= 1:
        return 0.0
    if x <= TAPER_FROM:
        return 1.0
    return 1 - (x - TAPER_FROM) / (1 - TAPER_FROM) * (1 - TAPER_TO)


@dataclass
class Plan:
    """How many sessions, over which period, and which get meter samples."""

    count: int
    until: datetime
    days: int = 365
    sample_fraction: float = 0.1  # of sessions older than `recent_days`; newer ones always get samples
    recent_days: int = 30
    batch: int = 5000


@dataclass
class Batch:
    """The rows of one batch of sessions."""

    transactions: list[dict] = field(default_factory=list)
    remote_starts: list[dict] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)


def start_times(rng: random.Random, plan: Plan) -> tuple[list[float], set[float]]:
    """Return the sessions' start times (epoch seconds, sorted) and the few in the last hour kept active."""
    end = to_seconds(plan.until)
    first_day = math.floor((end - plan.days * DAY) / DAY) * DAY
    hours = rng.choices(range(24), weights=HOURLY, k=plan.count)
    starts = []
    for hour in hours:
        while True:
            t = first_day + rng.randrange(plan.days + 1) * DAY + hour * 3600 + rng.random() * 3600
            if end - plan.days * DAY <= t < end - 60:
                break
            hour = rng.randrange(24)
        starts.append(t)
    starts.sort()
    # However few sessions there are, a few are still charging, so the screens show active ones.
    forced = {end - rng.uniform(600, 4800) for _ in range(min(3, plan.count // 10))}
    if forced:
        starts[-len(forced) :] = forced
        starts.sort()
    return starts, forced


class Sessions:
    """Generate transactions chronologically (ids follow start times) with no overlap on a connector."""

    def __init__(
        self, rng: random.Random, plan: Plan, chargers: list[Charger], drivers: list[Driver], ids: dict[str, int]
    ):
        self.rng, self.plan, self.ids = rng, plan, dict(ids)
        self.accepted = [c for c in chargers if c.accepted and c.connectors]
        self.drivers = drivers
        self.cum_weights = list(_accumulate(d.weight for d in drivers))
        self.busy: dict[tuple[int, int], float] = {}  # (charger, connector) -> busy until
        self.registers: dict[tuple[int, int], float] = {}  # (charger, connector) -> meter register, Wh
        self.active: set[tuple[int, int]] = set()
        self.end = to_seconds(plan.until)
        self.recent = self.end - plan.recent_days * DAY
        self.blocked_since = self.end - 45 * DAY  # blocked drivers stopped charging about then

    def batches(self) -> Iterator[Batch]:
        """Yield the sessions in batches of `plan.batch`."""
        if not self.accepted or not self.drivers:
            return
        starts, forced = start_times(self.rng, self.plan)
        picks = self.rng.choices(self.drivers, cum_weights=self.cum_weights, k=len(starts))
        batch = Batch()
        for t, driver in zip(starts, picks, strict=True):
            if driver.blocked and t > self.blocked_since:
                driver = self._unblocked()
            self._session(batch, t, driver, t in forced)
            if len(batch.transactions) == self.plan.batch:
                yield batch
                batch = Batch()
        if batch.transactions:
            yield batch

    def _unblocked(self) -> Driver:
        """Return a random driver who is not blocked (or anyone, when everyone is)."""
        for _ in range(20):
            driver = self.rng.choices(self.drivers, cum_weights=self.cum_weights)[0]
            if not driver.blocked:
                return driver
        return driver

    def _place(self, driver: Driver, t: float) -> tuple[Charger, int]:
        """Return a charger and a free connector for a session starting at t: mostly one of the driver's usual."""
        charger = driver.home[0]
        for attempt in range(8):
            usual = attempt < 4 and self.rng.random() < 0.8
            charger = self.rng.choice(driver.home if usual else self.accepted)
            if not charger.connectors:
                continue
            for connector in charger.connectors:
                if self.busy.get((charger.id, connector), 0.0) <= t:
                    return charger, connector
        # Every candidate busy: a tiny fleet for this many sessions; share a connector rather than fail.
        charger = self.rng.choice(self.accepted)
        return charger, charger.connectors[0]

    def _origin(self, driver: Driver, charger: Charger, moment: datetime) -> tuple[str, Window | None]:
        """Return how the session was authorised: by a paired vehicle, an RFID card, or from the app."""
        if charger.autocharge and driver.windows:
            live = [w for w in driver.windows if w.start <= moment and (w.end is None or moment < w.end)]
            if live and self.rng.random() < 0.9:
                return "autocharge", self.rng.choice(live)
        if driver.tags and self.rng.random() < 0.8:
            return "rfid", None
        return "app", None

    def _next(self, table: str) -> int:
        """Return the next explicit id of a table."""
        value = self.ids[table]
        self.ids[table] += 1
        return value

    def _session(self, batch: Batch, t: float, driver: Driver, forced_active: bool) -> None:
        """Append one session's transaction, remote start and samples to the batch."""
        charger, connector = self._place(driver, t)
        start = to_datetime(t)
        origin, window = self._origin(driver, charger, start)
        charge = _profile(self.rng, charger)
        stop = t + charge.charging_s + charge.idle_s
        active = forced_active or stop > self.end
        elapsed = (self.end - t) if active else stop - t
        delivered = charge.energy_wh * charged_share(elapsed / charge.charging_s)
        meter_start = self._meter(charger.id, connector, delivered, None if active else stop)
        tx_id = self._next("transaction")
        token = self._token(batch, origin, window, driver, charger, connector, tx_id, start)
        ocpp_tx_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) if charger.version == "2.0.1" else None
        batch.transactions.append({
            "id": tx_id, "charger_id": charger.id, **place(charger.version, connector),
            "dedupe_key": ocpp_tx_id or f"{connector}|{token}|{start.isoformat()}Z", "ocpp_tx_id": ocpp_tx_id,
            "user_id": driver.id, "vehicle_id": window.vehicle_id if window else None, "origin": origin,
            "id_token": token, "id_token_type": TOKEN_TYPES[origin] if ocpp_tx_id else None, "auth_status": "Accepted",
            "status": "active" if active else "completed", "start_time": start,
            "stop_time": None if active else to_datetime(stop), "meter_start": int(meter_start),
            "meter_stop": None if active else int(meter_start) + int(delivered), "energy_wh": int(delivered),
            "stop_reason": None if active else _stop_reason(self.rng, origin),
            "updated_at": to_datetime(t + elapsed),
        })  # fmt: skip
        if t >= self.recent or self.rng.random() < self.plan.sample_fraction:
            batch.samples.extend(_samples(self.rng, tx_id, t, elapsed, active, meter_start, charge))

    def _meter(self, charger_id: int, connector: int, delivered: float, stop: float | None) -> float:
        """Return the connector's meter register at the session's start; keep the connector busy until `stop`."""
        key = (charger_id, connector)
        meter_start = self.registers.get(key, self.rng.uniform(1e5, 5e6))
        self.registers[key] = meter_start + delivered
        self.busy[key] = math.inf if stop is None else stop + 60
        if stop is None:
            self.active.add(key)
        return meter_start

    def _token(
        self,
        batch: Batch,
        origin: str,
        window: Window | None,
        driver: Driver,
        charger: Charger,
        connector: int,
        tx_id: int,
        start: datetime,
    ) -> str:
        """Return the id token the charger sent; an app start also leaves its one-time RemoteStart row."""
        if origin == "autocharge":
            return ("VID:" if charger.version == "1.6" else "") + window.identifier
        if origin == "rfid":
            return self.rng.choice(driver.tags)
        remote_id = self._next("remote_start")
        # An odd multiplier is a bijection modulo 2**48: distinct ids give distinct one-time tokens.
        token = f"APP{remote_id * 0x9E3779B97F4B % (1 << 48):012X}"
        created = start - timedelta(seconds=self.rng.randint(2, 20))
        batch.remote_starts.append(
            {
                "id": remote_id,
                "charger_id": charger.id,
                "connector_id": connector,
                "user_id": driver.id,
                "admin_id": None,
                "id_token": token,
                "created_at": created,
                "expires_at": created + timedelta(minutes=5),
                "transaction_id": tx_id,
            }
        )
        return token


def _accumulate(values) -> Iterator[float]:
    """Yield running totals."""
    total = 0.0
    for value in values:
        total += value
        yield total


@dataclass(slots=True)
class Charge:
    """How a session charges: full power, energy wanted, time charging and time plugged in after."""

    full_kw: float
    energy_wh: float
    charging_s: float
    idle_s: float


def _profile(rng: random.Random, charger: Charger) -> Charge:
    """Return how a session charges on this charger: DC fast and short, AC slower and often left plugged in."""
    if charger.profile.dc:
        full_kw = min(charger.profile.power_kw, rng.choice((50, 100, 135, 150, 170, 250))) * rng.uniform(0.85, 1)
        energy_wh = rng.uniform(8000, 60000)
        idle_s = rng.uniform(60, 900)
    else:
        full_kw = min(charger.profile.power_kw, rng.choice((3.7, 7.4, 11, 11, 11, 22))) * rng.uniform(0.9, 1)
        energy_wh = rng.uniform(4000, 45000)
        idle_s = rng.choice((rng.uniform(0, 1800), rng.uniform(1800, 14400), rng.uniform(14400, 43200)))
    charging_s = energy_wh / (full_kw * 1000 * SHAPE_AREA) * 3600
    return Charge(full_kw, energy_wh, charging_s, idle_s)


def _stop_reason(rng: random.Random, origin: str) -> str:
    """Return why a completed session stopped."""
    if origin == "app" and rng.random() < 0.5:
        return "Remote"
    return rng.choices(("EVDisconnected", "Local", "StoppedByEV", "PowerLoss"), weights=(70, 22, 7, 1))[0]


def _samples(
    rng: random.Random, tx_id: int, t: float, elapsed: float, active: bool, meter_start: float, charge: Charge
) -> list[dict]:
    """Return energy and power readings every 5-15 minutes from the start, and one at the stop."""
    interval = rng.randint(5, 15) * 60
    offsets = [float(k * interval) for k in range(int(elapsed // interval) + 1)]
    if not active and elapsed - offsets[-1] >= 1:
        offsets.append(elapsed)
    rows = []
    for offset in offsets:
        x = offset / charge.charging_s
        power = charge.full_kw * 1000 * power_share(x) * (rng.uniform(0.97, 1.03) if x < 1 else 1)
        rows.append({
            "transaction_id": tx_id, "timestamp": to_datetime(t + offset),
            "energy_wh": round(meter_start + charge.energy_wh * charged_share(x), 1), "power_w": round(power, 1),
            "soc": None,
        })  # fmt: skip
    return rows
