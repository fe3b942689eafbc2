"""What a session records: candidate turns, per-question records, the session summary.

Plain frozen data with exact JSON round-trips (engine snapshots and the scorecard are
built from it). Times are seconds relative to the interview's start on the engine's
injected clock, so they are reproducible under a fake clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mockflow.format.compile import CompiledInterview
from mockflow.format.templates import Candidate
from mockflow.scoring.base import (
    AnsweredQuestion,
    QuestionFacts,
    QuestionScore,
    Scorer,
    SessionFacts,
)
from mockflow.scoring.offline import OFFLINE
from mockflow.scoring.scorecard import Scorecard
from mockflow.scoring.stage import score_session


@dataclass(frozen=True, slots=True)
class CandidateTurn:
    """One thing the candidate said (a finished turn, a draft, or a partial transcript).

    ``started_at``/``ended_at`` are readings of the engine's clock (absolute, not relative),
    when known; they only feed timings.
    """

    text: str
    started_at: float | None = None
    ended_at: float | None = None


class TurnKind(StrEnum):
    ANSWER = "answer"  # the answer to the question
    FOLLOW_UP = "follow_up"  # the answer to a follow-up
    PARTIAL = "partial"  # what was said when time ran out (or the interview ended)


class QuestionOutcome(StrEnum):
    """How a question closed."""

    ANSWERED = "answered"
    MOVED_ON = "moved_on"  # its answer budget ran out
    SKIPPED = "skipped"  # the candidate asked to skip it
    STOPPED = "stopped"  # the candidate stopped the interview during it
    TIME_UP = "time_up"  # the interview's total time ran out during it


@dataclass(frozen=True, slots=True)
class AnswerTurn:
    text: str
    kind: TurnKind
    at: float  # when it was committed (relative seconds)
    started_at: float | None = None  # relative seconds
    ended_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind.value, "at": self.at,
                "started_at": self.started_at, "ended_at": self.ended_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnswerTurn:
        return cls(data["text"], TurnKind(data["kind"]), data["at"], data["started_at"],
                   data["ended_at"])


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """A question as it was asked and answered. Open while ``outcome`` is None."""

    number: int  # 1-based position in the interview
    question_id: str
    stage_id: str
    competency: str
    level: str  # the question's own level
    ladder_level: str  # the level the ladder asked for
    borrowed: bool  # a pick stage took it from the nearest level (its level was exhausted)
    asked_at: float
    budget: float  # answer seconds
    prompts: tuple[str, ...]  # the question text, then each follow-up as asked
    hints: tuple[int, ...] = ()  # indices of the hints given, in order
    repeats: int = 0
    clarifications: tuple[str, ...] = ()
    turns: tuple[AnswerTurn, ...] = ()
    outcome: QuestionOutcome | None = None
    closed_at: float | None = None
    score: QuestionScore | None = None
    ladder_after: str | None = None
    follow_up_indices: tuple[int, ...] = ()  # which of the question's follow-ups, in order
    follow_up_hints: tuple[int, ...] = ()  # follow-ups whose own hint was given

    @property
    def follow_ups(self) -> int:
        return len(self.prompts) - 1

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    @property
    def answers(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.turns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "question_id": self.question_id,
            "stage_id": self.stage_id,
            "competency": self.competency,
            "level": self.level,
            "ladder_level": self.ladder_level,
            "borrowed": self.borrowed,
            "asked_at": self.asked_at,
            "budget": self.budget,
            "prompts": list(self.prompts),
            "hints": list(self.hints),
            "repeats": self.repeats,
            "clarifications": list(self.clarifications),
            "turns": [t.to_dict() for t in self.turns],
            "outcome": None if self.outcome is None else self.outcome.value,
            "closed_at": self.closed_at,
            "score": None if self.score is None else self.score.to_dict(),
            "ladder_after": self.ladder_after,
            "follow_up_indices": list(self.follow_up_indices),
            "follow_up_hints": list(self.follow_up_hints),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuestionRecord:
        return cls(
            number=data["number"],
            question_id=data["question_id"],
            stage_id=data["stage_id"],
            competency=data["competency"],
            level=data["level"],
            ladder_level=data["ladder_level"],
            borrowed=data["borrowed"],
            asked_at=data["asked_at"],
            budget=data["budget"],
            prompts=tuple(data["prompts"]),
            hints=tuple(data["hints"]),
            repeats=data["repeats"],
            clarifications=tuple(data["clarifications"]),
            turns=tuple(AnswerTurn.from_dict(t) for t in data["turns"]),
            outcome=None if data["outcome"] is None else QuestionOutcome(data["outcome"]),
            closed_at=data["closed_at"],
            score=None if data["score"] is None else QuestionScore.from_dict(data["score"]),
            ladder_after=data["ladder_after"],
            follow_up_indices=tuple(data.get("follow_up_indices", ())),
            follow_up_hints=tuple(data.get("follow_up_hints", ())),
        )


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """Everything the scorecard needs from a session (``InterviewEngine.session()``)."""

    interview: str  # id@sha256:...
    seed: int
    ladder_start: str
    questions: tuple[QuestionRecord, ...]
    nudges: Mapping[int, float]  # question number -> when the nudge was given
    end_reason: str | None  # None while the interview runs
    elapsed: float  # seconds from start to end (or to now, while running)
    wrap_up_at: float | None  # when the wrap-up began
    stages: tuple[tuple[str, int, int], ...]  # (stage id, planned, asked)


def answered_questions(compiled: CompiledInterview, session: SessionRecord
                       ) -> tuple[AnsweredQuestion, ...]:
    """The session's questions as the scoring stage reads them (one per asked question)."""
    iv = compiled.interview
    out: list[AnsweredQuestion] = []
    for rec in session.questions:
        question = iv.question(rec.question_id)
        speaking = sum(t.ended_at - t.started_at for t in rec.turns
                       if t.started_at is not None and t.ended_at is not None)
        facts = QuestionFacts(
            stage=rec.stage_id, ladder_level=rec.ladder_level, borrowed=rec.borrowed,
            follow_ups=rec.follow_ups, hint_indices=rec.hints, repeats=rec.repeats,
            clarifications=len(rec.clarifications), asked_at=rec.asked_at,
            closed_at=rec.closed_at, budget=rec.budget,
            nudged_at=session.nudges.get(rec.number), speaking_seconds=speaking,
            ladder_after=rec.ladder_after,
            engine_score=None if rec.score is None else rec.score.score,
        )
        hints = tuple(question.hints[i] for i in rec.hints if 0 <= i < len(question.hints))
        hints += tuple(question.follow_ups[j].hint or "" for j in rec.follow_up_hints
                       if 0 <= j < len(question.follow_ups) and question.follow_ups[j].hint)
        judge_prompts, judge_hints = neutral_prompts(compiled, rec)
        out.append(AnsweredQuestion(
            number=rec.number, question=question, answers=rec.answers, prompts=rec.prompts,
            hints=hints, outcome="open" if rec.outcome is None else rec.outcome.value,
            engine_score=rec.score, facts=facts, judge_prompts=judge_prompts,
            judge_hints=judge_hints,
        ))
    return tuple(out)


NEUTRAL_CANDIDATE = Candidate(name="[the candidate]")
"""Who the judge is told it is scoring: templates that use ``candidate.*`` are rendered
with this placeholder (no attributes), so the candidate's name never reaches the judge."""


def neutral_prompts(compiled: CompiledInterview, rec: QuestionRecord
                    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The question, follow-ups and hints as asked, rendered for the judge with
    ``NEUTRAL_CANDIDATE`` instead of the candidate (same stage and number)."""
    qid, stage, number, who = rec.question_id, rec.stage_id, rec.number, NEUTRAL_CANDIDATE
    try:
        prompts = [compiled.question_text(qid, stage_id=stage, number=number, candidate=who)]
        asked = list(rec.follow_up_indices)
        for k in range(len(rec.prompts) - 1):
            prompts.append(compiled.follow_up_text(qid, asked[k], stage_id=stage,
                                                   number=number, candidate=who)
                           if k < len(asked) else "(a follow-up question)")
        hints = [compiled.hint_text(qid, i, stage_id=stage, number=number, candidate=who)
                 for i in rec.hints]
        for j in rec.follow_up_hints:
            hint = compiled.follow_up_hint_text(qid, j, stage_id=stage, number=number,
                                                candidate=who)
            if hint:
                hints.append(hint)
    except (KeyError, IndexError, StopIteration, ValueError):
        return ("(the question)",) + ("(a follow-up question)",) * (len(rec.prompts) - 1), ()
    return tuple(prompts), tuple(hints)


def session_facts(session: SessionRecord) -> SessionFacts:
    return SessionFacts(interview=session.interview, seed=session.seed,
                        ladder_start=session.ladder_start, end_reason=session.end_reason,
                        elapsed=session.elapsed, wrap_up_at=session.wrap_up_at,
                        stages=session.stages)


def score_record(compiled: CompiledInterview, session: SessionRecord, *,
                 scorer: Scorer = OFFLINE, scores: Mapping[int, QuestionScore] | None = None,
                 created_at: str | None = None) -> Scorecard:
    """The scoring stage over a session record (``mockflow.scoring.stage.score_session``)."""
    return score_session(compiled, answered_questions(compiled, session),
                         session_facts(session), scorer=scorer, scores=scores,
                         created_at=created_at)
