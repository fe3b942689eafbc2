"""Candidate answers never reach logs at INFO or above."""

from __future__ import annotations

import logging

import pytest

from mockflow.live import privacy


def test_pii_fields_are_removed_at_info_and_above(caplog: pytest.LogCaptureFixture) -> None:
    privacy.install()
    privacy.install()  # idempotent
    logger = logging.getLogger("livekit.agents")
    with caplog.at_level(logging.DEBUG, logger="livekit.agents"):
        logger.warning("repaired", extra={"lk.pii.raw_arguments": "my secret answer"})
        logger.debug("transcript", extra={"lk.pii.user_transcript": "my debug answer"})
    warning, debug = caplog.records
    assert not hasattr(warning, "lk.pii.raw_arguments")
    assert getattr(debug, "lk.pii.user_transcript") == "my debug answer"
    assert logging.getLogger("livekit.agents").filters.count(privacy._FILTER) == 1
