"""Calibration: hand-scored answers, a scorer's scores for them, and how well they agree.

An answers file (docs/calibration.md) names an interview and lists answers, each with the
question it answers, a hand score on the scale and optionally a ``kind`` and a
``reason``. ``load_answers`` reads it through the interview loader's safe YAML reader and
reports every problem at its line and column; ``calibrate`` scores each answer with a
``Scorer`` exactly as an interview would (the question as asked, the evidence gate) and
``Agreement`` holds the statistics: exact agreement, within one point, mean absolute
error, Spearman's rank correlation, quadratic-weighted kappa, and ordering violations
(a higher hand score scored lower on the same question). A score the gate leaves "not
observed" counts as the scale minimum, as a rater would give it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from mockflow.format.errors import InputError, MockflowError
from mockflow.format.model import Interview, Scale
from mockflow.format.yaml_io import MAX_BYTES, load_bytes
from mockflow.scoring.agreement import spearman, within_one
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Rubric, Scorer
from mockflow.scoring.confidence import (
    PARAMETERS,
    REVIEW_NEEDS_READ,
    Case,
    FlagFigures,
    Parameters,
    assess,
    figures,
)
from mockflow.scoring.evidence_gate import REVIEW_JUDGE_EVIDENCE, hold, offline_evidence
from mockflow.scoring.injection import screen_item
from mockflow.scoring.scorecard import gate, review_flags

_NO_SCALE = Scale(1, 5)

ANSWER_KEYS = ("question", "score", "answer", "kind", "reason")
REQUIRED_KEYS = ("question", "score", "answer")
TOP_KEYS = ("interview", "answers")
NOT_A_MAPPING = "an answers file is a mapping with 'interview' and 'answers'"


@dataclass(frozen=True, slots=True)
class CalibrationProblem:
    line: int
    column: int
    message: str


class CalibrationFileError(MockflowError):
    """An answers file has problems; ``problems`` holds all of them, located."""

    def __init__(self, path: str, problems: Sequence[CalibrationProblem]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.path}:{p.line}:{p.column}: error: {p.message}" for p in self.problems]


@dataclass(frozen=True, slots=True)
class HandScore:
    """One hand-scored answer."""

    question: str
    score: int
    answer: str
    kind: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AnswersFile:
    path: str
    interview: str
    answers: tuple[HandScore, ...]


def _unknown(key: str, allowed: Sequence[str]) -> str:
    near = difflib.get_close_matches(key, allowed, n=1)
    return f"; did you mean '{near[0]}'?" if near else f"; allowed keys: {', '.join(allowed)}"


def parse_answers(raw: bytes, interview: Interview, path: str = "<answers>") -> AnswersFile:
    """Parse an answers file for ``interview``; raises ``CalibrationFileError`` listing
    every problem, each at its line and column."""
    doc = load_bytes(raw)
    if doc.problems:
        raise CalibrationFileError(path, [CalibrationProblem(
            p.line, p.column, NOT_A_MAPPING if p.code == "MF009" else p.message)
            for p in doc.problems])
    problems: list[CalibrationProblem] = []

    def add(where: tuple[Any, ...], message: str, *, key: bool = False) -> None:
        line, column = doc.key_position(where) if key else doc.position(where)
        problems.append(CalibrationProblem(line, column, message))

    data = doc.data
    if not isinstance(data, dict):
        raise CalibrationFileError(path, [CalibrationProblem(1, 1, NOT_A_MAPPING)])
    for key in data:
        if key not in TOP_KEYS:
            add((key,), f"unknown key '{key}'{_unknown(str(key), TOP_KEYS)}", key=True)
    name = data.get("interview")
    if not isinstance(name, str):
        add(("interview",) if "interview" in data else (),
            f"'interview' must name the interview's id ('{interview.id}')")
    elif name != interview.id:  # nothing else can be checked against the wrong interview
        add(("interview",), f"these answers are for interview '{name}', but the interview"
                            f" given is '{interview.id}'; pass the matching interview file")
        raise CalibrationFileError(path, problems)
    items = data.get("answers")
    if not isinstance(items, list) or not items:
        add(("answers",) if "answers" in data else (),
            "'answers' must be a list of {question, score, answer} entries, at least one")
        items = []
    ids = [q.id for q in interview.questions]
    scale = interview.scale
    out: list[HandScore] = []
    for i, item in enumerate(items):
        here = ("answers", i)
        if not isinstance(item, dict):
            add(here, f"answer {i + 1} must be a mapping with question, score and answer")
            continue
        bad = False
        for key in item:
            if key not in ANSWER_KEYS:
                add((*here, key), f"unknown key '{key}' in answer {i + 1}"
                    f"{_unknown(str(key), ANSWER_KEYS)}", key=True)
                bad = True
        for key in REQUIRED_KEYS:
            if key not in item:
                add(here, f"answer {i + 1} has no '{key}'")
                bad = True
        qid, score, text = item.get("question"), item.get("score"), item.get("answer")
        if "question" in item and (not isinstance(qid, str) or qid not in ids):
            near = difflib.get_close_matches(str(qid), ids, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            add((*here, "question"), f"answer {i + 1} refers to unknown question '{qid}' of"
                f" interview '{interview.id}'{hint}")
            bad = True
        if "score" in item and (isinstance(score, bool) or not isinstance(score, int)
                                or not scale.min <= score <= scale.max):
            add((*here, "score"), f"answer {i + 1} has score {score!r}; a hand score is a whole"
                f" number from {scale.min} to {scale.max}")
            bad = True
        if "answer" in item and (not isinstance(text, str) or not text.strip()):
            add((*here, "answer"), f"answer {i + 1} has no text; write what the candidate said")
            bad = True
        for key in ("kind", "reason"):
            if key in item and not isinstance(item[key], str):
                add((*here, key), f"answer {i + 1}: '{key}' must be text")
                bad = True
        if not bad and isinstance(score, int):
            out.append(HandScore(str(qid), score, str(text), item.get("kind"),
                                 item.get("reason")))
    if problems:
        raise CalibrationFileError(path, sorted(problems, key=lambda p: (p.line, p.column)))
    return AnswersFile(path, str(name), tuple(out))


def load_answers(path: str | FsPath, interview: Interview) -> AnswersFile:
    """Read and parse an answers file; ``InputError`` when it can't be read."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read '{path}': {exc.strerror or exc}") from exc
    return parse_answers(raw, interview, str(path))


# --------------------------------------------------------------------------- statistics


def mae(gold: Sequence[float], predicted: Sequence[float]) -> float:
    if not gold:
        return math.nan
    return sum(abs(g - p) for g, p in zip(gold, predicted, strict=True)) / len(gold)


def exact(gold: Sequence[float], predicted: Sequence[float]) -> float:
    if not gold:
        return math.nan
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def qwk(gold: Sequence[float], predicted: Sequence[float], low: int, high: int) -> float:
    """Quadratic-weighted Cohen's kappa over whole points from ``low`` to ``high``; NaN
    when it is undefined (one rater gives a single score to everything)."""
    k = high - low + 1
    if not gold or k < 2:
        return math.nan
    observed = [[0.0] * k for _ in range(k)]
    for g, p in zip(gold, predicted, strict=True):
        gi = min(k - 1, max(0, round(g) - low))
        pi = min(k - 1, max(0, round(p) - low))
        observed[gi][pi] += 1
    n = len(gold)
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * rows[i] * cols[j] / n
    return 1.0 - num / den if den else math.nan


@dataclass(frozen=True, slots=True)
class Scored:
    """One hand-scored answer and what the scorer made of it."""

    hand: HandScore
    competency: str
    score: float  # on the scale; "not observed" counts as the minimum
    result: QuestionScore | None  # after the evidence gate
    confidence: float = 1.0
    flags: tuple[tuple[str, str], ...] = ()  # the review flags a person would see
    raw: QuestionScore | None = None  # the scorer's score before the evidence gate
    # a judge's score held at the offline evidence (``evidence_gate``), as it would have
    # counted (after the quote gate); None when nothing was held
    held: QuestionScore | None = None

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.hand.question,
            "kind": self.hand.kind,
            "expected": self.hand.score,
            "score": self.score,
            "confidence": self.confidence,
            "flags": [{"flag": f, "detail": d} for f, d in self.flags],
            "evidence": [] if self.result is None else list(self.result.evidence),
            "rationale": "Not observed." if self.result is None else self.result.rationale,
        }


@dataclass(frozen=True, slots=True)
class Agreement:
    n: int
    exact: float
    within_one: float
    mae: float
    spearman: float
    qwk: float

    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 3)

        return {"n": self.n, "exact": num(self.exact), "within_one": num(self.within_one),
                "mae": num(self.mae), "spearman": num(self.spearman), "qwk": num(self.qwk)}


def agreement(items: Sequence[Scored], low: int, high: int) -> Agreement:
    gold = [float(s.hand.score) for s in items]
    got = [s.score for s in items]
    rho = spearman(gold, got) if len(items) >= 2 else math.nan
    return Agreement(len(items), exact(gold, got), within_one(gold, got), mae(gold, got),
                     rho, qwk(gold, got, low, high))


@dataclass(frozen=True, slots=True)
class Violation:
    """On one question, an answer with a higher hand score was scored lower."""

    question: str
    higher: Scored
    lower: Scored


def violations(items: Sequence[Scored]) -> list[Violation]:
    out: list[Violation] = []
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            if a.hand.question != b.hand.question:
                continue
            hi, lo = (a, b) if a.hand.score > b.hand.score else (b, a)
            if hi.hand.score > lo.hand.score and hi.score < lo.score:
                out.append(Violation(a.hand.question, hi, lo))
    return out


def flag_figures(items: Sequence[Scored]) -> FlagFigures:
    """Bias (mean scored - mean hand), the share of answers flagged for review, and the
    share of answers off by two or more points that were flagged."""
    return figures([Case("", s.hand.kind or "", float(s.hand.score), s.score, s.result,
                         _NO_SCALE, s.flagged) for s in items], lambda c: c.flagged)


def cases(items: Sequence[Scored], interview: Interview) -> list[Case]:
    """The scored answers as the confidence model's fitting cases (``confidence.fit``):
    the raw score, and whether another review flag (screening, the gate) marks it."""
    own = (REVIEW_NEEDS_READ, REVIEW_JUDGE_EVIDENCE)
    return [Case(interview.id, s.hand.kind or "", float(s.hand.score), s.score, s.raw,
                 interview.scale, any(f not in own for f, _ in s.flags)) for s in items]


@dataclass(frozen=True, slots=True)
class Calibration:
    """A scorer's scores for an answers file and their agreement with the hand scores."""

    interview: str
    judge: str
    items: tuple[Scored, ...]
    overall: Agreement
    by_competency: tuple[tuple[str, Agreement], ...]
    by_kind: tuple[tuple[str, Agreement], ...]
    violations: tuple[Violation, ...]
    flags: FlagFigures = field(default_factory=lambda: FlagFigures(0, 0.0, 0.0, None, 0))
    flags_by_kind: tuple[tuple[str, FlagFigures], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        o = self.overall.to_dict()
        f = self.flags.to_dict()
        return {
            "interview": self.interview,
            "judge": self.judge,
            "n": o["n"], "exact": o["exact"], "within_one": o["within_one"], "mae": o["mae"],
            "spearman": o["spearman"], "qwk": o["qwk"],
            "bias": f["bias"], "flag_rate": f["flag_rate"], "flag_recall": f["flag_recall"],
            "off_by_two": f["far"],
            "per_kind": {name: {**a.to_dict(), **dict(self.flags_by_kind)[name].to_dict()}
                         for name, a in self.by_kind},
            "answers": [s.to_dict() for s in self.items],
        }


def _groups(items: Sequence[Scored], key: Callable[[Scored], str], low: int, high: int
            ) -> tuple[tuple[str, Agreement], ...]:
    names: list[str] = []
    for s in items:
        if key(s) not in names:
            names.append(key(s))
    return tuple((name, agreement([s for s in items if key(s) == name], low, high))
                 for name in names)


def summarise(interview: Interview, judge: str, items: Sequence[Scored]) -> Calibration:
    low, high = interview.scale.min, interview.scale.max
    kinds = _groups(items, lambda s: s.hand.kind or "(no kind)", low, high)
    return Calibration(
        interview.id, judge, tuple(items), agreement(items, low, high),
        _groups(items, lambda s: s.competency, low, high), kinds,
        tuple(violations(items)), flag_figures(items),
        tuple((name, flag_figures([s for s in items if (s.hand.kind or "(no kind)") == name]))
              for name, _ in kinds),
    )


def score_answers(interview: Interview, answers: Iterable[HandScore], scorer: Scorer, *,
                  params: Parameters = PARAMETERS) -> list[Scored]:
    """Score each hand-scored answer as an interview would: the question asked as written,
    the answer as the candidate's one turn, screened for text addressed to the scorer,
    then the evidence gate, the confidence and the review flags (as in a scorecard)."""
    scale = interview.scale
    out: list[Scored] = []
    for hand in answers:
        question = interview.question(hand.question)
        rubric = Rubric(interview.competency(question.competency), scale, interview.questions,
                        interview.interviewer.language)
        item = AnsweredQuestion.of(question, [hand.answer])
        seen, screened = screen_item(item, rubric)
        raw = scorer.score(seen, rubric) if seen.answers else None
        chosen = hold(raw, offline_evidence(raw, seen, rubric), scale.min)
        gated = gate(chosen, (hand.answer,), scale, screened=screened.turns,
                     language=rubric.language)
        value = float(scale.min) if gated is None or gated.score is None else gated.score
        sure = assess(chosen, scale, params=params)
        flags = review_flags(item, screened, gated) + tuple(
            f for f in sure.review() if gated is None or f not in gated.review)
        unheld = None if chosen is raw else gate(raw, (hand.answer,), scale,
                                                 screened=screened.turns,
                                                 language=rubric.language)
        out.append(Scored(hand, question.competency, value, gated, sure.value, flags,
                          chosen, unheld))
    return out


def calibrate(interview: Interview, files: Sequence[AnswersFile], scorer: Scorer
              ) -> Calibration:
    items = [s for f in files for s in score_answers(interview, f.answers, scorer)]
    return summarise(interview, scorer.source, items)


__all__ = ["Agreement", "AnswersFile", "Calibration", "CalibrationFileError",
           "FlagFigures", "HandScore", "Scored", "calibrate", "cases", "flag_figures",
           "load_answers", "parse_answers", "qwk"]
