"""The engine's typed errors: what an agent that drives it wrongly (or too late) gets."""

from __future__ import annotations

from mockflow.format.errors import MockflowError


class EngineError(MockflowError):
    """The engine was driven in a way its contract doesn't allow."""


class StaleProposal(EngineError):
    """A proposal was made against an older state (another move was committed since)."""


class InterviewOver(EngineError):
    """The interview has ended; no more turns or requests are taken."""


class RequestRejected(EngineError):
    """A candidate request that doesn't apply now (e.g. a hint when no question is open).

    The message is written for the interviewer model (a tool error it can act on).
    """


class SnapshotError(EngineError):
    """A snapshot doesn't belong to this interview or is malformed."""
