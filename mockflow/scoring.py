"""Scoring one question: the ``Scorer`` protocol and the offline key-point scorer.

A scorer reads a question, the candidate's answer turns for it (the first answer plus any
follow-up answers) and the rubric, and returns a ``QuestionScore``: a raw score on the
rubric's scale (``None`` when nothing was observed), verbatim evidence quotes, a short
rationale and its source. The offline scorer is deterministic and fast (well under a
millisecond for a typical answer), so the engine uses it at once for structure decisions
(follow-up or not, ladder step). A slower judge may later re-score for the scorecard
behind the same protocol; it never changes the interview's path.

How the offline scorer maps an answer onto the scale (see docs/scoring.md):

1. coverage = key points matched / key points (``matching`` decides "matched");
2. the coverage picks a position on the competency's anchors, lowest anchor for none,
   highest for all, linear in between by anchor position;
3. a short answer is capped (fewer than ``SHORT_WORDS`` words can't pass the middle);
4. the result is rounded to a whole point, like a human rater's.

Nothing said at all (or only a few words with no key point) is "not observed": no score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .matching import Answer, Point, compile_points, match_point, stems
from .model import Competency, Question, Scale

SOURCE_OFFLINE = "offline"

SHORT_WORDS = 12  # answers shorter than this can't score above the middle of the scale
NOT_OBSERVED_WORDS = 3
PARTIAL_CREDIT = 0.5  # fewer words than this, with no key point, is not an answer


@dataclass(frozen=True, slots=True)
class Rubric:
    """What a question is scored against: its competency (anchors) and the scale."""

    competency: Competency
    scale: Scale


@dataclass(frozen=True, slots=True)
class QuestionScore:
    """One question's raw score for its competency.

    ``score`` is on the rubric scale, or ``None`` when nothing was observed. Every
    ``evidence`` item is a verbatim substring of one of the candidate's answer turns.
    ``covered``/``partial``/``missed`` are key-point labels (scorecard only, never spoken).
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
        )


class Scorer(Protocol):
    """Scores one question from the candidate's answer turns."""

    @property
    def source(self) -> str: ...

    def score(self, question: Question, answers: Sequence[str], rubric: Rubric) -> QuestionScore:
        ...


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


def _labels(points: Sequence[Point], which: Sequence[int]) -> tuple[str, ...]:
    return tuple(points[i].label for i in which)


@dataclass(frozen=True, slots=True)
class _Prepared:
    question: Question
    points: tuple[Point, ...]
    known: frozenset[str]  # stems of the question text: echoing them earns no partial credit


class OfflineScorer:
    """Deterministic key-point coverage scorer (see the module docstring)."""

    __slots__ = ("_prepared",)

    def __init__(self) -> None:
        # compiled key points per question object (held, so ids stay valid)
        self._prepared: dict[int, _Prepared] = {}

    @property
    def source(self) -> str:
        return SOURCE_OFFLINE

    def _prepare(self, question: Question) -> _Prepared:
        hit = self._prepared.get(id(question))
        if hit is not None and hit.question is question:
            return hit
        if len(self._prepared) >= 4096:
            self._prepared.clear()
        prepared = _Prepared(question, compile_points(kp.phrases for kp in question.key_points),
                             frozenset(stems(question.text)))
        self._prepared[id(question)] = prepared
        return prepared

    def points(self, question: Question) -> tuple[Point, ...]:
        """The question's compiled key points (compiled once per question object)."""
        return self._prepare(question).points

    def prepare(self, questions: Sequence[Question]) -> None:
        for q in questions:
            self._prepare(q)

    def score(self, question: Question, answers: Sequence[str], rubric: Rubric) -> QuestionScore:
        comp = rubric.competency.id
        prepared = self._prepare(question)
        points = prepared.points
        answer = Answer(answers)
        n_words = answer.word_count
        if not points:
            return QuestionScore(comp, None, (), "The question has no key points to score"
                                 " against.", SOURCE_OFFLINE, words=n_words)
        covered: list[int] = []
        partial: list[int] = []
        missed: list[int] = []
        spans: list[tuple[int, int]] = []
        for i, point in enumerate(points):
            span = match_point(answer, point)
            if span is not None:
                covered.append(i)
                spans.append(span)
                continue
            hit = answer.find_partial(point, prepared.known) if PARTIAL_CREDIT else None
            if hit is None:
                missed.append(i)
            else:
                partial.append(i)
                spans.append((hit, hit))
        if not covered and not partial and n_words < NOT_OBSERVED_WORDS:
            reason = "Nothing was said." if n_words == 0 else \
                "The answer was too short to assess."
            return QuestionScore(comp, None, (), reason, SOURCE_OFFLINE,
                                 missed=_labels(points, missed), words=n_words)
        scale = rubric.scale
        anchors = [a.score for a in rubric.competency.anchors] or [scale.min, scale.max]
        if anchors[0] != scale.min:
            anchors.insert(0, scale.min)
        if anchors[-1] != scale.max:
            anchors.append(scale.max)
        coverage = (len(covered) + PARTIAL_CREDIT * len(partial)) / len(points)
        value = anchor_score(anchors, coverage)
        capped = False
        if n_words < SHORT_WORDS:
            cap = anchor_score(anchors, 0.5)
            if value > cap:
                value, capped = cap, True
        value = scale.clamp(round_half_up(value))
        return QuestionScore(
            comp, value, tuple(answer.quotes(spans)),
            _rationale(points, covered, partial, missed, n_words, capped), SOURCE_OFFLINE,
            covered=_labels(points, covered), partial=_labels(points, partial),
            missed=_labels(points, missed), words=n_words,
        )


def _rationale(points: Sequence[Point], covered: Sequence[int], partial: Sequence[int],
               missed: Sequence[int], n_words: int, capped: bool) -> str:
    def names(which: Sequence[int]) -> str:
        return ", ".join(points[i].label for i in which)

    parts = [f"Covered {len(covered)} of {len(points)} key points"
             + (f" ({names(covered)})" if covered else "")]
    if partial:
        parts.append(f"partly: {names(partial)}")
    if missed:
        parts.append(f"missed: {names(missed)}")
    text = "; ".join(parts) + "."
    if capped:
        text += f" Capped at the middle of the scale: only {n_words} words."
    return text


OFFLINE = OfflineScorer()
"""A shared offline scorer: its compiled key points are reused across sessions."""


# --------------------------------------------------------------------------- agreement


def within_one(gold: Sequence[float], predicted: Sequence[float]) -> float:
    """Share of items where the prediction is at most one point from the gold score."""
    if not gold:
        return math.nan
    return sum(abs(g - p) <= 1 + 1e-9 for g, p in zip(gold, predicted, strict=True)) / len(gold)


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties); NaN when either is constant."""
    if len(x) != len(y):
        raise ValueError("spearman needs two sequences of the same length")
    rx, ry = _ranks(x), _ranks(y)
    n = len(x)
    if n < 2:
        return math.nan
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return cov / math.sqrt(vx * vy) if vx and vy else math.nan
