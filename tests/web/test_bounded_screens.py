"""Every GET screen is bounded by its page: a thousand times more rows cost no more SQL statements and show no
more than a page. Rows are added with Core bulk inserts; statements are counted with a cursor event."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from autocharge.db import utcnow, writing
from autocharge.extensions import db
from autocharge.models import (
    AuditEvent,
    Charger,
    ChargerEvent,
    Connector,
    DeviceReport,
    DeviceVariable,
    UnknownIdentifier,
    User,
    Vehicle,
)
from autocharge.models.charger import AUTOCHARGE_SUPPORT, REGISTRATIONS
from autocharge.services import chargers, local_auth, users

HX = {"HX-Request": "true"}
ROWS_POLL = {**HX, "HX-Target": "charger-rows"}
SMALL, BIG = 30, 3000


@pytest.fixture
def base(app) -> dict:
    """Store what the screens are opened on: an online charger, a driver with a pending vehicle, a refused VID."""
    with app.app_context():
        charger = chargers.add_charger("BASE-1", autocharge="supported")
        local_auth.set_enabled(charger.id, True)
        user = users.add_user("Base Driver", "base@example.com")
        with writing() as session:
            session.get(Charger, charger.id).online = True
            session.add(Connector(charger_id=charger.id, connector_id=1, status="Available"))
            vehicle = Vehicle(user_id=user.id, plate="B-AS 1", plate_key="BAS1")
            refused = UnknownIdentifier(kind="vehicle", value="0A1B2C3D4E5F", raw="0A1B2C3D4E5F", reason="unknown")
            session.add_all([vehicle, refused])
        return {"charger": charger.id, "user": user.id, "vehicle": vehicle.id, "unknown": refused.id}


def grow(app, first: int, count: int) -> None:
    """Add `count` chargers (each with a connector, every fifth faulted), users and refused identifiers."""
    numbers = range(first, first + count)
    now = utcnow()
    with app.app_context(), writing() as session:
        session.execute(
            sa.insert(Charger),
            [
                {
                    "charge_box_id": f"GRW-{i:05d}",
                    "vendor": "Grown",
                    "model": "G1",
                    "serial": f"S{i}",
                    "registration": REGISTRATIONS[i % 3],
                    "online": i % 2 == 0,
                    "last_seen": now - timedelta(minutes=i),  # the Home screen lists the last 10 gone offline
                    "autocharge": AUTOCHARGE_SUPPORT[i // 3 % 3],
                }
                for i in numbers
            ],
        )
        added = session.execute(
            sa.select(Charger.id, Charger.charge_box_id).where(Charger.charge_box_id >= "GRW-")
        ).all()
        session.execute(
            sa.insert(Connector),
            [
                {"charger_id": cid, "connector_id": 1, "status": "Faulted" if int(box[4:]) % 5 == 0 else "Available"}
                for cid, box in added
                if int(box[4:]) in numbers
            ],
        )
        session.execute(
            sa.insert(AuditEvent),
            [
                {"action": "charger.added", "subject_type": "charger", "subject_id": cid, "actor": "system", "at": now}
                for cid, box in added
                if int(box[4:]) in numbers
            ],
        )
        grow_charger_records(session, numbers, now)
        people = [{"name": f"Grown Driver {i:05d}", "email": f"grown{i}@example.com"} for i in numbers]
        session.execute(
            sa.insert(User), [{**p, "status": "blocked" if i % 4 == 0 else "active"} for i, p in enumerate(people)]
        )
        session.execute(
            sa.insert(UnknownIdentifier),
            [
                {
                    "kind": "vehicle" if i % 2 else "rfid",
                    "value": f"{i + 1:012X}",
                    "raw": f"{i + 1:012X}",
                    "reason": "unknown",
                    "last_seen": now - timedelta(seconds=i),
                }
                for i in numbers
            ],
        )


def grow_charger_records(session, numbers: range, now) -> None:
    """Give BASE-1 an event and a device model variable per number (its device model: report 1)."""
    base = session.scalar(sa.select(Charger.id).where(Charger.charge_box_id == "BASE-1"))
    if session.get(DeviceReport, base) is None:
        session.add(DeviceReport(charger_id=base, request_id=1, generated_at=now, variables=0, parts=1))
    kinds = ("boot", "refused", "call_error", "command", "event", "security", "report")
    session.execute(
        sa.insert(ChargerEvent),
        [
            {"charger_id": base, "charge_box_id": "BASE-1", "at": now, "kind": kinds[i % 7], "summary": f"Event {i}"}
            for i in numbers
        ],
    )
    attributes = '[{"type":"Actual","value":"1","mutability":"ReadWrite"},{"type":"MaxSet","value":"9"}]'
    session.execute(
        sa.insert(DeviceVariable),
        [
            {
                "charger_id": base,
                "request_id": 1,
                "seq_no": i // 10,
                "component": f"Ctrlr{i % 50:02d}",
                "variable": f"Var{i:05d}",
                "value": "1",
                "attributes": attributes,
                "characteristics": '{"data_type":"integer","unit":"W"}',
            }
            for i in numbers
        ],
    )


@contextmanager
def counting(app):
    """Collect the SQL statements sent while the block runs."""
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


# name, URL (filled from `base`), headers, a pattern for one shown row or choice, at most how many
SCREENS = (
    ("chargers list", "/chargers/", {}, r'<tr id="charger-\d+"', 50),
    ("chargers faulted", "/chargers/?status=faulted", {}, r'<tr id="charger-\d+"', 50),
    ("chargers searched", "/chargers/?q=grw-0", {}, r'<tr id="charger-\d+"', 50),
    ("chargers offline unknown", "/chargers/?connection=offline&autocharge=unknown", {}, r'<tr id="charger-', 50),
    ("chargers row refresh", "/chargers/?status=accepted&page=2&per_page=10", ROWS_POLL, r'<tr id="charger-', 10),
    # 20 users, and the one connector in each of the start, unlock and trigger forms
    ("charger detail", "/chargers/{charger}", {}, r'<option value="\d+"', 23),
    ("charger status poll", "/chargers/{charger}", HX, r"<tr", 0),
    ("charger local list poll", "/chargers/{charger}/local-list", HX, r"<tr", 0),  # counts pending up to 1001
    ("charger events", "/chargers/{charger}/events", {}, r'<tr id="charger-event-\d+"', 10),
    ("charger events older", "/chargers/{charger}/events?page=3", HX, r'<tr id="charger-event-\d+"', 10),
    ("charger device model", "/chargers/{charger}/device-model", {}, r"<tr>\s*<td><code>", 25),
    ("charger device model search", "/chargers/{charger}/device-model?q=var&page=2", HX, r"<tr>\s*<td><code>", 25),
    ("charger user search", "/chargers/{charger}/start-users?user_q=grown", HX, r'<option value="\d+"', 20),
    ("charger user search, no JS", "/chargers/{charger}?user_q=driver", {}, r'<option value="\d+"', 23),
    ("pair screen", "/users/{user}/vehicles/{vehicle}/pair", {}, r'name="charger_id"', 20),
    ("pair search", "/users/{user}/vehicles/{vehicle}/pair?q=GRW", HX, r'name="charger_id"', 20),
    ("unknown identifiers", "/unknown-identifiers/", {}, r'<tr id="unknown-\d+"', 50),
    ("unknown RFID tags", "/unknown-identifiers/?kind=rfid&page=2&per_page=10", {}, r'<tr id="unknown-\d+"', 10),
    ("unknown pair user search", "/unknown-identifiers/{unknown}/pair?q=grown", {}, r"<li><a href=", 20),
    ("transactions", "/transactions/", {}, r'<option value="\d+"', 0),  # no list of every charger
    ("users", "/users/?q=grown", {}, r'<tr id="user-\d+"', 50),
    ("user edit", "/users/{user}/edit", {}, r'<tr id="user-', 0),
    ("vehicles of a user", "/users/{user}/vehicles/", {}, r"<tr", 5),
    ("chargers new", "/chargers/new", {}, r"<tr", 0),
    ("home", "/", {}, r'<li><a href="/chargers/\d+"', 10),  # counts and sums, and the last 10 gone offline
    ("home figures poll", "/", HX, r'<a class="figure ', 11),
    ("audit", "/audit/", {}, r'<tr id="event-\d+"', 50),
    ("audit by action", "/audit/?action=charger.added&per_page=20", {}, r'<tr id="event-\d+"', 20),
    ("audit about a charger", "/audit/?type=charger&subject={charger}", {}, r'<tr id="event-\d+"', 50),
    ("admins", "/admins/", {}, r'<tr id="admin-\d+"', 1),
    ("my account", "/account", {}, r'<tr id="session-\d+"', 1),
)


def measure(client, app, base: dict) -> dict[str, tuple[int, int]]:
    """Return (statements, rows shown) of every screen."""
    found = {}
    for name, url, headers, row, _ in SCREENS:
        with counting(app) as sent:
            response = client.get(url.format(**base), headers=headers)
        assert response.status_code == 200, (name, response.status_code)
        found[name] = (len(sent), len(re.findall(row, response.get_data(as_text=True))))
    return found


def test_screens_cost_no_more_statements_with_a_hundred_times_the_rows(app, logged_in, base):
    grow(app, 0, SMALL)
    small = measure(logged_in.client, app, base)
    grow(app, SMALL, BIG)
    big = measure(logged_in.client, app, base)
    for name, _, _, _, most in SCREENS:
        # Never more (the Pair screen needs fewer once its first tiers fill the page on their own).
        assert big[name][0] <= small[name][0], f"{name}: {small[name][0]} statements, then {big[name][0]}"
        assert big[name][1] <= most, f"{name} shows {big[name][1]} rows"
    assert big["chargers list"][1] == 50 and big["pair screen"][1] == 20 and big["unknown identifiers"][1] == 50
    assert big["home"][1] == 10 and big["home figures poll"][1] == 11


def test_statements_per_screen_are_few(app, logged_in, base):
    grow(app, 0, SMALL)
    for name, (statements, _) in measure(logged_in.client, app, base).items():
        assert statements <= 10, f"{name} sent {statements} statements"


def test_results_at_scale(app, logged_in, base):
    grow(app, 0, BIG)
    client = logged_in.client
    faulted = client.get("/chargers/?status=faulted&per_page=500").get_data(as_text=True)
    # Every fifth grown charger has a faulted connector, and every second is online: an offline one's is unknown.
    expected = sorted(f"GRW-{i:05d}" for i in range(0, BIG, 10))
    assert f"1–{len(expected)} of {len(expected):,} chargers" in faulted
    assert re.findall(r'data-charge-box-id="([^"]+)"', faulted) == expected
    everything = ["BASE-1"] + [f"GRW-{i:05d}" for i in range(BIG)]
    last = client.get("/chargers/?page=60").get_data(as_text=True)  # the second half: read from the other end
    assert re.findall(r'data-charge-box-id="([^"]+)"', last) == everything[2950:3000]
    assert f"2,951–3,000 of {BIG + 1:,} chargers" in last and "Page 60 of 61" in last
    # The pair screen: the online, accepted, supported base charger first, then what else is usable.
    pair = client.get("/users/{user}/vehicles/{vehicle}/pair".format(**base)).get_data(as_text=True)
    offered = re.findall(r"<strong>([^<]+)</strong>", pair)
    assert offered[0] == "BASE-1" and len(offered) == 20 and f"20 of {BIG + 1:,} chargers shown" in pair
    found = client.get("/users/{user}/vehicles/{vehicle}/pair?q=grw-0299".format(**base), headers=HX)
    html = found.get_data(as_text=True)
    assert sorted(re.findall(r"<strong>([^<]+)</strong>", html)) == [f"GRW-0299{i}" for i in range(10)]
    radios = re.findall(r'<input type="radio" name="charger_id" value="\d+" ([^>]*)>', html)
    usable = [not attrs.startswith("disabled") for attrs in radios]
    assert usable == sorted(usable, reverse=True) and any(usable)  # the usable ones first
    picker = client.get("/chargers/{charger}/start-users?user_q=driver 0012".format(**base), headers=HX)
    names = re.findall(r'<option value="\d+" ?[a-z]*>([^(]+) \(', picker.get_data(as_text=True))
    # Blocked users (every fourth) cannot be started for, so they are not offered.
    assert names == [f"Grown Driver {i:05d}" for i in range(120, 130) if i % 4]
