"""Tool schemas as plain dicts, generated from the definition (no livekit here).

The agent layer wraps each with ``function_tool(handler, raw_schema=...)``; ``render``
prints them. LiveKit does not check raw arguments against the schema, so
``argument_errors`` does.
"""

from __future__ import annotations

from typing import Any

from mockflow.format.model import Interview

REQUEST_KINDS = ("repeat", "clarify", "hint", "skip", "stop", "question")
MAX_SAY_CHARS = 400

CANDIDATE_REQUEST: dict[str, Any] = {
    "name": "candidate_request",
    "description": (
        "Call this instead of speaking when the candidate's message asks you (not just"
        " mentions, inside an answer) to repeat the question (repeat), to explain what it"
        " means (clarify), for a hint (hint), to skip this question (skip), to end the"
        " interview (stop; mockflow asks them to confirm), or asks you a question about the"
        " role, the team or the company (question). mockflow speaks the response itself."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "kind": {
                "type": "string",
                "enum": list(REQUEST_KINDS),
                "description": "What the candidate asked for.",
            },
            "say": {
                "type": "string",
                "maxLength": MAX_SAY_CHARS,
                "description": (
                    "For clarify: one or two short sentences that explain what the question"
                    " means (use the clarification wording you were given, if any); never a"
                    " hint, a key point or an answer. For question: a one-sentence answer"
                    " using only the facts you were given; leave it out when they don't"
                    " cover it."
                ),
            },
            "question": {
                "type": "string",
                "maxLength": MAX_SAY_CHARS,
                "description": "For question: the candidate's question, in their words.",
            },
        },
        "required": ["kind"],
        "additionalProperties": False,
    },
}


def http_tool_schema(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "description": description, "parameters": parameters}


def tool_schemas(interview: Interview) -> list[dict[str, Any]]:
    """Every function tool the interviewer gets, in a stable order."""
    schemas = [CANDIDATE_REQUEST]
    schemas.extend(
        http_tool_schema(t.name, t.description, t.parameters) for t in interview.tools
    )
    return schemas


def argument_errors(schema: dict[str, Any], arguments: object) -> list[str]:
    """Why ``arguments`` don't fit the tool's parameter schema (empty when they do)."""
    from jsonschema import Draft202012Validator  # on first use: `validate` never needs it

    validator = Draft202012Validator(schema["parameters"])
    errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
    out = []
    for err in errors:
        where = "/".join(str(p) for p in err.absolute_path) or "arguments"
        out.append(f"{where}: {err.message}")
    return out
