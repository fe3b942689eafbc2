"""Test helpers for mockflow, also for users who want to try an interview against a
scripted model: a local OpenAI-compatible chat-completions server (``openai_server``),
scripted policies (``scripts``), a competent-interviewer policy (``policies``), fakes of
the audio edge (``voice``) and one session rig for tests (``rig``: an interview started as
``mockflow run`` starts it, text or voice, against the fake server); those two import
livekit, so they are not imported here, nor is ``waiting`` (hang guards). Command line:
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
