"""mockflow: structured, fair, voice-based interviews from plain YAML.

The supported public surface is the names in ``__all__`` (docs/embedding.md): load and
check an interview file, start an interview in your own LiveKit ``AgentSession``, and
score a finished session. Everything else (``mockflow.format``, ``mockflow.live`` ...)
is implementation and may move between releases.

Importing ``mockflow`` is cheap: each name is loaded on first use, and only the ones
that run an interview (``start_interview``, ``prepare_interview``, ``LiveInterview``)
import LiveKit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module that defines it (loaded on first access)
_EXPORTS: dict[str, str] = {
    # the interview file
    "load_interview": "mockflow.format.validate",
    "check_file": "mockflow.format.validate",
    "check_bytes": "mockflow.format.validate",
    "CheckResult": "mockflow.format.validate",
    "Problem": "mockflow.format.errors",
    "CompiledInterview": "mockflow.format.compile",
    "Candidate": "mockflow.format.templates",
    # errors
    "MockflowError": "mockflow.format.errors",
    "InterviewInvalid": "mockflow.format.errors",
    # an interview in your own AgentSession (these import livekit)
    "start_interview": "mockflow.live.session",
    "prepare_interview": "mockflow.live.session",
    "LiveInterview": "mockflow.live.session",
    # a finished session
    "rescore_session": "mockflow.results.score",
    "Rescored": "mockflow.results.rescore",
}

__all__ = [
    "__version__",
    "load_interview",
    "check_file",
    "check_bytes",
    "CheckResult",
    "Problem",
    "CompiledInterview",
    "Candidate",
    "MockflowError",
    "InterviewInvalid",
    "start_interview",
    "prepare_interview",
    "LiveInterview",
    "rescore_session",
    "Rescored",
]

if TYPE_CHECKING:
    from mockflow.format.compile import CompiledInterview
    from mockflow.format.errors import InterviewInvalid, MockflowError, Problem
    from mockflow.format.templates import Candidate
    from mockflow.format.validate import CheckResult, check_bytes, check_file, load_interview
    from mockflow.live.session import LiveInterview, prepare_interview, start_interview
    from mockflow.results.rescore import Rescored
    from mockflow.results.score import rescore_session


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mockflow' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
