"""The offline interviewer: a deterministic ``livekit.agents.llm.LLM`` (agent layer).

It reads the context exactly as a hosted model would — the instructions, the history and
the per-turn move message — and does what a competent model does with them
(``mockflow.interview.prompting.competent_reply``): speak the move, or call ``candidate_request``
when the candidate asked for something. It runs through the same ``AgentSession``, agent,
tools and engine as the voice worker, so the offline console is the real path, not a
separate demo. No network, no keys, no randomness.
"""

from __future__ import annotations

import re
from typing import Any

from livekit.agents import llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions
from livekit.agents.utils import shortuuid

from mockflow.interview.prompting import competent_reply

MODEL_NAME = "mockflow-offline"


def simple_messages(chat_ctx: llm.ChatContext) -> list[tuple[str, str]]:
    """The context as (role, text) pairs, newest last; tool results as ('tool', text)."""
    out: list[tuple[str, str]] = []
    for item in chat_ctx.items:
        if isinstance(item, llm.ChatMessage):
            role = "system" if item.role in ("system", "developer") else item.role
            out.append((role, item.text_content or ""))
        elif isinstance(item, llm.FunctionCallOutput):
            out.append(("tool", ("error: " if item.is_error else "") + item.output))
    return out


class OfflineInterviewerLLM(llm.LLM[Any]):
    """Phrases the engine's moves from its own templates and calls the generated tools."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    @property
    def model(self) -> str:
        return MODEL_NAME

    @property
    def provider(self) -> str:
        return "mockflow"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: Any = NOT_GIVEN,
        tool_choice: Any = NOT_GIVEN,
        extra_kwargs: Any = NOT_GIVEN,
    ) -> llm.LLMStream:
        self.requests += 1
        return _OfflineStream(self, chat_ctx=chat_ctx, tools=tools or [],
                              conn_options=conn_options)


class _OfflineStream(llm.LLMStream):
    async def _run(self) -> None:
        decision = competent_reply(simple_messages(self._chat_ctx))
        request_id = shortuuid("offline_")
        if decision.tool is not None:
            call = llm.FunctionToolCall(name=decision.tool, arguments=decision.arguments,
                                        call_id=shortuuid("call_"))
            self._event_ch.send_nowait(llm.ChatChunk(
                id=request_id, delta=llm.ChoiceDelta(role="assistant", tool_calls=[call])))
            return
        for piece in re.findall(r"\S+\s*", decision.text):
            self._event_ch.send_nowait(llm.ChatChunk(
                id=request_id, delta=llm.ChoiceDelta(role="assistant", content=piece)))
