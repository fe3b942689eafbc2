"""The scorecard: per-question scores, level adjustment, competency and overall scores.

Built by the scoring stage (``mockflow.scoring.stage.score_session``) from the answered
questions of a finished (or interrupted) session record; a judge can change scores, never
the interview's path.

Rules (docs/scoring.md has the worked example):

- The gate, applied after level adjustment, to every scorer alike: a score is clamped to
  the scale; each quote must occur verbatim (case and whitespace aside) in that
  question's candidate turns *as the scorers saw them* -- sentences addressed to the
  scorer screened out (``mockflow.scoring.injection``) -- else it is dropped, as is a
  quote that is itself instruction-like; a score that is above the scale minimum *once
  adjusted* with no quote left is "not observed", with the reason. The minimum needs no
  quote: it records that none of the expected points came up (a raw minimum on a senior
  question, adjusted up, does need one).
- Review flags: what a person must look at before relying on a question's score
  (``instruction-like text``, ``panel disagreement``, ``judge fallback``, ``cut off by
  time``, ``no quotes``), per question and collected at the top of the scorecard.
- Level adjustment: a question's raw score is moved by ``ladder.level_adjustment`` points
  per level the question sits above (+) or below (−) the role's level, then clamped to
  the scale. So all 5s on questions one level below the role become 4s and can't beat
  4s at or above it. The ladder uses raw scores; competency scores, the overall score and
  ``expect`` ranges use adjusted ones.
- Hints: with ``scoring.hint_penalty`` > 0, each hint given takes that many points off
  the question's adjusted score (never below the scale minimum). Hints are recorded per
  question either way.
- Totals can't be gamed by not answering: a question that was asked and then skipped,
  left silent, cut off by time or left when the candidate stopped, with no score, is
  "not answered" and counts at the scale minimum for its competency. Only a competency
  that was never asked is "not observed". A question still open (an interrupted
  session) counts for nothing yet.
- A competency's score is the mean of its counted questions (scored and not answered);
  the overall score is the mean of the competencies asked, weighted by their ``weight``.
  Both say how many questions they rest on.

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
from mockflow.scoring.base import (
    AnsweredQuestion,
    QuestionFacts,
    QuestionScore,
    Rubric,
    SessionFacts,
)
from mockflow.scoring.confidence import assess
from mockflow.scoring.evidence_gate import hold, offline_evidence
from mockflow.scoring.injection import (
    ANOTHER_LANGUAGE,
    APPEAL,
    FLAGS,
    INSTRUCTION,
    QUARANTINE,
    Removed,
    Screened,
    never_evidence,
    screen_item,
)

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


REVIEW_NO_QUOTES = "no quotes"
REVIEW_CUT_OFF = "cut off by time"
_QUOTE_MARKS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _plain(text: str) -> str:
    """Case and whitespace folded: what "verbatim" compares."""
    return " ".join(text.translate(_QUOTE_MARKS).casefold().split())


def quoted(quote: str, turns: Sequence[str]) -> bool:
    """Whether ``quote`` occurs in one of ``turns`` (case and whitespace aside)."""
    needle = _plain(quote)
    return bool(needle) and any(needle in _plain(t) for t in turns)


def gate(score: QuestionScore | None, answers: Sequence[str], scale: Scale, *,
         adjustment: float = 0.0, screened: Sequence[str] | None = None,
         language: str = "en") -> QuestionScore | None:
    """Clamp to the scale; keep only quotes found verbatim in the turns the scorers saw
    (``screened``, default ``answers``) and in the candidate's own words, and never an
    instruction-like quote; a score that is above the minimum *after* level adjustment with
    no quote left → not observed (score None), with the reason and a review flag."""
    if score is None or score.score is None:
        return score
    value = scale.clamp(float(score.score))
    seen = answers if screened is None else screened
    evidence = tuple(q for q in score.evidence
                     if quoted(q, seen) and quoted(q, answers)
                     and not never_evidence(q, language))
    if scale.clamp(value + adjustment) > scale.min and not evidence:
        dropped = len(score.evidence)
        why = (f"none of its {dropped} quote{'s' if dropped != 1 else ''} occurs verbatim in"
               " the candidate's answer" if dropped else "it quoted nothing")
        detail = f"a score of {value:g} from {score.source}, but {why}"
        return replace(score, score=None, evidence=(),
                       rationale=f"{score.rationale} Not observed: no verbatim evidence"
                                 f" ({detail}).",
                       review=score.review + ((REVIEW_NO_QUOTES, detail),))
    if value == score.score and evidence == score.evidence:
        return score
    return replace(score, score=value, evidence=evidence)


def score_breakdown(raw: float | None, adjustment: float, penalty: float,
                    counted: float | None, level: str, *, not_answered: bool = False) -> str:
    """How a question's counted score is made, in one line every report shows:
    "3 on a senior question, +1 level credit -> 4" (raw, level credit, hint penalty)."""
    if raw is None:
        if not_answered and counted is not None:
            return f"not answered: counts as {counted:g}"
        return "not observed: counts for nothing"
    parts = [f"{raw:g} on a {level} question"]
    if adjustment > 0:
        parts.append(f"+{adjustment:g} level credit")
    elif adjustment < 0:
        parts.append(f"{adjustment:g} for a question below the role's level")
    if penalty:
        parts.append(f"-{penalty:g} for hints")
    return ", ".join(parts) + f" -> {counted:g}"


NOT_ANSWERED = {
    "skipped": "skipped",
    "moved_on": "nothing said before the interviewer moved on",
    "time_up": "cut off by time",
    "stopped": "the candidate stopped the interview",
    "answered": "nothing scorable was said",
}


def review_flags(item: AnsweredQuestion, screened: Screened, score: QuestionScore | None
                 ) -> tuple[tuple[str, str], ...]:
    """What a person must look at for this question, (flag, detail) in a fixed order."""
    flags: list[tuple[str, str]] = []
    for kind, flag in FLAGS.items():
        found = screened.of(kind)
        if not found:
            continue
        n = len(found)
        what = ", ".join(dict.fromkeys(r.reason for r in found))
        some = f"{n} {'passage' if kind == QUARANTINE else 'sentence'}{'s' if n != 1 else ''}"
        flags.append((flag, {
            INSTRUCTION: f"{some} addressed to the scorer removed before scoring ({what})",
            APPEAL: f"{some} about the answer's own grade not scored ({what})",
            QUARANTINE: f"{some} that can't be read as the interview's language not scored"
                        f" ({what}); shown under 'set aside' for a person to read",
            ANOTHER_LANGUAGE: f"{some} in another language not scored ({what}): have"
                              " someone who reads it look at them",
        }[kind]))
    if item.outcome in ("moved_on", "time_up"):
        flags.append((REVIEW_CUT_OFF, "the answer was cut off: "
                      + ("its time ran out" if item.outcome == "moved_on"
                         else "the interview's time ran out")))
    if score is not None:
        flags += [f for f in score.review if f not in flags]
    return tuple(flags)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    item: AnsweredQuestion
    score: QuestionScore | None  # after the gate
    adjustment: float
    penalty: float = 0.0  # points taken off for hints (after the adjustment)
    floor: float | None = None  # the scale minimum, when the question counts unanswered
    review: tuple[tuple[str, str], ...] = ()  # (flag, detail) for a person to look at
    confidence: float | None = None  # how sure the score is, 0..1 (None: nothing scored)
    set_aside: tuple[Removed, ...] = ()  # what the screening kept from every scorer

    @property
    def raw(self) -> float | None:
        return None if self.score is None else self.score.score

    @property
    def adjusted(self) -> float | None:
        """The question's score in the totals: raw + level adjustment - hint penalty, the
        scale minimum when it was asked and not answered, None while it is still open."""
        raw = self.raw
        if raw is None:
            return self.floor
        return raw + self.adjustment - self.penalty

    @property
    def not_answered(self) -> bool:
        return self.raw is None and self.floor is not None

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
            # answered, then moved on ("I'm done with this one"): a scored question is
            # never "skipped", so a status can't contradict the score beside it
            "outcome": None if item.outcome == "open" else (
                "answered" if item.outcome == "skipped" and self.raw is not None
                else item.outcome),
            "breakdown": score_breakdown(self.raw, self.adjustment, self.penalty,
                                         self.adjusted, item.level,
                                         not_answered=self.not_answered),
            "raw_score": _r(self.raw),
            "adjustment": _r(self.adjustment),
            "hint_penalty": _r(self.penalty),
            "score": _r(self.adjusted),
            "not_observed": self.raw is None,
            "not_answered": self.not_answered,
            "evidence": [] if score is None else list(score.evidence),
            "rationale": self._rationale(),
            "source": None if score is None else score.source,
            "panel": [] if score is None else [{"judge": who, "score": _r(value)}
                                               for who, value in score.panel],
            "disagreement": False if score is None else score.disagreement,
            "review": [{"flag": flag, "detail": detail} for flag, detail in self.review],
            "confidence": _r(self.confidence, 3),
            "set_aside": [{"text": r.text, "reason": r.reason, "flag": r.flag}
                          for r in self.set_aside],
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


    def _rationale(self) -> str:
        score = self.score
        if self.not_answered:
            why = NOT_ANSWERED.get(self.item.outcome, "not answered")
            base = f"Not answered ({why}): counts as the scale minimum."
            return base if score is None else f"{base} {score.rationale}"
        if score is None:
            return "Not answered yet."
        if self.penalty:
            hints = len(self.item.hints) or len(self.item.facts.hint_indices
                                                if self.item.facts else ())
            return (f"{score.rationale} Hint penalty: -{self.penalty:g} for"
                    f" {hints} hint{'s' if hints != 1 else ''}.")
        return score.rationale


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
    observations: int  # questions scored
    evidence: tuple[tuple[str, str], ...]  # (question id, verbatim quote)
    not_answered: int = 0  # questions asked and not answered (counted at the minimum)

    @property
    def not_observed(self) -> bool:
        """Never asked (or only a question still open)."""
        return self.score is None

    @property
    def questions(self) -> int:
        """How many questions the score rests on."""
        return self.observations + self.not_answered

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "weight": _r(self.weight),
            "score": _r(self.score),
            "not_observed": self.not_observed,
            "observations": self.observations,
            "not_answered": self.not_answered,
            "questions": self.questions,
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
            "overall": {
                "score": _r(self.overall),
                "not_observed": self.overall is None,
                "questions": sum(c.questions for c in self.competencies
                                 if c.score is not None and c.weight > 0),
                "competencies": sum(1 for c in self.competencies
                                    if c.score is not None and c.weight > 0),
            },
            "hint_penalty": _r(iv.scoring.hint_penalty),
            "adjustment": {
                "role_level": iv.role.level if iv.role.level in iv.ladder.levels else None,
                "points_per_level": _r(iv.ladder.level_adjustment),
                "rule": ADJUSTMENT_RULE,
            },
            "competencies": [c.to_dict() for c in self.competencies],
            "questions": [q.to_dict() for q in self.questions],
            "review": [{"number": q.item.number, "question": q.item.question.id,
                        "flag": flag, "detail": detail}
                       for q in self.questions for flag, detail in q.review],
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
    per_hint = iv.scoring.hint_penalty
    for item, chosen in scored:
        adjustment = level_adjustment(iv, item.level)
        rubric = Rubric(iv.competency(item.competency), scale, iv.questions,
                        iv.interviewer.language)
        seen, screened = screen_item(item, rubric)
        chosen = hold(chosen, offline_evidence(chosen, seen, rubric), scale.min)
        gated = gate(chosen, item.answers, scale, adjustment=adjustment,
                     screened=screened.turns, language=rubric.language)
        sure = assess(chosen, scale)
        penalty = 0.0
        floor = None
        if gated is not None and gated.score is not None:
            adjusted = scale.clamp(gated.score + adjustment)
            adjustment = adjusted - gated.score
            hints = len(item.facts.hint_indices) if item.facts is not None else len(item.hints)
            penalty = min(per_hint * hints, adjusted - scale.min)
        elif item.outcome != "open":
            floor = float(scale.min)
        flags = review_flags(item, screened, gated)
        flags += tuple(f for f in sure.review() if f not in flags)
        results.append(QuestionResult(item, gated, adjustment, penalty, floor, flags,
                                      None if chosen is None else sure.value,
                                      screened.removed))
    comps: list[CompetencyResult] = []
    for comp in iv.competencies:
        mine = [r for r in results if r.item.competency == comp.id and r.adjusted is not None]
        values = [r.adjusted for r in mine if r.adjusted is not None]
        evidence = tuple((r.item.question.id, quote) for r in mine
                         if r.score is not None for quote in r.score.evidence)
        unanswered = sum(1 for r in mine if r.not_answered)
        comps.append(CompetencyResult(
            comp.id, comp.name, comp.weight,
            sum(values) / len(values) if values else None, len(values) - unanswered,
            evidence, unanswered,
        ))
    observed = [c for c in comps if c.score is not None and c.weight > 0]
    weight = sum(c.weight for c in observed)
    overall = (sum(c.weight * (c.score or 0.0) for c in observed) / weight) if weight else None
    return Scorecard(compiled, session, tuple(results), tuple(comps), overall, created_at)
