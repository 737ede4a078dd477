"""What a charger password check costs: one scrypt derivation (the KDF), the legacy SHA-256, and a cache hit.

    .venv/bin/python bench/charger_passwords.py [--rounds 20]

Prints the median and p95 per check and the memory one derivation needs; a reconnect storm of 1,000 chargers
costs about 1,000 x the KDF median divided by the threads of the chargers' pool (AUTOCHARGE_PASSWORD_CHECKS).
"""

import argparse
import hashlib
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from autocharge.services import charger_passwords  # noqa: E402

PASSWORD = "sixteen+chars-secret"


def timed(fn, rounds: int) -> list[float]:
    """Return the milliseconds each of `rounds` calls of fn took."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    """Print the median and p95 of a list of timings."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"{label:<34} median {statistics.median(times):8.3f} ms   p95 {p95:8.3f} ms")


def main() -> None:
    """Time the three ways a charger's password is checked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    stored = charger_passwords.hash_charger_password(PASSWORD)
    legacy = "sha256$00112233$" + hashlib.sha256(("00112233" + PASSWORD).encode()).hexdigest()
    cache = charger_passwords.VerifiedCache()
    cache.remember("CP-1", stored, PASSWORD)
    n, r = charger_passwords.N, charger_passwords.R
    print(
        f"scrypt N=2**{n.bit_length() - 1}, r={r}, p={charger_passwords.P}: {128 * n * r / 2**20:.0f} MiB per derivation"
    )
    report("scrypt check (KDF)", timed(lambda: charger_passwords.check_charger_password(stored, PASSWORD), rounds))
    report(
        "legacy salted SHA-256 check", timed(lambda: charger_passwords.check_charger_password(legacy, PASSWORD), rounds)
    )
    report("verified-cache hit (reconnect)", timed(lambda: cache.hit("CP-1", stored, PASSWORD), rounds))


if __name__ == "__main__":
    main()
