"""Token buckets: at most ``burst`` requests at once per key, refilled at ``per_second``.

In memory, per ``serve`` process: with several processes behind a load balancer each
counts its own share (docs/candidate.md). The clock is injectable so tests never wait.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    burst: int
    per_second: float

    def describe(self) -> str:
        return f"{self.burst} at once, then one every {1 / self.per_second:g} s"


class TokenBuckets:
    """One bucket per key (a code, a client address). ``take`` answers 0.0 when the
    request may go ahead, else how many seconds until it may."""

    def __init__(self, rate: Rate, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 50_000) -> None:
        if rate.burst < 1 or rate.per_second <= 0:
            raise ValueError("a rate needs a burst of at least 1 and a positive refill")
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float:
        now = self.clock()
        tokens, at = self._buckets.pop(key, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + (now - at) * self.rate.per_second)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            self._trim(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate.per_second

    def _trim(self, now: float) -> None:
        """Bound the memory an address-hopping client can take: forget the buckets that
        have refilled (they hold nothing), then the least recently used."""
        if len(self._buckets) <= self.max_keys:
            return
        full = [k for k, (tokens, at) in self._buckets.items()
                if tokens + (now - at) * self.rate.per_second >= self.rate.burst]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after(wait: float) -> str:
    """A Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))
