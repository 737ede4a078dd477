"""Pacing one charger's inbound frames: a token bucket that stops reading the socket when the charger runs ahead.

Not reading is the back-pressure: the kernel's receive buffer fills, TCP's window closes and the charger's own
send blocks. No frame is dropped or reordered; a flooding charger is only answered more slowly.
"""

import time

import gevent


class Pace:
    """Allow `burst` frames at once, then `rate` frames per second; rate 0 turns pacing off."""

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, max(burst, 1.0)
        self.tokens, self.stamp = self.burst, time.monotonic()

    def take(self) -> float:
        """Take one frame's token, sleeping first until one is there; return the seconds slept."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        wait = (1 - self.tokens) / self.rate
        gevent.sleep(wait)
        self.tokens, self.stamp = 0.0, time.monotonic()
        return wait
