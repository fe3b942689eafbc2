"""The scorecard: per-question scores, level adjustment, competency and overall scores.

Built by the scoring stage (``mockflow.scoring.stage.score_session``) from the answered
questions of a finished (or interrupted) session record; a judge can change scores, never
the interview's path.

Rules (docs/scoring.md has the worked example):

- The gate, applied after level adjustment: a score is clamped to the scale; evidence
  must be verbatim substrings of the candidate's answers to that question (others are
  dropped); a score that is above the scale minimum *once adjusted* with no evidence left
  is "not observed". The minimum needs no quote: it records that none of the expected
  points came up (a raw minimum on a senior question, adjusted up, does need one).
- Level adjustment: a question's raw score is moved by ``ladder.level_adjustment`` points
  per level the question sits above (+) or below (−) the role's level, then clamped to
  the scale. So all 5s on questions one level below the role become 4s and can't beat
  4s at or above it. The ladder uses raw scores; competency scores, the overall score and
  ``expect`` ranges use adjusted ones.
- A competency's score is the mean of its observed questions' adjusted scores; the
  overall score is the mean of the observed competencies weighted by their ``weight``.

``Scorecard.to_json()`` is deterministic (sorted keys, rounded numbers): same seed and
inputs give byte-identical output. The one wall-clock value, ``timestamps.created_at``,
is whatever the caller passes (``None`` by default).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mockflow import __version__
from mockflow.format.compile import CompiledInterview
from mockflow.format.model import Interview, Scale
from mockflow.scoring.base import AnsweredQuestion, QuestionFacts, QuestionScore, SessionFacts

SCORECARD_FORMAT = 1
ADJUSTMENT_RULE = (
    "adjusted = clamp(raw + points_per_level x (question level - role level)); levels"
    " counted on the ladder"
)


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def level_adjustment(interview: Interview, question_level: str) -> float:
    """Points added to a question's raw score for its level relative to the role's."""
    levels = interview.ladder.levels
    role = interview.role.level
    if role not in levels or question_level not in levels:
        return 0.0
    return interview.ladder.level_adjustment * (levels.index(question_level)
                                                - levels.index(role))


def gate(score: QuestionScore | None, answers: Sequence[str], scale: Scale, *,
         adjustment: float = 0.0) -> QuestionScore | None:
    """Clamp to the scale; keep only verbatim evidence; a score that is above the minimum
    *after* level adjustment with no evidence left → not observed (score None)."""
    if score is None or score.score is None:
        return score
    value = scale.clamp(float(score.score))
    evidence = tuple(q for q in score.evidence if q.strip() and any(q in a for a in answers))
    if scale.clamp(value + adjustment) > scale.min and not evidence:
        return replace(score, score=None, evidence=(),
                       rationale=score.rationale + " Not observed: no verbatim evidence.")
    if value == score.score and evidence == score.evidence:
        return score
    return replace(score, score=value, evidence=evidence)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    item: AnsweredQuestion
    score: QuestionScore | None  # after the gate
    adjustment: float

    @property
    def raw(self) -> float | None:
        return None if self.score is None else self.score.score

    @property
    def adjusted(self) -> float | None:
        raw = self.raw
        return None if raw is None else raw + self.adjustment

    def to_dict(self) -> dict[str, Any]:
        item, score = self.item, self.score
        facts = item.facts if item.facts is not None else _NO_FACTS
        return {
            "number": item.number,
            "id": item.question.id,
            "stage": facts.stage,
            "competency": item.competency,
            "level": item.level,
            "ladder_level": facts.ladder_level or item.level,
            "borrowed": facts.borrowed,
            "outcome": None if item.outcome == "open" else item.outcome,
            "raw_score": _r(self.raw),
            "adjustment": _r(self.adjustment),
            "score": _r(self.adjusted),
            "not_observed": self.raw is None,
            "evidence": [] if score is None else list(score.evidence),
            "rationale": "Not answered." if score is None else score.rationale,
            "source": None if score is None else score.source,
            "covered": [] if score is None else list(score.covered),
            "partial": [] if score is None else list(score.partial),
            "missed": [] if score is None else list(score.missed),
            "follow_ups": facts.follow_ups,
            "hints_used": list(facts.hint_indices),
            "repeats": facts.repeats,
            "clarifications": facts.clarifications,
            "timing": {
                "asked_at": _r(facts.asked_at, 3),
                "closed_at": _r(facts.closed_at, 3),
                "seconds": None if facts.closed_at is None
                else _r(facts.closed_at - facts.asked_at, 3),
                "budget_seconds": _r(facts.budget, 3),
                "nudged_at": _r(facts.nudged_at, 3),
                "speaking_seconds": _r(facts.speaking_seconds, 3),
            },
        }


_NO_FACTS = QuestionFacts(stage="", ladder_level="", borrowed=False, follow_ups=0,
                          hint_indices=(), repeats=0, clarifications=0, asked_at=0.0,
                          closed_at=None, budget=0.0, nudged_at=None, speaking_seconds=0.0,
                          ladder_after=None, engine_score=None)


@dataclass(frozen=True, slots=True)
class CompetencyResult:
    id: str
    name: str
    weight: float
    score: float | None
    observations: int
    evidence: tuple[tuple[str, str], ...]  # (question id, verbatim quote)

    @property
    def not_observed(self) -> bool:
        return self.score is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "weight": _r(self.weight),
            "score": _r(self.score),
            "not_observed": self.not_observed,
            "observations": self.observations,
            "evidence": [{"question": q, "quote": quote} for q, quote in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Scorecard:
    compiled: CompiledInterview
    session: SessionFacts
    questions: tuple[QuestionResult, ...]
    competencies: tuple[CompetencyResult, ...]
    overall: float | None
    created_at: str | None = None

    @property
    def complete(self) -> bool:
        return self.session.end_reason is not None

    def competency(self, competency_id: str) -> CompetencyResult:
        return next(c for c in self.competencies if c.id == competency_id)

    def to_dict(self) -> dict[str, Any]:
        iv = self.compiled.interview
        session = self.session
        trajectory = []
        final = session.ladder_start
        for q in self.questions:
            facts = q.item.facts if q.item.facts is not None else _NO_FACTS
            trajectory.append({
                "number": q.item.number,
                "question": q.item.question.id,
                "ladder_level": facts.ladder_level or q.item.level,
                "asked_level": q.item.level,
                "borrowed": facts.borrowed,
                # the score the engine stepped on, whatever a judge said later
                "raw_score": _r(facts.engine_score),
                "next_level": facts.ladder_after,
            })
            if facts.ladder_after is not None:
                final = facts.ladder_after
        return {
            "format": SCORECARD_FORMAT,
            "mockflow": __version__,
            "interview": session.interview,
            "title": iv.title,
            "role": {"title": iv.role.title, "level": iv.role.level},
            "seed": session.seed,
            "scale": {"min": iv.scale.min, "max": iv.scale.max},
            # complete only when every planned question was asked: a candidate who quit
            # before answering, or a run out of time, is not a complete interview
            "status": ("in_progress" if not self.complete
                       else "complete" if session.end_reason == "questions_exhausted"
                       else "ended_early"),
            "end_reason": session.end_reason,
            "overall": {"score": _r(self.overall), "not_observed": self.overall is None},
            "adjustment": {
                "role_level": iv.role.level if iv.role.level in iv.ladder.levels else None,
                "points_per_level": _r(iv.ladder.level_adjustment),
                "rule": ADJUSTMENT_RULE,
            },
            "competencies": [c.to_dict() for c in self.competencies],
            "questions": [q.to_dict() for q in self.questions],
            "ladder": {
                "levels": list(iv.ladder.levels),
                "start": session.ladder_start,
                "final": final,
                "trajectory": trajectory,
            },
            "hints_used": sum(len(q.item.facts.hint_indices) if q.item.facts else len(q.item.hints)
                              for q in self.questions),
            "stages": [{"id": sid, "planned": planned, "asked": asked}
                       for sid, planned, asked in session.stages],
            "timing": {
                "elapsed_seconds": _r(session.elapsed, 3),
                "total_budget_seconds": _r(iv.timing.total_seconds, 3),
                "wrap_up_at": _r(session.wrap_up_at, 3),
            },
            "timestamps": {"created_at": self.created_at},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def aggregate(compiled: CompiledInterview, session: SessionFacts,
              scored: Sequence[tuple[AnsweredQuestion, QuestionScore | None]], *,
              created_at: str | None = None) -> Scorecard:
    """The gate, level adjustment and aggregation over already-scored questions."""
    iv = compiled.interview
    scale = iv.scale
    results: list[QuestionResult] = []
    for item, chosen in scored:
        adjustment = level_adjustment(iv, item.level)
        gated = gate(chosen, item.answers, scale, adjustment=adjustment)
        if gated is not None and gated.score is not None:
            adjusted = scale.clamp(gated.score + adjustment)
            adjustment = adjusted - gated.score
        results.append(QuestionResult(item, gated, adjustment))
    comps: list[CompetencyResult] = []
    for comp in iv.competencies:
        mine = [r for r in results if r.item.competency == comp.id and r.adjusted is not None]
        values = [r.adjusted for r in mine if r.adjusted is not None]
        evidence = tuple((r.item.question.id, quote) for r in mine
                         if r.score is not None for quote in r.score.evidence)
        comps.append(CompetencyResult(
            comp.id, comp.name, comp.weight,
            sum(values) / len(values) if values else None, len(values), evidence,
        ))
    observed = [c for c in comps if c.score is not None and c.weight > 0]
    weight = sum(c.weight for c in observed)
    overall = (sum(c.weight * (c.score or 0.0) for c in observed) / weight) if weight else None
    return Scorecard(compiled, session, tuple(results), tuple(comps), overall, created_at)
