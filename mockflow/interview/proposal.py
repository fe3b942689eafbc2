"""What an event yields: its kind, and a ``Proposal`` (moves and the state they lead to).

Proposing is pure; the engine's ``commit(proposal)`` makes one happen. A proposal knows
its base (the state sequence it was computed against) and its owner (the engine that
made it), so a stale or foreign proposal is refused on commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockflow.interview.acknowledge import Acknowledgement
from mockflow.interview.moves import Move, MoveKind
from mockflow.interview.records import CandidateTurn
from mockflow.interview.state import State

_NEXT = "NEXT MOVE: "


class RequestKind(StrEnum):
    REPEAT = "repeat"
    CLARIFY = "clarify"
    HINT = "hint"
    SKIP = "skip"
    STOP = "stop"
    QUESTION = "question"  # the candidate asked the interviewer something


class EventKind(StrEnum):
    START = "start"
    TURN = "turn"
    REQUEST = "request"
    TICK = "tick"


@dataclass(frozen=True, slots=True, eq=False)
class Proposal:
    """The moves for one event and the state they lead to. Commit it when delivered.

    ``speech`` joins the moves' speech; ``directive`` joins their directives (the first
    starts ``NEXT MOVE:``, the rest ``THEN:``).
    """

    event: EventKind
    moves: tuple[Move, ...]
    base: int  # the state sequence it was computed against
    at: float  # relative seconds when it was computed
    state_after: State | None = field(repr=False)  # None for a nudge (side channel)
    owner: object = field(repr=False, default=None)
    nudge_number: int | None = None
    ack: Acknowledgement | None = None  # an answer turn's acknowledgement (said first)

    @property
    def speech(self) -> str:
        """Everything to say: the acknowledgement, then the moves."""
        return " ".join(([self.ack.text] if self.ack else []) + [self.body_speech])

    @property
    def body_speech(self) -> str:
        """The moves' speech without the acknowledgement (said after an instant one)."""
        return " ".join(m.speech for m in self.moves)

    @property
    def directive(self) -> str:
        """The instruction for a model that phrases the whole reply."""
        lines = self.body_directive.split("\n")
        if self.ack is not None and lines[0].startswith(_NEXT):
            lines[0] = _NEXT + self.ack.directive + lines[0][len(_NEXT):]
        return "\n".join(lines)

    @property
    def body_directive(self) -> str:
        """The moves' instruction when the acknowledgement was already spoken."""
        lines = []
        for i, m in enumerate(self.moves):
            text = m.directive
            if i and text.startswith(_NEXT):
                text = "THEN: " + text[len(_NEXT):]
            lines.append(text)
        return "\n".join(lines)

    @property
    def kinds(self) -> tuple[MoveKind, ...]:
        return tuple(m.kind for m in self.moves)

    @property
    def ends(self) -> bool:
        return any(m.kind is MoveKind.END for m in self.moves)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event": self.event.value,
                                "moves": [m.to_dict() for m in self.moves], "at": self.at}
        if self.ack is not None:
            data["ack"] = self.ack.text
        return data


def as_turn(turn: CandidateTurn | str | None) -> CandidateTurn | None:
    """A candidate turn from what an agent passes (a turn, its text, or nothing)."""
    if turn is None or isinstance(turn, CandidateTurn):
        return turn
    return CandidateTurn(turn)
