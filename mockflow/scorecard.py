"""The scorecard: per-question scores, level adjustment, competency and overall scores.

Built from a ``SessionRecord`` (what the engine recorded) and, optionally, a judge's
re-scores per question; the judge can change scores, never the interview's path.

Rules (docs/scoring.md has the worked example):

- The gate: a score is clamped to the scale; evidence must be verbatim substrings of the
  candidate's answers to that question (others are dropped); a score above the scale
  minimum with no evidence left is "not observed". The minimum needs no quote: it records
  that none of the expected points came up.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from . import __version__
from .compile import CompiledInterview
from .model import Interview, Scale
from .records import QuestionRecord, SessionRecord
from .scoring import QuestionScore

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


def gate(score: QuestionScore | None, answers: Sequence[str], scale: Scale
         ) -> QuestionScore | None:
    """Clamp to the scale; keep only verbatim evidence; no evidence above min → None."""
    if score is None or score.score is None:
        return score
    value = scale.clamp(float(score.score))
    evidence = tuple(q for q in score.evidence if q.strip() and any(q in a for a in answers))
    if value > scale.min and not evidence:
        return replace(score, score=None, evidence=(),
                       rationale=score.rationale + " Not observed: no verbatim evidence.")
    if value == score.score and evidence == score.evidence:
        return score
    return replace(score, score=value, evidence=evidence)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    record: QuestionRecord
    score: QuestionScore | None  # after the gate
    adjustment: float
    nudged_at: float | None

    @property
    def raw(self) -> float | None:
        return None if self.score is None else self.score.score

    @property
    def adjusted(self) -> float | None:
        raw = self.raw
        return None if raw is None else raw + self.adjustment

    def to_dict(self) -> dict[str, Any]:
        rec, score = self.record, self.score
        speaking = sum(t.ended_at - t.started_at for t in rec.turns
                       if t.started_at is not None and t.ended_at is not None)
        return {
            "number": rec.number,
            "id": rec.question_id,
            "stage": rec.stage_id,
            "competency": rec.competency,
            "level": rec.level,
            "ladder_level": rec.ladder_level,
            "borrowed": rec.borrowed,
            "outcome": None if rec.outcome is None else rec.outcome.value,
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
            "follow_ups": rec.follow_ups,
            "hints_used": list(rec.hints),
            "repeats": rec.repeats,
            "clarifications": len(rec.clarifications),
            "timing": {
                "asked_at": _r(rec.asked_at, 3),
                "closed_at": _r(rec.closed_at, 3),
                "seconds": None if rec.closed_at is None
                else _r(rec.closed_at - rec.asked_at, 3),
                "budget_seconds": _r(rec.budget, 3),
                "nudged_at": _r(self.nudged_at, 3),
                "speaking_seconds": _r(speaking, 3),
            },
        }


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
    session: SessionRecord
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
        trajectory = [
            {
                "number": q.record.number,
                "question": q.record.question_id,
                "ladder_level": q.record.ladder_level,
                "asked_level": q.record.level,
                "borrowed": q.record.borrowed,
                # the score the engine stepped on, whatever a judge said later
                "raw_score": _r(None if q.record.score is None else q.record.score.score),
                "next_level": q.record.ladder_after,
            }
            for q in self.questions
        ]
        final = session.ladder_start
        for q in self.questions:
            if q.record.ladder_after is not None:
                final = q.record.ladder_after
        return {
            "format": SCORECARD_FORMAT,
            "mockflow": __version__,
            "interview": session.interview,
            "title": iv.title,
            "role": {"title": iv.role.title, "level": iv.role.level},
            "seed": session.seed,
            "scale": {"min": iv.scale.min, "max": iv.scale.max},
            "status": "complete" if self.complete else "in_progress",
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
            "hints_used": sum(len(q.record.hints) for q in self.questions),
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


def build_scorecard(compiled: CompiledInterview, session: SessionRecord, *,
                    scores: Mapping[int, QuestionScore] | None = None,
                    created_at: str | None = None) -> Scorecard:
    """Aggregate a session. ``scores`` (by question number) replace the engine's scores."""
    iv = compiled.interview
    scale = iv.scale
    results: list[QuestionResult] = []
    for rec in session.questions:
        chosen = rec.score
        if scores is not None and rec.number in scores:
            chosen = scores[rec.number]
        gated = gate(chosen, rec.answers, scale)
        adjustment = level_adjustment(iv, rec.level)
        if gated is not None and gated.score is not None:
            adjusted = scale.clamp(gated.score + adjustment)
            adjustment = adjusted - gated.score
        results.append(QuestionResult(rec, gated, adjustment, session.nudges.get(rec.number)))
    comps: list[CompetencyResult] = []
    for comp in iv.competencies:
        mine = [r for r in results if r.record.competency == comp.id and r.adjusted is not None]
        values = [r.adjusted for r in mine if r.adjusted is not None]
        evidence = tuple((r.record.question_id, quote) for r in mine
                         if r.score is not None for quote in r.score.evidence)
        comps.append(CompetencyResult(
            comp.id, comp.name, comp.weight,
            sum(values) / len(values) if values else None, len(values), evidence,
        ))
    observed = [c for c in comps if c.score is not None and c.weight > 0]
    weight = sum(c.weight for c in observed)
    overall = (sum(c.weight * (c.score or 0.0) for c in observed) / weight) if weight else None
    return Scorecard(compiled, session, tuple(results), tuple(comps), overall, created_at)
