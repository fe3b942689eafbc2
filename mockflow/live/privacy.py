"""Keep candidate answers out of logs.

LiveKit attaches transcripts and tool arguments to some of its log records as extra
fields named ``lk.pii.*`` (e.g. the warning it logs when it repairs malformed tool-call
JSON). A JSON log formatter would print them at WARNING. mockflow removes those fields
from records at INFO and above, so answers only ever reach the transcript file; DEBUG
records keep them for local troubleshooting.
"""

from __future__ import annotations

import logging

PII_PREFIX = "lk.pii."
REDACTED_LOGGERS = ("livekit", "livekit.agents", "livekit.plugins", "mockflow")


class RedactPII(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.INFO:
            for key in [k for k in vars(record) if k.startswith(PII_PREFIX)]:
                delattr(record, key)
        return True


_FILTER = RedactPII()


def install() -> None:
    """Add the filter to the loggers that can carry candidate text (idempotent)."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
