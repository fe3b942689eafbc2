"""Test helpers for mockflow: a scripted, OpenAI-compatible chat-completions server.

The names below are imported lazily, so that ``python -m mockflow.testing.openai_server``
does not import its own module twice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .openai_server import (
        ChatRequest,
        Exchange,
        FakeOpenAIServer,
        Outcome,
        Policy,
        Reply,
        ScriptedPolicy,
        ToolCall,
        echo_policy,
        load_script,
        parse_script,
        reply_from_json,
    )

__all__ = [
    "ChatRequest",
    "Exchange",
    "FakeOpenAIServer",
    "Outcome",
    "Policy",
    "Reply",
    "ScriptedPolicy",
    "ToolCall",
    "echo_policy",
    "load_script",
    "parse_script",
    "reply_from_json",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(".openai_server", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
