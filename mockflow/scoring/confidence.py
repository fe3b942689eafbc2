"""How sure a score is, and when a person must read the answer ("needs a human read").

The offline scorer reads words. It is reliably wrong in a few recognisable situations,
and every one of them can be seen in what it measured on the way to the score
(``QuestionScore.signals``). Each situation is a **reason** with a strength from 0 to 1
that grows with the distance past its threshold (0.5 exactly at it); the question's
``confidence`` is 1 minus the strongest reason, and a reason of strength 0.5 or more
flags the question for a human read, in words a reviewer understands:

- ``resemblance only``: a score at or above the middle of the scale that rests on a
  resemblance to the example answers alone (no key point is made, not even partly) in an
  answer shorter than ``short_resemblance`` × the strong example. Confident answers in
  the right vocabulary for the wrong idea land here.
- ``long, no key point``: a score below the middle for an answer at least
  ``long_unmatched`` × the strong example's length that makes no key point: it may be a
  good answer in everyday words.
- ``short, scored high``: a score in the top quarter of the scale from fewer words than
  ``short_top`` × the strong example: the points may be named without the reasons.
- ``like no example``: the whole answer shares almost nothing with any example answer of
  the interview (cosine below ``unlike_any``), so the reference vote knows nothing.
- ``near a list``: the answer is at least ``near_list`` of the way to the list rule.
- ``weak middle``: a middle score between examples the answer barely resembles (nearest
  cosine below ``weak_middle``).

For an LLM judge's score, one more: ``panel spread`` (members ``PANEL_SPREAD`` or more
apart). A judge's score far above what the offline evidence supports is not a matter of
confidence: ``mockflow.scoring.evidence_gate`` holds it at the offline score and flags
``judge and evidence disagree`` before the score is counted.

Two parameters are fitted, the length ratios ``short_resemblance`` and
``long_unmatched``, leave-one-interview-out on the hand-scored calibration set
(``fit``: for each interview, the pair with the highest recall of answers off by two or
more on the other interviews within a flag budget, the centre of the best plateau); the
others are principled constants, not tuned. The figures, and those on a held-out set
written before any of this was fitted, are in docs/calibration.md.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from mockflow.format.model import Scale
from mockflow.scoring.base import QuestionScore

REVIEW_NEEDS_READ = "needs a human read"
FLAG_AT = 0.5  # a reason this strong or stronger flags the question
PANEL_SPREAD = 2  # panel members this far apart lower the confidence to the flag level
DEFAULT_EXAMPLE_WORDS = 80  # a strong example's length when the question has none


@dataclass(frozen=True, slots=True)
class Parameters:
    """The thresholds of the reasons (see the module docstring)."""

    short_resemblance: float = 0.8  # fitted (LOIO)
    long_unmatched: float = 0.7  # fitted (LOIO)
    short_top: float = 0.5
    unlike_any: float = 0.05
    near_list: float = 0.5
    weak_middle: float = 0.25


PARAMETERS = Parameters()


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    strength: float  # 0..1; FLAG_AT or more flags the question
    detail: str  # in words a reviewer understands


@dataclass(frozen=True, slots=True)
class Confidence:
    value: float  # 0..1
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def flagged(self) -> tuple[Reason, ...]:
        """The reasons strong enough to ask for a human read (strongest first)."""
        return tuple(sorted((r for r in self.reasons if r.strength >= FLAG_AT),
                            key=lambda r: -r.strength))

    @property
    def needs_read(self) -> bool:
        return bool(self.flagged)

    def review(self) -> tuple[tuple[str, str], ...]:
        """The review flags this confidence raises, (flag, detail)."""
        read = [r.detail for r in self.flagged]
        return ((REVIEW_NEEDS_READ, "; ".join(read)),) if read else ()


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _below(value: float, threshold: float) -> float:
    """Strength of "value below threshold": 0.5 at it, 1 at zero, 0 at twice it."""
    return _clamp(0.5 + 0.5 * (threshold - value) / threshold) if threshold > 0 else 0.0


def _above(value: float, threshold: float) -> float:
    """Strength of "value above threshold": 0.5 at it, 1 at twice it, 0 at zero."""
    return _clamp(0.5 + 0.5 * (value - threshold) / threshold) if threshold > 0 else 0.0


def offline_reasons(score: QuestionScore, scale: Scale, params: Parameters = PARAMETERS
                    ) -> list[Reason]:
    """The reasons an offline score may be off by two or more points."""
    sig = dict(score.signals)
    if score.score is None or "value" not in sig:
        return []  # not observed, or the list rule (far beyond every real answer)
    span = float(scale.max - scale.min) or 1.0
    position = (score.score - scale.min) / span
    own = sig.get("own_words", 0.0)
    example = sig.get("example_words", DEFAULT_EXAMPLE_WORDS) or DEFAULT_EXAMPLE_WORDS
    length = own / example
    coverage = sig.get("coverage")
    no_point = coverage is not None and coverage <= 0.0
    has_reference = "reference" in sig
    shown = f"{score.score:g}"
    out: list[Reason] = []
    if has_reference and no_point and position >= 0.5:
        out.append(Reason("resemblance only", _below(length, params.short_resemblance),
                          f"scored {shown} on resemblance to the example answers alone (no key"
                          f" point made) in {own:.0f} words, shorter than the strong example"
                          f" ({example:.0f}): the references and the key points disagree"))
    if no_point and position < 0.5:
        out.append(Reason("long, no key point", _above(length, params.long_unmatched),
                          f"long, on-topic answer ({own:.0f} words) that matches no key point,"
                          f" scored {shown}: may be a good answer in plain words"))
    if position >= 0.75:
        out.append(Reason("short, scored high", _below(length, params.short_top),
                          f"short answer ({own:.0f} words, the strong example has"
                          f" {example:.0f}) scored {shown}: it may name the points without"
                          " the reasons"))
    if has_reference and own >= 12:
        anywhere = sig.get("anywhere", 1.0)
        out.append(Reason("like no example", _below(anywhere, params.unlike_any),
                          "far from every example: the answer shares almost nothing with any"
                          " example answer"))
    margin = sig.get("list_margin", 0.0)
    if margin > 0:
        out.append(Reason("near a list", _above(margin, params.near_list),
                          f"close to a bare list of terms ({margin:.0%} of the way to the"
                          " list rule)"))
    if has_reference and 0.375 <= position < 0.625:
        nearest = sig.get("nearest", 0.0)
        out.append(Reason("weak middle", _below(nearest, params.weak_middle),
                          f"a middle score between example answers it barely resembles"
                          f" (nearest similarity {nearest:.2f})"))
    return out


def judge_reasons(score: QuestionScore) -> list[Reason]:
    """The reasons a judge's score may be wrong: a split panel."""
    members = [s for _, s in score.panel if s is not None]
    if len(members) < 2:
        return []
    spread = max(members) - min(members)
    return [Reason("panel spread", _above(spread, PANEL_SPREAD),
                   f"panel members differ by {spread:g} points")]


def assess(score: QuestionScore | None, scale: Scale, *, params: Parameters = PARAMETERS
           ) -> Confidence:
    """A score's confidence and the reasons behind it: a panel's spread, and for an
    offline score (or a judge's fallback to it, or a judge's score held at the offline
    evidence) the offline reasons."""
    if score is None:
        return Confidence(1.0)
    reasons = list(judge_reasons(score))
    if score.signals:
        reasons += offline_reasons(score, scale, params)
    strongest = max((r.strength for r in reasons), default=0.0)
    return Confidence(round(1.0 - strongest, 3), tuple(reasons))


# --------------------------------------------------------------------------- fitting


@dataclass(frozen=True, slots=True)
class Case:
    """One hand-scored answer, scored: what fitting and reporting need."""

    group: str  # the interview (leave-one-out unit)
    kind: str
    hand: float
    scored: float  # the counted score (not observed = the scale minimum)
    score: QuestionScore | None  # the scorer's score, before the evidence gate
    scale: Scale
    flagged: bool = False  # other review flags (screening, the evidence gate)

    @property
    def far(self) -> bool:
        return abs(self.scored - self.hand) >= 2


@dataclass(frozen=True, slots=True)
class FlagFigures:
    n: int
    bias: float  # mean scored - mean hand
    flag_rate: float
    flag_recall: float | None  # share of answers off by 2+ that were flagged (None: none)
    far: int  # answers off by 2 or more

    def to_dict(self) -> dict[str, float | int | None]:
        return {"n": self.n, "bias": round(self.bias, 3), "flag_rate": round(self.flag_rate, 3),
                "flag_recall": None if self.flag_recall is None else round(self.flag_recall, 3),
                "far": self.far}


def figures(cases: Sequence[Case], flagged: Callable[[Case], bool]) -> FlagFigures:
    if not cases:
        return FlagFigures(0, 0.0, 0.0, None, 0)
    marks = [flagged(c) for c in cases]
    far = [m for c, m in zip(cases, marks, strict=True) if c.far]
    return FlagFigures(len(cases), sum(c.scored - c.hand for c in cases) / len(cases),
                       sum(marks) / len(cases), sum(far) / len(far) if far else None, len(far))


def needs_read(case: Case, params: Parameters) -> bool:
    """Whether a reviewer is asked to look at this answer: any review flag."""
    return case.flagged or assess(case.score, case.scale, params=params).needs_read


GRID = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2)
FIT_BUDGET = 0.28  # flag at most this share of the training answers (the goal is 0.30)


def fit(cases: Sequence[Case], *, grid: Sequence[float] = GRID, budget: float = FIT_BUDGET,
        base: Parameters = PARAMETERS) -> Parameters:
    """The length ratios with the best recall of answers off by two or more within the
    flag budget; among equally good pairs, the one nearest the centre of that plateau."""
    scored: list[tuple[float, Parameters]] = []
    for a in grid:
        for b in grid:
            params = replace(base, short_resemblance=a, long_unmatched=b)

            def flag(case: Case, params: Parameters = params) -> bool:
                return needs_read(case, params)

            f = figures(cases, flag)
            if f.flag_rate <= budget:
                scored.append((f.flag_recall or 0.0, params))
    if not scored:
        return base
    top = max(r for r, _ in scored)
    tied = [p for r, p in scored if r >= top - 1e-9]
    ca = statistics.median(p.short_resemblance for p in tied)
    cb = statistics.median(p.long_unmatched for p in tied)
    return min(tied, key=lambda p: (abs(p.short_resemblance - ca) + abs(p.long_unmatched - cb),
                                    p.short_resemblance, p.long_unmatched))


def leave_one_out(cases: Sequence[Case], **kw: object) -> tuple[list[tuple[str, Parameters]],
                                                                  list[tuple[Case, bool]]]:
    """Fit on all groups but one, flag the held-out group; every group in turn."""
    groups = sorted({c.group for c in cases})
    fitted: list[tuple[str, Parameters]] = []
    marks: list[tuple[Case, bool]] = []
    for held in groups:
        params = fit([c for c in cases if c.group != held], **kw)  # type: ignore[arg-type]
        fitted.append((held, params))
        marks += [(c, needs_read(c, params)) for c in cases if c.group == held]
    return fitted, marks
