"""The locks (requirements*.txt) hold exactly what requirements*.in need, with hashes, and are what is installed.

Offline: the packages' own metadata, read from the environment the test runs in, stands in for the index. `make
check-lock` (in .ci/run) is the online check that `make lock` would write the same files.
"""

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"requirements.in": "requirements.txt", "requirements-dev.in": "requirements-dev.txt"}
# A venv's own tools, made by `python -m venv`, not by the lock (pip freeze leaves them out too).
VENV_OWN = {"pip", "setuptools"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def read_in(name: str) -> list[Requirement]:
    """Return the requirements of a requirements*.in file, following its -r includes (-c lines are the lock)."""
    found = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line.startswith("-r "):
            found += read_in(line[3:].strip())
        elif line and not line.startswith(("#", "-c ")):
            found.append(Requirement(line))
    return found


def read_lock(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """Return a lock as {canonical name: (version, hashes)}."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if match := _PIN.match(line):
            current = canonicalize_name(match[1])
            pins[current] = (match[2], frozenset())
        elif current and line.strip().startswith("--hash="):
            version, hashes = pins[current]
            pins[current] = (version, hashes | {line.strip().rstrip(" \\").removeprefix("--hash=")})
    return pins


def needs(req: Requirement, extras: frozenset[str]) -> bool:
    """Tell whether a Requires-Dist entry applies here (this Python and platform, the extras asked for)."""
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": extra}) for extra in extras or {""})


def closure(top: list[Requirement], pins: dict) -> tuple[set[str], list[str]]:
    """Return what `top` needs, transitively (from the installed metadata), and the pins that break a specifier."""
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(req, None) for req in top]
    broken = []
    while todo:
        req, parent = todo.pop()
        name = canonicalize_name(req.name)
        version = pins.get(name, (None,))[0]
        if version is None or not req.specifier.contains(version, prereleases=True):
            broken.append(f"{parent or 'the .in file'} needs {req}, the lock has {version}")
            continue
        key = (name, frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        for dep in metadata.requires(name) or []:
            dep = Requirement(dep)
            if needs(dep, frozenset(req.extras)):
                todo.append((dep, name))
    return {name for name, _ in seen}, broken


@pytest.mark.parametrize("source, lock", LOCKS.items())
def test_the_lock_holds_exactly_what_the_list_needs(source, lock):
    pins = read_lock(lock)
    needed, broken = closure(read_in(source), pins)
    assert not broken, f"{lock} does not satisfy {source} (run make lock): " + "; ".join(broken)
    extra = sorted(set(pins) - needed)
    assert not extra, f"{lock} pins what nothing in {source} needs (run make lock): {', '.join(extra)}"


@pytest.mark.parametrize("lock", LOCKS.values())
def test_every_pin_has_a_hash(lock):
    assert [name for name, (_, hashes) in read_lock(lock).items() if not hashes] == []


def test_the_dev_lock_pins_the_runtime_packages_alike():
    dev = read_lock("requirements-dev.txt")
    assert {name: pin for name, pin in read_lock("requirements.txt").items() if dev.get(name) != pin} == {}


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="not in a virtualenv made by make")
def test_the_environment_is_the_dev_lock():
    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    for name in VENV_OWN:
        installed.pop(name, None)
    locked = {name: version for name, (version, _) in read_lock("requirements-dev.txt").items()}
    assert installed == locked, "the virtualenv is not the lock: run make .venv/.dev-deps"
