"""What scoring reads and returns: the rubric, one answered question, its score, the protocol.

``AnsweredQuestion`` is one asked question as the scoring stage sees it, built from the
session record by the interview layer (``mockflow.interview.records.answered_questions``):
the question, the candidate's own answer turns, what was said to the candidate (the
question as asked, follow-ups, hints) and how the question ended. Scorers never see the
candidate's name or attributes. ``QuestionFacts`` and ``SessionFacts`` carry what the
scorecard shows beside the scores (timings, the ladder); scoring never decides on them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mockflow.format.model import Competency, Question, Scale

SOURCE_OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Rubric:
    """What a question is scored against: its competency (anchors), the scale and the
    interview's questions (their written examples are the reference answers; empty: only
    the scored question's own)."""

    competency: Competency
    scale: Scale
    questions: tuple[Question, ...] = ()
    language: str = "en"  # the interview's language (interviewer.language)


@dataclass(frozen=True, slots=True)
class QuestionScore:
    """One question's raw score for its competency.

    ``score`` is on the rubric scale, or ``None`` when nothing was observed. Every
    ``evidence`` item is a verbatim substring of one of the candidate's answer turns.
    ``covered``/``partial``/``missed`` are key-point labels (scorecard only, never spoken).
    ``review`` holds (flag, detail) pairs a person should look at (a judge that fell back,
    a panel that disagreed); ``panel`` every panel member's score, by member;
    ``signals`` what the scorer measured on the way (``mockflow.scoring.confidence`` reads
    them: coverage, similarity to the nearest example, the list rule's margin, ...).
    """

    competency: str
    score: float | None
    evidence: tuple[str, ...]
    rationale: str
    source: str
    covered: tuple[str, ...] = ()
    partial: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()
    words: int = 0
    review: tuple[tuple[str, str], ...] = ()
    panel: tuple[tuple[str, float | None], ...] = ()
    disagreement: bool = False
    signals: tuple[tuple[str, float], ...] = ()  # what the scorer measured (confidence)

    def signal(self, name: str) -> float | None:
        return next((v for k, v in self.signals if k == name), None)

    @property
    def observed(self) -> bool:
        return self.score is not None

    @property
    def incomplete(self) -> bool:
        """Some key point was missed or only partly made (a follow-up may help)."""
        return bool(self.partial or self.missed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "competency": self.competency,
            "score": self.score,
            "evidence": list(self.evidence),
            "rationale": self.rationale,
            "source": self.source,
            "covered": list(self.covered),
            "partial": list(self.partial),
            "missed": list(self.missed),
            "words": self.words,
            "review": [{"flag": flag, "detail": detail} for flag, detail in self.review],
            "panel": [{"judge": who, "score": score} for who, score in self.panel],
            "disagreement": self.disagreement,
            "signals": dict(self.signals),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuestionScore:
        return cls(
            competency=data["competency"],
            score=data["score"],
            evidence=tuple(data["evidence"]),
            rationale=data["rationale"],
            source=data["source"],
            covered=tuple(data.get("covered", ())),
            partial=tuple(data.get("partial", ())),
            missed=tuple(data.get("missed", ())),
            words=int(data.get("words", 0)),
            review=tuple((str(r["flag"]), str(r["detail"])) for r in data.get("review", ())),
            panel=tuple((str(m["judge"]), None if m["score"] is None else float(m["score"]))
                        for m in data.get("panel", ())),
            disagreement=bool(data.get("disagreement", False)),
            signals=tuple((str(k), float(v)) for k, v in (data.get("signals") or {}).items()),
        )


@dataclass(frozen=True, slots=True)
class QuestionFacts:
    """What the scorecard shows about a question besides its score (from the record)."""

    stage: str
    ladder_level: str  # the level the ladder asked for
    borrowed: bool  # a pick stage took it from the nearest level
    follow_ups: int
    hint_indices: tuple[int, ...]
    repeats: int
    clarifications: int
    asked_at: float
    closed_at: float | None
    budget: float
    nudged_at: float | None
    speaking_seconds: float
    ladder_after: str | None  # the level the ladder moved to after it
    engine_score: float | None  # the raw score the engine stepped the ladder on


@dataclass(frozen=True, slots=True)
class AnsweredQuestion:
    """One asked question, as the scoring stage sees it."""

    number: int  # 1-based position in the interview
    question: Question
    answers: tuple[str, ...]  # the candidate's own answer turns, in order
    prompts: tuple[str, ...] = ()  # what was asked: the question, then follow-ups
    hints: tuple[str, ...] = ()  # the hint texts given
    outcome: str = "answered"  # answered|moved_on|skipped|stopped|time_up|open
    engine_score: QuestionScore | None = None  # the engine's own (offline) signal
    facts: QuestionFacts | None = None
    # what the judge is shown instead of ``prompts``/``hints``: the same templates rendered
    # with a neutral placeholder for the candidate, so their name never reaches the judge
    judge_prompts: tuple[str, ...] = ()
    judge_hints: tuple[str, ...] = ()

    @property
    def competency(self) -> str:
        return self.question.competency

    @property
    def level(self) -> str:
        return self.question.level

    @classmethod
    def of(cls, question: Question, answers: Sequence[str], *, number: int = 1
           ) -> AnsweredQuestion:
        """A question asked as written and answered with ``answers`` (calibration, tests)."""
        return cls(number, question, tuple(answers), (question.text,))


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """The session-level facts a scorecard shows (from the session record)."""

    interview: str  # id@sha256:...
    seed: int
    ladder_start: str
    end_reason: str | None  # None while the interview runs
    elapsed: float
    wrap_up_at: float | None
    stages: tuple[tuple[str, int, int], ...] = ()  # (stage id, planned, asked)


class Scorer(Protocol):
    """Scores one answered question against its rubric."""

    @property
    def source(self) -> str: ...

    def score(self, item: AnsweredQuestion, rubric: Rubric) -> QuestionScore: ...


def anchor_score(scores: Sequence[int], position: float) -> float:
    """Piecewise-linear position (0..1) over the sorted anchor scores."""
    if len(scores) == 1:
        return float(scores[0])
    x = min(1.0, max(0.0, position)) * (len(scores) - 1)
    i = min(int(x), len(scores) - 2)
    frac = x - i
    return scores[i] + (scores[i + 1] - scores[i]) * frac


def round_half_up(value: float) -> float:
    return float(math.floor(value + 0.5))


