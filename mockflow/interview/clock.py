"""A clock for simulations, tests and benchmarks: it only moves when told to."""

from __future__ import annotations


class VirtualClock:
    """Pass it as the engine's and agent's ``clock``; ``advance`` moves time on."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    @property
    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock doesn't go backwards")
        self._now += seconds

    def advance_to(self, when: float) -> None:
        """Move to ``when`` unless the clock is already past it."""
        self._now = max(self._now, when)
