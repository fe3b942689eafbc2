"""The offline scorer: key-point coverage blended with similarity to the graded examples.

Deterministic, plain Python, about a millisecond an answer, so the engine uses it at once
for its decisions (follow-up or not, ladder step) and it is the default judge of the
demo, ``simulate``, ``test`` and ``calibrate``. How an answer becomes a score (the full
account, with today's calibration figures, is docs/scoring.md):

1. **Own words only.** Runs of three or more words that repeat what was said to the
   candidate (question, follow-ups, hints) are taken out (``echo``): they earn nothing
   and can't be quoted.
2. **Key points** (``matching``): coverage = (matched + ½ × partly matched) / points,
   placed on the competency's anchors (none = the minimum, all = the maximum).
3. **Reference answers** (``reference``): similarity to the question's strong, average
   and weak examples (and to other questions' examples, as off-topic) gives a second
   position on the scale.
4. **Blend**: ``REFERENCE_WEIGHT`` × reference + the rest × key points; key points alone
   when the question has no examples (``validate`` warns: MF502) or when the answer
   repeats one of them (a simulated candidate: no circular scoring).
5. **The list rule** (``listrule``): a bare list of terms scores the minimum.
6. Fewer than ``SHORT_WORDS`` own words can't pass the middle of the scale; the result
   is rounded to a whole point, like a human rater's.

Nothing said (or fewer than three words and no key point) is "not observed": no score.
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
from mockflow.scoring.echo import own_words_mask, said_stems
from mockflow.scoring.listrule import shape, verdict
from mockflow.scoring.matching import Answer, Point, compile_points, match_point
from mockflow.scoring.reference import ReferenceSet, Similarity

SHORT_WORDS = 12  # answers shorter than this can't score above the middle of the scale
NOT_OBSERVED_WORDS = 3  # fewer words than this, with no key point, is not an answer
PARTIAL_CREDIT = 0.5
REFERENCE_WEIGHT = 0.75  # share of the reference component in the blend


def _labels(points: Sequence[Point], which: Sequence[int]) -> tuple[str, ...]:
    return tuple(points[i].label for i in which)


@dataclass(frozen=True, slots=True)
class _Prepared:
    question: Question
    points: tuple[Point, ...]
    example_words: int  # the length of the question's strong example (0: none)


class OfflineScorer:
    """Deterministic key-point and reference-answer scorer (see the module docstring)."""

    __slots__ = ("_prepared", "_references")

    def __init__(self) -> None:
        # compiled key points per question object, references per question tuple (held,
        # so ids stay valid)
        self._prepared: dict[int, _Prepared] = {}
        self._references: dict[int, tuple[tuple[Question, ...], ReferenceSet]] = {}

    @property
    def source(self) -> str:
        return SOURCE_OFFLINE

    def _prepare(self, question: Question) -> _Prepared:
        hit = self._prepared.get(id(question))
        if hit is not None and hit.question is question:
            return hit
        if len(self._prepared) >= 4096:
            self._prepared.clear()
        strong = question.examples.strong
        prepared = _Prepared(question, compile_points(kp.phrases for kp in question.key_points),
                             Answer((strong,)).word_count if strong else 0)
        self._prepared[id(question)] = prepared
        return prepared

    def references(self, questions: tuple[Question, ...]) -> ReferenceSet:
        """The examples of ``questions`` (an interview's), weighted once per tuple."""
        hit = self._references.get(id(questions))
        if hit is not None and hit[0] is questions:
            return hit[1]
        if len(self._references) >= 256:
            self._references.clear()
        refs = ReferenceSet(questions)
        self._references[id(questions)] = (questions, refs)
        return refs

    def points(self, question: Question) -> tuple[Point, ...]:
        """The question's compiled key points (compiled once per question object)."""
        return self._prepare(question).points

    def prepare(self, questions: Sequence[Question]) -> None:
        for q in questions:
            self._prepare(q)
        self.references(tuple(questions) if not isinstance(questions, tuple) else questions)

    def score(self, item: AnsweredQuestion, rubric: Rubric) -> QuestionScore:
        comp = rubric.competency.id
        question = item.question
        prepared = self._prepare(question)
        points = prepared.points
        questions = rubric.questions or (question,)
        refs = self.references(questions)
        answer = Answer(item.answers)
        n_words = answer.word_count
        if not points and not refs.has_examples(question.id):
            return QuestionScore(comp, None, (), "The question has no key points or example"
                                 " answers to score against.", SOURCE_OFFLINE, words=n_words)
        said = (*item.prompts, *item.hints)
        answer.mask(own_words_mask(answer, item.prompts, item.hints))
        known = said_stems(said)
        covered: list[int] = []
        partial: list[int] = []
        missed: list[int] = []
        spans: list[tuple[int, int]] = []
        partial_spans: list[tuple[int, int]] = []
        for i, point in enumerate(points):
            span = match_point(answer, point)
            if span is not None:
                covered.append(i)
                spans.append(span)
                continue
            hit = answer.find_partial(point, known) if PARTIAL_CREDIT else None
            if hit is None:
                missed.append(i)
            else:
                partial.append(i)
                partial_spans.append((hit, hit))
        own = answer.own_words
        scale = rubric.scale
        all_missed = _labels(points, range(len(points)))
        if not covered and not partial and own < NOT_OBSERVED_WORDS:
            if answer.masked and n_words >= NOT_OBSERVED_WORDS:
                return QuestionScore(
                    comp, float(scale.min), (), "Scored the minimum: the answer only repeats"
                    " what the interviewer said; nothing in it is the candidate's own.",
                    SOURCE_OFFLINE, missed=all_missed, words=n_words)
            reason = "Nothing was said." if n_words == 0 else \
                "The answer was too short to assess."
            return QuestionScore(comp, None, (), reason, SOURCE_OFFLINE,
                                 missed=all_missed, words=n_words)
        measured = shape(answer, spans, points)
        listed = verdict(measured)
        if listed is not None:
            return QuestionScore(
                comp, float(scale.min), (),
                f"Scored the minimum: a bare list of terms, not an answer ({listed.reason})."
                " Naming an idea isn't explaining it.",
                SOURCE_OFFLINE, missed=all_missed, words=n_words,
                signals=(("own_words", float(own)), ("list_rule", 1.0)))
        anchors = [a.score for a in rubric.competency.anchors] or [scale.min, scale.max]
        if anchors[0] != scale.min:
            anchors.insert(0, scale.min)
        if anchors[-1] != scale.max:
            anchors.append(scale.max)
        lexical: float | None = None
        if points:
            coverage = (len(covered) + PARTIAL_CREDIT * len(partial)) / len(points)
            lexical = anchor_score(anchors, coverage)
        repeated = refs.reproduced(question.id, answer)
        similar = None if repeated else refs.compare(question.id, answer, answer.masked)
        reference = None if similar is None else \
            scale.min + similar.position * (scale.max - scale.min)
        if reference is None:
            value = lexical if lexical is not None else float(scale.min)
        elif lexical is None:
            value = reference
        else:
            value = REFERENCE_WEIGHT * reference + (1 - REFERENCE_WEIGHT) * lexical
        capped = False
        if own < SHORT_WORDS:
            cap = anchor_score(anchors, 0.5)
            if value > cap:
                value, capped = cap, True
        final = scale.clamp(round_half_up(value))
        width = float(scale.max - scale.min) or 1.0
        signals: list[tuple[str, float]] = [
            ("own_words", float(own)),
            ("content_words", float(measured.bare_content + measured.other_content)),
            ("list_margin", measured.margin),
            ("value", (value - scale.min) / width),
            ("capped", float(capped)),
        ]
        if prepared.example_words:
            signals.append(("example_words", float(prepared.example_words)))
        if lexical is not None:
            signals += [("coverage", (len(covered) + PARTIAL_CREDIT * len(partial))
                         / len(points)), ("key_points", (lexical - scale.min) / width)]
        if similar is not None and reference is not None:
            signals += [("reference", (reference - scale.min) / width),
                        ("nearest", max(s for _, s in similar.similarities)),
                        ("off_topic", similar.off_topic),
                        ("anywhere", similar.anywhere),
                        ("vote_spread", similar.spread),
                        ("on_topic", similar.relevant)]
        quote_spans = spans + partial_spans
        if similar is not None:
            quote_spans += [(answer.sentences[sid].first, answer.sentences[sid].first)
                            for sid in similar.evidence]
        return QuestionScore(
            comp, final, tuple(answer.quotes(quote_spans)),
            _rationale(points, covered, partial, missed, lexical, similar, repeated,
                       reference, value, final, own, capped),
            SOURCE_OFFLINE, covered=_labels(points, covered), partial=_labels(points, partial),
            missed=_labels(points, missed), words=n_words, signals=tuple(signals),
        )


def _rationale(points: Sequence[Point], covered: Sequence[int], partial: Sequence[int],
               missed: Sequence[int], lexical: float | None, similar: Similarity | None,
               repeated: Sequence[str], reference: float | None, value: float,
               final: float, own: int, capped: bool) -> str:
    def names(which: Sequence[int]) -> str:
        return ", ".join(points[i].label for i in which)

    parts: list[str] = []
    if points:
        text = f"Covered {len(covered)} of {len(points)} key points"
        text += f" ({names(covered)})" if covered else ""
        if partial:
            text += f"; partly: {names(partial)}"
        if missed:
            text += f"; missed: {names(missed)}"
        parts.append(text + ".")
    if similar is not None:
        sims = ", ".join(f"{g} {s:.2f}" for g, s in similar.similarities)
        nearest = "another question's example" if similar.nearest == "off-topic" \
            else f"the {similar.nearest} example"
        parts.append(f"Closest to {nearest} (similarity {sims}; other questions"
                     f" {similar.off_topic:.2f}).")
    elif repeated:
        parts.append(f"Not compared with the examples: the answer repeats the"
                     f" {' and '.join(repeated)} example, so key points only.")
    elif points:
        parts.append("No example answers to compare with: key points only.")
    how = []
    if lexical is not None and reference is not None:
        how.append(f"key points {lexical:.1f}, examples {reference:.1f}, blended {value:.1f}")
    if capped:
        how.append(f"capped at the middle of the scale: only {own} words of the"
                   " candidate's own")
    if how:
        parts.append("Score: " + "; ".join(how) + f" -> {final:g}.")
    return " ".join(parts)


OFFLINE = OfflineScorer()
"""A shared offline scorer: its compiled key points and references are reused."""
