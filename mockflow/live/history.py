"""The interviewer model's chat history as plain data for ``session.json``."""

from __future__ import annotations

from typing import Any

from livekit.agents import llm


def history_items(chat: llm.ChatContext) -> list[dict[str, Any]]:
    """Messages, tool calls and tool results in order (no timestamps: the transcript has
    the session's times; LiveKit's are another clock). Handoffs and configuration
    updates (LiveKit's bookkeeping) are left out."""
    out: list[dict[str, Any]] = []
    for item in chat.items:
        if isinstance(item, llm.ChatMessage):
            entry: dict[str, Any] = {"type": "message", "role": str(item.role),
                                     "text": item.text_content or ""}
            if item.interrupted:
                entry["interrupted"] = True
            out.append(entry)
        elif isinstance(item, llm.FunctionCall):
            out.append({"type": "function_call", "name": item.name,
                        "arguments": item.arguments})
        elif isinstance(item, llm.FunctionCallOutput):
            out.append({"type": "function_call_output", "name": item.name,
                        "output": item.output, "is_error": bool(item.is_error)})
        # agent handoffs and configuration updates are LiveKit's bookkeeping: left out
    return out
