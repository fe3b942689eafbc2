"""The values a template works on, bounded: what the cost analysis reasons with.

A ``Val`` stands for every value an expression can have at render time, described by
its kind and size: a text of at most n characters, a number printed in at most n, a list
of at most n items (each bounded), a map with bounded keys and values, a record of named
fields (the render context's ``role``, ``stage``, ``loop``). ``context_bounds`` builds
them from this interview's own data and the limits on what an invite may add
(``mockflow.format.limits``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from mockflow.format.frozen import frozen
from mockflow.format.limits import (
    MAX_ATTRIBUTE_KEY_CHARS,
    MAX_ATTRIBUTES,
    MAX_ATTRIBUTES_BYTES,
    MAX_NAME_CHARS,
)

REPR_GROWTH = 10  # repr() of one character is at most '\U000e0001'


@frozen
class Val:
    """An abstract value. ``kind``: text, number, bool, none, list, map, record, loop,
    undefined, unknown. ``size``: most characters (text, number) or items (list, map)."""

    kind: str
    size: int = 0
    item: Val | None = None  # list items, map values
    key: int = 0  # map keys: most characters
    fields: Mapping[str, Val] = field(default_factory=dict)

    def printed(self) -> int:
        """Most characters ``{{ value }}`` writes."""
        k = self.kind
        if k in ("text", "number"):
            return self.size
        if k == "bool":
            return 5
        if k == "none":
            return 4
        if k in ("undefined", "unknown"):
            return 0
        if k == "list":
            item = self.item.repr_size() if self.item else 0
            return 2 + self.size * (item + 2)
        if k == "map":
            value = self.item.repr_size() if self.item else 0
            return 2 + self.size * (REPR_GROWTH * self.key + 2 + value + 4)
        if k == "record":
            return 2 + sum(len(n) + 6 + v.repr_size() for n, v in self.fields.items())
        if k == "loop":
            return 40
        return 0

    def repr_size(self) -> int:
        return REPR_GROWTH * self.size + 2 if self.kind == "text" else self.printed()


TEXT0 = Val("text", 0)
UNKNOWN = Val("unknown")
BOOL = Val("bool")


def text(n: int) -> Val:
    return Val("text", n)


def number(n: int) -> Val:
    return Val("number", n)


def digits(n: int) -> int:
    return len(str(max(n, 0))) + 1


def loop_record(count: int, item: Val) -> Val:
    n = number(digits(count))
    return Val("loop", fields={
        "index": n, "index0": n, "revindex": n, "revindex0": n, "length": n,
        "first": BOOL, "last": BOOL, "depth": number(3), "depth0": number(3),
        "previtem": item, "nextitem": item,
    })



# --------------------------------------------------------------------- context sizes


def _text_of(value: Any) -> Val:
    return Val("undefined") if value is None else text(len(str(value)))


def _record(fields: Mapping[str, Val]) -> Val:
    return Val("record", fields=dict(fields))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def context_bounds(data: Mapping[str, Any], kind: str) -> dict[str, Val]:
    """The render context of a template kind, bounded from this interview's data (which
    passed the schema) and the limits on what the invite may add."""
    # the checks also run on the usable part of a file with schema errors elsewhere: take
    # only what has the expected shape
    role = _mapping(data.get("role"))
    interviewer = _mapping(data.get("interviewer"))
    raw_facts = data.get("facts")
    facts = [str(f) for f in raw_facts] if isinstance(raw_facts, list) else []
    amount = number(24)  # a float's repr
    context: dict[str, Val] = {
        "role": _record({k: _text_of(role.get(k))
                         for k in ("title", "level", "company", "summary")}),
        "interviewer": _record({"name": _text_of(interviewer.get("name")),
                                "style": _text_of(interviewer.get("style")),
                                "language": text(max(len(str(interviewer.get(
                                    "language", ""))), 5))}),
        "candidate": _record({"name": text(MAX_NAME_CHARS),
                              "attributes": Val("map", MAX_ATTRIBUTES,
                                                text(MAX_ATTRIBUTES_BYTES),
                                                key=MAX_ATTRIBUTE_KEY_CHARS)}),
        "timing": _record({"total_minutes": amount, "wrap_up_minutes": amount,
                           "default_answer_seconds": amount}),
        "facts": Val("list", len(facts), text(max(map(len, facts), default=0))),
    }
    if kind == "question":
        stages = [s for s in _list(data.get("stages")) if isinstance(s, Mapping)]
        questions = [q for q in _list(data.get("questions")) if isinstance(q, Mapping)]
        names = [str(c.get("name", "")) for c in _list(data.get("competencies"))
                 if isinstance(c, Mapping)]

        def longest(values: Any) -> Val:
            return text(max((len(str(v)) for v in values), default=0))

        context["stage"] = _record({
            "id": longest(s.get("id", "") for s in stages),
            "title": longest(s.get("title") or s.get("id", "") for s in stages),
            "index": number(digits(len(stages))), "count": number(digits(len(stages))),
        })
        context["question"] = _record({
            "id": longest(q.get("id", "") for q in questions),
            "competency": longest(names),
            "level": longest(q.get("level", "") for q in questions),
            "number": number(digits(len(questions) + len(stages) * 100)),
        })
    return context
