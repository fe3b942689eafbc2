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


@dataclass(frozen=True, slots=True)
class QueueReport:
    name: str
    report: FlushReport

    @property
    def ok(self) -> bool:
        return self.report.waiting == 0 and self.report.dead == 0 and not self.report.errors


async def flush_all(root: Path, *, force: bool = False) -> list[QueueReport]:
    """Flush every queue under ``root`` once (``force``: ignore backoff)."""
    return [QueueReport("webhook", await flush_outbox(root, force=force))]


async def flush_forever(root: Path, *, interval: float = FLUSH_INTERVAL) -> None:
    """The worker's background flusher; runs until cancelled, never raises."""
    while True:
        with contextlib.suppress(Exception):
            for queue in await flush_all(root):
                if queue.report.errors:
                    # receiver URLs and HTTP statuses only, no candidate data
                    logger.warning("mockflow: %s delivery failed: %s", queue.name,
                                   "; ".join(queue.report.errors[:3]))
        await asyncio.sleep(interval)
