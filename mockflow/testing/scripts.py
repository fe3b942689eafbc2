"""Scripted policies for the fake OpenAI server: replies given in order, or read from a
script file (one reply per line; JSON lines for tool calls and faults)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .openai_server import ChatRequest, Reply, ToolCall, as_reply

__all__ = ["ScriptedPolicy", "load_script", "parse_script", "reply_from_json"]


class ScriptedPolicy:
    """Returns the given replies in order, one per request.

    Strings are shorthand for ``Reply(text=...)``. When the script runs out the reply is an
    HTTP 500 whose message starts with ``"script exhausted"`` -- never a hang -- unless
    ``cycle`` is true, in which case the script starts over.
    """

    def __init__(self, replies: Iterable[Reply | str], *, cycle: bool = False) -> None:
        self._replies = [as_reply(r) for r in replies]
        self._cycle = cycle
        self._next = 0
        if cycle and not self._replies:
            raise ValueError("a cycling script needs at least one reply")

    @property
    def used(self) -> int:
        """How many replies have been handed out (including after cycling)."""
        return self._next

    @property
    def remaining(self) -> int:
        """Replies left before exhaustion (``len`` of the script forever when cycling)."""
        if self._cycle:
            return len(self._replies)
        return max(0, len(self._replies) - self._next)

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0

    def __call__(self, request: ChatRequest) -> Reply:
        if self._cycle:
            reply = self._replies[self._next % len(self._replies)]
        elif self._next < len(self._replies):
            reply = self._replies[self._next]
        else:
            return Reply(
                status=500,
                error=(
                    f"script exhausted: all {len(self._replies)} scripted replies were used "
                    f"before request #{request.index}"
                ),
                error_code="script_exhausted",
            )
        self._next += 1
        return reply


def reply_from_json(obj: Any) -> Reply:
    """Build a :class:`Reply` from a JSON value (one line of a JSON-lines script).

    A string is a text reply. An object may have ``text``, ``tool_calls`` (a list of
    ``{"name", "arguments", "id"}``; ``arguments`` given as an object is serialised, given as a
    string is kept verbatim), ``status``, ``error``, ``error_code``, ``finish_reason``, ``ttft``,
    ``disconnect_after``.
    """
    if isinstance(obj, str):
        return Reply(text=obj)
    if not isinstance(obj, dict):
        raise ValueError(f"a scripted reply must be a string or an object, got {obj!r}")
    unknown = set(obj) - {
        "text",
        "tool_calls",
        "status",
        "error",
        "error_code",
        "finish_reason",
        "ttft",
        "disconnect_after",
    }
    if unknown:
        raise ValueError(f"unknown reply fields: {sorted(unknown)}")
    calls = []
    for raw_call in obj.get("tool_calls", []):
        if not isinstance(raw_call, dict) or not isinstance(raw_call.get("name"), str):
            raise ValueError(f"a tool call needs a string 'name': {raw_call!r}")
        args = raw_call.get("arguments", "{}")
        calls.append(
            ToolCall(
                name=raw_call["name"],
                arguments=args if isinstance(args, str) else json.dumps(args),
                id=raw_call.get("id"),
            )
        )
    return Reply(
        text=str(obj.get("text", "")),
        tool_calls=tuple(calls),
        status=int(obj.get("status", 200)),
        error=str(obj.get("error", "")),
        error_code=obj.get("error_code"),
        finish_reason=obj.get("finish_reason"),
        ttft=None if obj.get("ttft") is None else float(obj["ttft"]),
        disconnect_after=None if obj.get("disconnect_after") is None
        else int(obj["disconnect_after"]),
    )


def parse_script(text: str) -> list[Reply]:
    """Parse a reply script: one reply per line.

    Blank lines and lines starting with ``#`` are skipped; a line starting with ``{`` is a
    JSON object (see :func:`reply_from_json`); any other line is the reply text itself.
    """
    replies = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("{"):
            try:
                replies.append(reply_from_json(json.loads(stripped)))
            except ValueError as exc:
                raise ValueError(f"line {lineno}: {exc}") from exc
        else:
            replies.append(Reply(text=stripped))
    return replies


def load_script(path: str | Path) -> list[Reply]:
    """Read a reply script file (see :func:`parse_script`)."""
    return parse_script(Path(path).read_text(encoding="utf-8"))
