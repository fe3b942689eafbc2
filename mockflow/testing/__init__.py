"""Test helpers for mockflow, also for users who want to try an interview against a
scripted model: a local OpenAI-compatible chat-completions server (``openai_server``),
scripted policies (``scripts``), a competent-interviewer policy (``policies``) and fakes of
the audio edge (``voice``; it imports livekit, so it is not imported here). Command line:
``python -m mockflow.testing.serve``.
"""

from .openai_server import (
    ChatRequest,
    Exchange,
    FakeOpenAIServer,
    Policy,
    Reply,
    RequestOutcome,
    ToolCall,
    echo_policy,
)
from .scripts import ScriptedPolicy, load_script, parse_script, reply_from_json

__all__ = [
    "ChatRequest",
    "Exchange",
    "FakeOpenAIServer",
    "RequestOutcome",
    "Policy",
    "Reply",
    "ScriptedPolicy",
    "ToolCall",
    "echo_policy",
    "load_script",
    "parse_script",
    "reply_from_json",
]
