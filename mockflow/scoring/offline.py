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

from collections.abc import Sequence
from dataclasses import dataclass

from mockflow.format.model import Question
from mockflow.scoring.base import (
    SOURCE_OFFLINE,
    AnsweredQuestion,
    QuestionScore,
    Rubric,
    anchor_score,
    round_half_up,
)
from mockflow.scoring.matching import Answer, Point, compile_points, match_point, stems

SHORT_WORDS = 12  # answers shorter than this can't score above the middle of the scale
NOT_OBSERVED_WORDS = 3
PARTIAL_CREDIT = 0.5  # fewer words than this, with no key point, is not an answer


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

    def score(self, item: AnsweredQuestion, rubric: Rubric) -> QuestionScore:
        comp = rubric.competency.id
        prepared = self._prepare(item.question)
        points = prepared.points
        answer = Answer(item.answers)
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


