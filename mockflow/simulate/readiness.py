"""Readiness for scoring, per question (``mockflow test``): is its scoring calibrated?

A question's scoring is **calibrated** when it has a written example for every grade
(``strong``, ``average``, ``weak``: the offline scorer's references) and the simulated
candidates come out in that order on it: on every seed, the strong persona's answer
scores above the average one's, and the average above the weak one's. Each persona
answers as in a simulated interview (``mockflow.simulate.personas``: its grade's example
with the seed's variation, plus the sentences it held back for a follow-up), and the
answer is scored as in a session (screening, the offline scorer, the evidence gate; "not
observed" counts as the scale minimum), on the question itself, so every question is
checked, not only those a simulated interview happened to draw.

A question that isn't calibrated is still scored; its scores just have nothing that
shows they order candidates (docs/calibration.md, "Questions without examples").
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mockflow.format.model import PERSONAS, Interview, Question
from mockflow.scoring.base import AnsweredQuestion, Rubric, Scorer
from mockflow.scoring.injection import screen_item
from mockflow.scoring.offline import OFFLINE
from mockflow.scoring.scorecard import gate
from mockflow.simulate.personas import FOLLOW_UP_LEADS, Persona, builtin, view_of


@dataclass(frozen=True, slots=True)
class _Prompt:
    """What the persona is told: the question is being asked."""

    question_id: str
    number: int | None = 1
    phase: str = "question"
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class QuestionReadiness:
    id: str
    calibrated: bool
    reason: str
    means: dict[str, float] = field(default_factory=dict)  # grade -> mean score
    misses: tuple[int, ...] = ()  # seeds on which the order did not hold

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "calibrated": self.calibrated, "reason": self.reason,
                "means": {g: round(v, 3) for g, v in self.means.items()},
                "order_misses": list(self.misses)}


def answer_turns(interview: Interview, question: Question, grade: str, seed: int
                 ) -> list[str]:
    """What the ``grade`` persona says to ``question`` on ``seed``: its answer, and the
    sentences it held back (said when a follow-up comes)."""
    persona = Persona(builtin(grade), view_of(interview), seed)
    first = persona.plan(_Prompt(question.id))
    turns = [first.text]
    then = persona.plan(_Prompt(question.id))
    if then.kind == "follow_up" and then.text.startswith(FOLLOW_UP_LEADS):
        turns.append(then.text)
    return [t for t in turns if t]


def score(interview: Interview, question: Question, turns: Sequence[str],
          scorer: Scorer = OFFLINE) -> float:
    """The question's score for these answer turns, as a session scores it."""
    scale = interview.scale
    rubric = Rubric(interview.competency(question.competency), scale, interview.questions)
    seen, screened = screen_item(AnsweredQuestion.of(question, list(turns)), rubric)
    raw = scorer.score(seen, rubric) if seen.answers else None
    gated = gate(raw, tuple(turns), scale, screened=screened.turns)
    return float(scale.min) if gated is None or gated.score is None else gated.score


def question_readiness(interview: Interview, seeds: Sequence[int],
                       scorer: Scorer = OFFLINE) -> list[QuestionReadiness]:
    """Every question's readiness, in the file's order."""
    out: list[QuestionReadiness] = []
    for q in interview.questions:
        missing = [g for g in PERSONAS if q.examples.get(g) is None]
        if missing:
            out.append(QuestionReadiness(
                q.id, False, f"no {'/'.join(missing)} example"
                f"{'s' if len(missing) > 1 else ''}: write "
                f"{'them' if len(missing) > 1 else 'it'} or run mockflow draft"))
            continue
        scores: dict[str, list[float]] = {
            g: [score(interview, q, answer_turns(interview, q, g, s), scorer) for s in seeds]
            for g in PERSONAS}
        means: dict[str, float] = {g: statistics.fmean(v) for g, v in scores.items()}
        misses = tuple(s for i, s in enumerate(seeds)
                       if not scores["strong"][i] > scores["average"][i] > scores["weak"][i])
        shown = " > ".join(f"{g} {means[g]:.1f}" for g in PERSONAS)
        if misses:
            out.append(QuestionReadiness(q.id, False, _why(scores, means, misses, seeds),
                                         means, misses))
        else:
            out.append(QuestionReadiness(q.id, True, shown, means))
    return out


def _why(scores: dict[str, list[float]], means: dict[str, float], misses: Sequence[int],
         seeds: Sequence[int]) -> str:
    """Which step of strong > average > weak fails, and what to change."""
    pairs = (("strong", "average", "it should make more of the key points, with the"
                                   " reasoning"),
             ("average", "weak", "it should make a key point the weak one doesn't"))
    found = []
    for upper, lower, fix in pairs:
        failing = sum(not a > b for a, b in zip(scores[upper], scores[lower], strict=True))
        if failing:
            found.append(f"the {upper} example scores no higher than the {lower} one"
                         f" ({means[upper]:.1f} vs {means[lower]:.1f} on average): {fix}")
    when = "every seed" if len(misses) == len(seeds) else \
        f"{len(misses)} of {len(seeds)} seeds"
    return f"on {when}, " + "; ".join(found)
