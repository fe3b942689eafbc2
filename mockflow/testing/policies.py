"""Scripted-model policies for the fake server: what a competent model does with
mockflow's per-turn move message (see ``mockflow.interview.prompting.competent_reply``)."""

from __future__ import annotations

from typing import Any

from mockflow.interview.prompting import competent_reply

from .openai_server import ChatRequest, Reply, ToolCall, message_text


def simple_messages(raw: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """OpenAI chat messages as (role, text); tool results as ('tool', text)."""
    out: list[tuple[str, str]] = []
    for message in raw:
        role = str(message.get("role", ""))
        if role in {"system", "developer"}:
            out.append(("system", message_text(message.get("content"))))
        elif role == "tool":
            out.append(("tool", message_text(message.get("content"))))
        elif role in {"user", "assistant"}:
            text = message_text(message.get("content"))
            if text or role == "user":
                out.append((role, text))
    return out


def interviewer_policy(request: ChatRequest) -> Reply:
    """Speak the suggested wording, or call candidate_request when asked."""
    decision = competent_reply(simple_messages(list(request.messages)))
    if decision.tool is not None:
        return Reply(tool_calls=(ToolCall(decision.tool, decision.arguments),))
    return Reply(text=decision.text)
