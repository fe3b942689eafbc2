"""The one private LiveKit name mockflow relies on, checked when a session is built.

A reply's move is committed when the reply that carries it is delivered (``agent``), so
the agent must know which reply a running ``llm_node``, tool or TTS call belongs to.
LiveKit Agents keeps that in a context variable of the reply task (every draft has its
own) and offers no public accessor: ``livekit.agents.voice.agent_activity.
_SpeechHandleContextVar``. Without it no move would ever be committed and the interview
would stall, so a LiveKit without it is refused at start with the installed version,
never worked around.
"""

from __future__ import annotations

import importlib
from contextvars import ContextVar

from livekit.agents.voice import SpeechHandle

from mockflow.format.errors import MockflowError

MODULE = "livekit.agents.voice.agent_activity"
NAME = "_SpeechHandleContextVar"
SUPPORTED = "livekit-agents>=1.8.9,<1.9"


class LiveKitIncompatible(MockflowError):
    """The installed LiveKit Agents lacks something mockflow needs."""

    def __init__(self, version: str, missing: str) -> None:
        self.version, self.missing = version, missing
        super().__init__(
            f"the installed LiveKit Agents ({version}) has no {missing}, which mockflow"
            f" needs to tell a delivered reply from a discarded draft; install the version"
            f" mockflow supports: pip install '{SUPPORTED}'")


def livekit_version() -> str:
    try:
        from livekit.agents.version import __version__
    except ImportError:  # pragma: no cover - every livekit-agents release has it
        return "unknown version"
    return f"livekit-agents {__version__}"


def speech_context() -> ContextVar[SpeechHandle]:
    """LiveKit's context variable holding the reply (``SpeechHandle``) being generated;
    ``LiveKitIncompatible`` naming the installed version when it is missing."""
    try:
        module = importlib.import_module(MODULE)
    except ImportError:
        module = None
    var = getattr(module, NAME, None)
    if not isinstance(var, ContextVar):
        raise LiveKitIncompatible(livekit_version(), f"{MODULE}.{NAME}")
    return var
