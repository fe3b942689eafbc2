"""The interviewer's function tools: ``candidate_request`` and the file's HTTP actions.

``candidate_request`` (repeat, clarify, hint, skip, stop, or a question to the
interviewer) is answered with the engine's own words through ``session.say`` and a
``ToolResult(reply_required=False)``: no second model request. Front ends with their own
controls (the console's /hint, /skip ...) take requests the same way
(``take_request``). A declared HTTP action runs through ``http_tools``; a service that
fails is not a bad call (the model hears why and carries on with the move). LiveKit does
not check tool arguments against their schema: they are checked here, and a bad call is
a ``ToolError`` the agent answers by asking the question again.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from livekit.agents import llm
from livekit.agents.llm import ToolError, ToolResult, function_tool

from mockflow.format.checks import RESERVED_TOOL_NAMES
from mockflow.format.tools import CANDIDATE_REQUEST, argument_errors, http_tool_schema
from mockflow.interview.engine import Proposal, RequestRejected
from mockflow.interview.requests import answer_part
from mockflow.live.http_tools import HttpToolError, call_http_tool

if TYPE_CHECKING:
    from mockflow.live.agent import InterviewerAgent

assert CANDIDATE_REQUEST["name"] in RESERVED_TOOL_NAMES


class InterviewTools:
    """One session's tool handlers."""

    def __init__(self, agent: InterviewerAgent) -> None:
        self._agent = agent

    def function_tools(self) -> list[llm.Tool | llm.Toolset]:
        """``candidate_request`` and one tool per declared HTTP action."""
        tools: list[llm.Tool | llm.Toolset] = [
            function_tool(self.candidate_request, raw_schema=CANDIDATE_REQUEST)
        ]
        for tool in self._agent.compiled.interview.tools:
            tools.append(function_tool(
                self._http_handler(tool.name),
                raw_schema=http_tool_schema(tool.name, tool.description, tool.parameters),
            ))
        return tools

    async def candidate_request(self, raw_arguments: dict[str, object]) -> ToolResult:
        agent = self._agent
        problems = argument_errors(CANDIDATE_REQUEST, raw_arguments)
        if problems:
            raise ToolError("candidate_request arguments are invalid: " + "; ".join(problems))
        kind = str(raw_arguments["kind"])
        say = raw_arguments.get("say")
        question = raw_arguments.get("question")
        reply = agent.current_reply()
        try:
            proposal = self.take_request(kind, str(say) if say is not None else None,
                                         str(question) if question is not None else None,
                                         answer=answer_part(reply.turn.text) if reply else None)
        except RequestRejected as exc:
            raise ToolError(str(exc)) from None
        reply = agent.current_reply()
        if reply is not None:
            reply.request_taken = True
            if reply.ack_spoken:
                agent.stats.ack_then_request += 1
        return ToolResult(output=json.dumps({"done": kind, "said": proposal.speech}),
                          reply_required=False)

    def take_request(self, kind: str, say: str | None = None, question: str | None = None,
                     *, confirmed: bool = False, answer: str | None = None,
                     typed: str | None = None) -> Proposal:
        """See ``InterviewerAgent.take_request``."""
        agent = self._agent
        if typed is not None:
            agent.transcript.candidate(typed, kind="request", request=kind,
                                       started=agent.listening.since)
            agent.listening.request_taken()
        proposal = agent.engine.propose_request(kind, say, question, confirmed=confirmed,
                                                answer=answer)
        agent.engine.commit(proposal)
        agent.stats.commits += 1
        agent.stats.requests[kind] = agent.stats.requests.get(kind, 0) + 1
        agent.speak(proposal, request=kind)
        return proposal

    def _http_handler(self, name: str) -> Callable[[dict[str, object]], Awaitable[str]]:
        """A declared HTTP action as a function tool's handler (LiveKit reads its
        signature: one ``raw_arguments`` parameter)."""

        async def handler(raw_arguments: dict[str, object]) -> str:
            return await self.call_http(name, raw_arguments)

        handler.__name__ = name
        return handler

    async def call_http(self, name: str, raw_arguments: dict[str, object]) -> str:
        tool = next(t for t in self._agent.compiled.interview.tools if t.name == name)
        problems = argument_errors(http_tool_schema(tool.name, tool.description,
                                                    tool.parameters), raw_arguments)
        if problems:
            raise ToolError(f"{name} arguments are invalid: " + "; ".join(problems))
        try:
            return await call_http_tool(tool, raw_arguments)
        except HttpToolError as exc:
            # The call was right; the service failed. The model hears why and carries on
            # with the move (a ToolError would count as a bad call and re-ask the question).
            return json.dumps({"error": str(exc)}, ensure_ascii=False)
