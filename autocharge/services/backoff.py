"""Slowing down repeated failures (wrong charger passwords) and rate-limiting rare events (new pending chargers).

Both live in this process's memory: they bound what one process spends on a misbehaving client.
"""

import time
from collections import OrderedDict, deque

MAX_KEYS = 10_000  # keys remembered at most; the least recently failed are forgotten first


class Backoff:
    """Failures per key; after `free` of them each further failure doubles the wait before that key may try again."""

    def __init__(self, base: float = 1.0, free: int = 3):
        self.base, self.free = base, free
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (count, may try again at)

    def wait(self, key: str) -> float:
        """Return the seconds `key` must still wait before its next try (0: it may try now)."""
        found = self._failures.get(key)
        return max(0.0, found[1] - time.monotonic()) if found else 0.0

    def fail(self, key: str, longest: float) -> float:
        """Count a failure of `key`; return the wait it now has (doubling, at most `longest` seconds)."""
        count, until = self._failures.pop(key, (0, 0.0))
        now = time.monotonic()
        if count and now - until > 10 * longest:  # quiet for long: start over
            count = 0
        count += 1
        delay = 0.0 if count <= self.free else min(longest, self.base * 2 ** (count - self.free - 1))
        self._failures[key] = (count, now + delay)
        while len(self._failures) > MAX_KEYS:
            self._failures.popitem(last=False)
        return delay

    def clear(self, key: str) -> None:
        """Forget the failures of `key` (it succeeded)."""
        self._failures.pop(key, None)


class Rate:
    """At most `limit` events per `period` seconds (a sliding window)."""

    def __init__(self, period: float = 60.0):
        self.period = period
        self._events: deque[float] = deque()

    def wait(self, limit: int) -> float:
        """Return the seconds until one more event is allowed (0: now)."""
        now = time.monotonic()
        while self._events and self._events[0] <= now - self.period:
            self._events.popleft()
        if len(self._events) < limit:
            return 0.0
        return self._events[0] + self.period - now

    def record(self) -> None:
        """Count one event now."""
        self._events.append(time.monotonic())
