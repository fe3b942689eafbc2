"""The format's defaults, read from the shipped JSON Schema: the one place they are written.

The model's dataclasses and builders take every default from here, so the schema an
editor shows and the behaviour of a file that leaves a key out cannot drift apart.
"""

from __future__ import annotations

import copy
from typing import Any

from mockflow.format.schema import load_schema


def _schema() -> dict[str, Any]:
    return load_schema("interview")  # parsed once, shared with the validators (read only)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and "default" not in node:
        resolved: dict[str, Any] = _schema()["$defs"][ref.removeprefix("#/$defs/")]
        return resolved
    return node


def schema_default(*path: str) -> Any:
    """The ``default`` of the property at ``path`` (``"[]"`` steps into list items).

    ``schema_default("voice", "llm", "temperature")``. A path without a default is a
    programming error: ``KeyError`` names it.
    """
    node = _resolve(_schema())
    for step in path:
        node = _resolve(node["items"] if step == "[]" else node["properties"][step])
    if "default" not in node:
        raise KeyError(f"the interview schema has no default at {'/'.join(path)}")
    value = node["default"]
    # a list or mapping is copied: the schema it comes from is the validators' too
    return copy.deepcopy(value) if isinstance(value, dict | list) else value
