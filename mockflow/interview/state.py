"""The engine's state: the phase, everything that decides future moves, and its snapshot.

``State`` is immutable: a transition (``interview.transitions``) builds a new one, so a
proposal can carry the state it leads to and a discarded proposal leaves no trace. The
snapshot form (``snapshot``/``parse_snapshot``) is JSON-able and versioned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mockflow.format.templates import Candidate
from mockflow.interview.errors import SnapshotError
from mockflow.interview.moves import EndReason
from mockflow.interview.records import QuestionRecord

SNAPSHOT_FORMAT = 1


class Phase(StrEnum):
    NOT_STARTED = "not_started"
    GREETING = "greeting"  # greeted; waiting for the candidate before question 1
    QUESTION = "question"  # a question is open
    WRAP_UP = "wrap_up"  # questions are over; the candidate may ask theirs
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class State:
    """Everything that decides future moves. Immutable: a transition builds a new one."""

    seq: int = 0  # committed turn-level moves so far
    phase: Phase = Phase.NOT_STARTED
    started_at: float = 0.0  # clock reading at start
    stage: int = -1
    stage_started: float = 0.0  # relative seconds
    level: int = 0  # ladder index
    records: tuple[QuestionRecord, ...] = ()
    stage_counts: tuple[int, ...] = ()
    time_cut: bool = False  # a planned question was left out because it didn't fit the time
    questions_end: EndReason | None = None
    wrap_up_at: float | None = None
    wrap_up_turns: int = 0
    last_speech: str = ""  # what REPEAT says outside a question
    end_reason: EndReason | None = None
    ended_at: float | None = None
    pending_stop: bool = False  # asked "Do you want to end the interview here?"

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "phase": self.phase.value,
            "started_at": self.started_at,
            "stage": self.stage,
            "stage_started": self.stage_started,
            "level": self.level,
            "records": [r.to_dict() for r in self.records],
            "stage_counts": list(self.stage_counts),
            "time_cut": self.time_cut,
            "questions_end": None if self.questions_end is None else self.questions_end.value,
            "wrap_up_at": self.wrap_up_at,
            "wrap_up_turns": self.wrap_up_turns,
            "last_speech": self.last_speech,
            "end_reason": None if self.end_reason is None else self.end_reason.value,
            "ended_at": self.ended_at,
            "pending_stop": self.pending_stop,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> State:
        return cls(
            seq=data["seq"],
            phase=Phase(data["phase"]),
            started_at=data["started_at"],
            stage=data["stage"],
            stage_started=data["stage_started"],
            level=data["level"],
            records=tuple(QuestionRecord.from_dict(r) for r in data["records"]),
            stage_counts=tuple(data["stage_counts"]),
            time_cut=data["time_cut"],
            questions_end=None if data["questions_end"] is None
            else EndReason(data["questions_end"]),
            wrap_up_at=data["wrap_up_at"],
            wrap_up_turns=data["wrap_up_turns"],
            last_speech=data["last_speech"],
            end_reason=None if data["end_reason"] is None else EndReason(data["end_reason"]),
            ended_at=data["ended_at"],
            pending_stop=bool(data.get("pending_stop", False)),
        )

    @property
    def open(self) -> QuestionRecord | None:
        if self.phase is Phase.QUESTION and self.records and self.records[-1].is_open:
            return self.records[-1]
        return None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A session's state with what it was created from (seed, candidate) and its nudges."""

    seed: int
    candidate: Candidate
    state: State
    nudges: dict[int, float]


def snapshot(ref: str, snap: Snapshot) -> dict[str, Any]:
    """The snapshot as JSON-able data, tagged with its format and the interview's ref."""
    return {
        "format": SNAPSHOT_FORMAT,
        "interview": ref,
        "seed": snap.seed,
        "candidate": {"name": snap.candidate.name,
                      "attributes": dict(snap.candidate.attributes)},
        "state": snap.state.to_dict(),
        "nudges": [[n, at] for n, at in sorted(snap.nudges.items())],
    }


def parse_snapshot(ref: str, data: Mapping[str, Any]) -> Snapshot:
    """A snapshot of the interview ``ref``; ``SnapshotError`` when it is of another
    interview, another format, or malformed."""
    if data.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f"unsupported snapshot format {data.get('format')!r}")
    if data.get("interview") != ref:
        raise SnapshotError(f"the snapshot is of {data.get('interview')}, not {ref}")
    try:
        cand = data["candidate"]
        return Snapshot(
            seed=int(data["seed"]),
            candidate=Candidate(cand["name"], dict(cand["attributes"])),
            state=State.from_dict(data["state"]),
            nudges={int(n): float(at) for n, at in data["nudges"]},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"malformed snapshot: {exc!r}") from exc
