"""Fake drafting models for the fake OpenAI server: what a model does with
``mockflow draft``'s request.

They read the request exactly as ``mockflow.authoring.draft_prompt`` sends it (the parts
asked for, in the forced ``submit_draft`` tool's schema, and the question as a JSON
document in the user message) and answer with a ``submit_draft`` call:

- ``drafting_policy``: a competent, deterministic drafter. Its key points are the
  question's own content words, each with everyday variants; its strong example explains
  all of them, the average one touches the first, the weak one none, so the graded
  examples really are graded; one follow-up probes the second key point; the
  clarification restates the ask. A request that names existing key points gets
  follow-ups probing those;
- ``malformed_drafting_policy``: a model that answers with broken arguments (not JSON).

``python -m mockflow.testing.serve --policy drafter`` serves the first.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mockflow.testing.openai_server import ChatRequest, Reply, ToolCall

TOOL_NAME = "submit_draft"
_JSON = re.compile(r"```json\n(.*?)\n```", re.DOTALL)
_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_STOP = frozenset("""about after again also because before being could does doing from have
having here into just like make more most much only other over really should some such
than that their them then there these they this those through very want were what when
where which while with would your you'd you're you've tell time walk sure think""".split())


def read_request(request: ChatRequest) -> tuple[set[str], set[str], dict[str, Any]] | None:
    """(parts asked for, example grades asked for, the question document), or None when
    the request isn't a drafting request."""
    tool = next((t for t in request.tools
                 if t.get("function", {}).get("name") == TOOL_NAME), None)
    if tool is None:
        return None
    properties = tool["function"]["parameters"].get("properties", {})
    grades = set(properties.get("examples", {}).get("required", []))
    found = _JSON.search(request.last_user_text)
    document = json.loads(found.group(1)) if found else {}
    return set(properties), grades, document


def _topics(text: str) -> list[str]:
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        word = word.strip("'-")
        if len(word) >= 4 and word not in _STOP and word not in words:
            words.append(word)
    fillers = ["trade-offs", "testing", "monitoring"]
    return (words + [f for f in fillers if f not in words])[:3]


def _variants(word: str) -> list[str]:
    base = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
    out = [word, base if base != word else f"{word}s", f"the {base}"]
    return list(dict.fromkeys(w for w in out if len(w) >= 3))


def draft(parts: set[str], grades: set[str], document: dict[str, Any]) -> dict[str, Any]:
    """The competent drafter's arguments for one request."""
    question = document.get("question", {})
    existing = question.get("key_points") or []
    labels = [k[0] for k in existing] if existing else []
    topics = _topics(str(question.get("text", "")))
    points = [_variants(t) for t in topics]
    if not labels:
        labels = [p[0] for p in points]
    a, b, c = (labels + topics)[:3]
    out: dict[str, Any] = {}
    if "key_points" in parts:
        out["key_points"] = points
    if "examples" in parts:
        answers = {
            "strong": (f"I'd start with {a}, because it decides most of what follows and I"
                       f" have got it wrong before. Then I'd look at {b} and how it fails"
                       f" under real load, and I'd settle {c} with a small test before"
                       " relying on it. Afterwards I'd measure it, so I know it worked."),
            "average": (f"I'd mostly think about {a} and go with what the team already"
                        " uses. The rest I'd figure out as I go along."),
            "weak": ("Honestly I'm not sure where I'd start with this one. I'd probably ask"
                     " a colleague what they did last time and copy that."),
        }
        out["examples"] = {g: answers[g] for g in ("strong", "average", "weak")
                           if g in grades}
    if "follow_ups" in parts:
        probe = labels[1] if len(labels) > 1 else labels[0]
        out["follow_ups"] = [{"text": "What would you look at first if this went wrong"
                                      " in production?", "probes": [probe]}]
    if "clarification" in parts:
        out["clarification"] = ("I'm asking how you would approach this in practice, step"
                                " by step, as you would on the job.")
    return out


def drafting_policy(request: ChatRequest) -> Reply:
    """A competent drafter (see the module docstring)."""
    read = read_request(request)
    if read is None:
        return Reply(text="I only draft interview questions: call me with submit_draft.")
    parts, grades, document = read
    arguments = json.dumps(draft(parts, grades, document))
    return Reply(tool_calls=(ToolCall(TOOL_NAME, arguments),))


def malformed_drafting_policy(request: ChatRequest) -> Reply:
    """A model whose submit_draft arguments are not JSON."""
    return Reply(tool_calls=(ToolCall(TOOL_NAME, '{"examples": {"strong": "I would'),))
