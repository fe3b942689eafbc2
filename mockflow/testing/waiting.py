"""Waiting in tests without timing anything: an event loop with a hang guard, and a wait
for a condition. The bounds are generous on purpose (the suite runs on busy machines,
under pytest-xdist); they catch a hang, they never assert how fast something was.
Standard library only: importing it loads no livekit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
HANG_GUARD_S = 120.0  # one test's event loop
UNTIL_S = 20.0  # one condition


def run(coro: Awaitable[T], timeout: float = HANG_GUARD_S) -> T:
    """``asyncio.run(coro)`` with a hang guard (a generous bound, not a timing check)."""
    async def guarded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(guarded())


async def until(check: Callable[[], bool], timeout: float = UNTIL_S,
                poll: float = 0.02) -> None:
    """Wait until ``check()`` holds (hang guard: ``timeout``)."""
    async def wait() -> None:
        while not check():
            await asyncio.sleep(poll)

    await asyncio.wait_for(wait(), timeout)
