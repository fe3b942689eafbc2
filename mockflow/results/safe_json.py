"""Reading JSON that came from disk or from a store: a damaged or hostile file is a
``ValueError`` naming the problem, never a crash.

``json.loads`` recurses once per nesting level: a file nested 200,000 levels deep raises
``RecursionError``, and one nested a few hundred levels deep parses but breaks the
recursive code that reads it next (schema checks, reports). No mockflow record is
nested anywhere near ``MAX_DEPTH`` levels, so anything deeper is refused as damaged.
"""

from __future__ import annotations

import json
from typing import Any

from mockflow.format.errors import MockflowError

MAX_DEPTH = 64  # the deepest mockflow record (a chat history's tool call) is ~8 levels


class JsonTooDeep(MockflowError, ValueError):
    """A JSON document nested deeper than ``MAX_DEPTH``."""


def loads(text: str | bytes) -> Any:
    """``json.loads`` with a bound on nesting. Raises ``ValueError`` (``JSONDecodeError``
    for bad syntax, ``JsonTooDeep`` for nesting, ``UnicodeDecodeError`` for bad bytes)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonTooDeep(f"nested more than {MAX_DEPTH} levels deep (a damaged or"
                          " hostile file)") from None
    if isinstance(value, dict | list):
        _check_depth(value)
    return value


def _check_depth(value: dict[str, Any] | list[Any]) -> None:
    """Iterative, so it can't itself run out of stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise JsonTooDeep(f"nested more than {MAX_DEPTH} levels deep (a damaged or"
                              " hostile file)")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
