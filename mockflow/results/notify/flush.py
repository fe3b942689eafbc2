"""Send what is waiting on disk to go out: ``mockflow sessions --flush`` and the worker's
background loop call ``flush_all``. Each queue adds itself here (the webhook outbox
today; a results store's upload queue can join it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from mockflow.results.notify.webhook import FlushReport, flush_outbox

logger = logging.getLogger("mockflow.results")
FLUSH_INTERVAL = 30.0  # seconds between background flushes


INTERACTIVE_DEADLINE = 5.0  # seconds a command a person waits on may spend sending


@dataclass(frozen=True, slots=True)
class QueueReport:
    name: str
    report: FlushReport

    @property
    def ok(self) -> bool:
        """Nothing undeliverable and nothing overdue (failed and still waiting)."""
        return self.report.ok


async def flush_all(root: Path, *, force: bool = False,
                    deadline: float | None = None) -> list[QueueReport]:
    """Flush every queue under ``root`` once, each item on its own schedule (``force``:
    ignore back-off), within ``deadline`` seconds in total (None: no total bound)."""
    return [QueueReport("webhook", await flush_outbox(root, force=force, deadline=deadline))]


async def flush_forever(root: Path, *, interval: float = FLUSH_INTERVAL) -> None:
    """The worker's background flusher; runs until cancelled, never raises."""
    while True:
        with contextlib.suppress(Exception):
            for queue in await flush_all(root, deadline=interval):
                if queue.report.errors:
                    # receiver URLs and HTTP statuses only, no candidate data
                    logger.warning("mockflow: %s delivery failed: %s", queue.name,
                                   "; ".join(queue.report.errors[:3]))
        await asyncio.sleep(interval)
