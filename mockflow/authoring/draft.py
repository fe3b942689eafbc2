"""A drafted part of a question, as ``mockflow draft`` puts it into the file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PARTS = ("clarification", "follow_ups", "key_points", "examples")  # the order in a question


@dataclass(frozen=True, slots=True)
class FollowUpDraft:
    text: str
    probes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Draft:
    """What the model drafted for one question: only the parts it lacked."""

    examples: Mapping[str, str] = field(default_factory=dict)  # grade -> answer
    key_points: tuple[tuple[str, ...], ...] = ()
    follow_ups: tuple[FollowUpDraft, ...] = ()
    clarification: str | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """The drafted parts, as the question's ``drafted`` list names them."""
        have = {"examples": bool(self.examples), "key_points": bool(self.key_points),
                "follow_ups": bool(self.follow_ups),
                "clarification": self.clarification is not None}
        return tuple(p for p in PARTS if have[p])

    def as_data(self) -> dict[str, Any]:
        """The parts as plain data, the way the loader reads them back from the file."""
        data: dict[str, Any] = {"drafted": list(self.parts)}
        if self.clarification is not None:
            data["clarification"] = self.clarification
        if self.follow_ups:
            data["follow_ups"] = [{"text": f.text, "probes": list(f.probes)}
                                  for f in self.follow_ups]
        if self.key_points:
            data["key_points"] = [list(point) for point in self.key_points]
        if self.examples:
            data["examples"] = dict(self.examples)
        return data
