"""The README's pairing walk-through, followed as printed: its commands, the screens it names, the lines it types."""

import os
import re
import shlex

import sqlalchemy as sa

from autocharge.extensions import db
from autocharge.models import PairingSession, Transaction, Vehicle

from .conftest import BackOffice
from .test_simulate_cli import ROOT, Output

SECTION = (ROOT / "README.md").read_text().split("## Trying it without a charger: the simulator\n")[1].split("\n## ")[0]


def fenced(kind: str) -> list[str]:
    """Return the lines of the section's first fenced block of `kind` (sh, text), unindented."""
    body = re.search(rf"^ *```{kind}\n(.*?)^ *```", SECTION, re.MULTILINE | re.DOTALL).group(1)
    return [line.strip() for line in body.splitlines() if line.strip()]


def link(html: str, label: str) -> str:
    """Return the href of the link whose text is `label`."""
    return re.search(rf'href="([^"]+)"[^>]*>\s*{re.escape(label)}\s*<', html).group(1)


def follow_the_screens(office: BackOffice) -> int:
    """Do step 3 (Users -> Add user ... -> Start pairing on CP-1); return the pairing's id."""
    add_user = link(office.get("/users/"), "Add user")
    office.get(add_user)
    office.post(add_user, name="Jane Doe", email="jane@example.com")
    vehicles = link(office.get("/users/"), "Vehicles")  # the ⋯ menu -> Assets -> Vehicles
    add_vehicle = link(office.get(vehicles), "Add Vehicle")
    office.get(add_vehicle)
    choose = office.post(add_vehicle, plate="B-EV 1", then="pair")  # the Pair button
    cp1 = re.search(r'name="charger_id" value="(\d+)"([^>]*)>\s*<strong>CP-1</strong>', choose)
    assert cp1 is not None and "disabled" not in cp1.group(2), choose  # online, so it can be chosen
    assert "Start pairing" in choose
    panel = office.post(office.path, charger_id=cp1.group(1))
    assert "Plug the EV into CP-1 now" in panel
    return int(re.fullmatch(r"/pairing/(\d+)", office.path).group(1))


def test_the_readme_pairing_walk_through_works_as_printed(commands, live_server_factory, database_url, in_db):
    server = live_server_factory(database_url)  # step 1: make run, on the test's database and port
    password = re.search(r"created admin admin@localhost with password (\S+)", server.output()).group(1)
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test", "PORT": str(server.port)}
    env.pop("HOST", None)
    printed = [shlex.split(line, comments=True) for line in fenced("sh")]  # step 2
    assert [words[0] for words in printed] == [".venv/bin/flask", ".venv/bin/flask"]
    added = commands.run(printed[0], env)  # each a process of its own, run as printed from the project's folder
    assert added.returncode == 0, added.stdout + added.stderr
    assert "--stay" in printed[1]
    proc = commands.popen(printed[1], env, stdin=True)
    out = Output(proc)
    try:
        out.wait_for("Staying connected")
        office = BackOffice(server.url).login("admin@localhost", password)
        assert office.path.startswith("/chargers"), "the printed password did not log in"
        pairing_id = follow_the_screens(office)
        type_the_lines(proc, out, office, pairing_id)
        assert proc.wait(20) == 0, "".join(out.lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdin.close()
        proc.stdout.close()
    check_the_outcome(in_db)


def type_the_lines(proc, out: Output, office: BackOffice, pairing_id: int) -> None:
    """Do step 4: type each line as printed, waiting for the simulator to carry it out."""
    plugs = unplugs = 0
    for line in fenced("text"):
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        command = line.split()[0]
        if command == "plug":
            plugs += 1
            out.wait_for("Charging; meter values follow.", count=plugs)
        elif command == "unplug":
            unplugs += 1
            out.wait_for("StopTransaction", count=unplugs)
            out.wait_for("StatusNotification connector 1: Available", count=unplugs + 1)  # the first at boot
        if plugs == 1 and unplugs == 0:
            status = office.get(f"/pairing/{pairing_id}/status")
            assert 'data-state="paired"' in status and "001A2B3C4D5E" in status.replace(":", "").upper()
            assert "randomized-warning" not in status  # a globally administered MAC: no warning
        if unplugs == 1 and plugs == 1:
            assert "Auto charge" in office.get("/transactions/")
    assert (plugs, unplugs) == (2, 2)
    assert "Not understood" not in "".join(out.lines) and "failed" not in "".join(out.lines)


def check_the_outcome(in_db) -> None:
    """The vehicle is paired, and both sessions were Auto charge sessions of its driver, with that vehicle."""

    def outcome():
        vehicle = db.session.scalars(sa.select(Vehicle)).one()
        pairing = db.session.scalars(sa.select(PairingSession)).one()
        sessions = db.session.scalars(sa.select(Transaction).order_by(Transaction.id)).all()
        return (
            (vehicle.identifier, vehicle.status, pairing.state),
            [(tx.origin, tx.status, tx.vehicle_id == vehicle.id, tx.user_id == vehicle.user_id) for tx in sessions],
        )

    paired, sessions = in_db(outcome)
    assert paired == ("001A2B3C4D5E", "active", "paired")
    assert sessions == [("autocharge", "completed", True, True)] * 2
