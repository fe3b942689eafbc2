"""Readiness for scoring: what a question without graded example answers costs.

The offline scorer compares every answer with its question's ``strong``, ``average`` and
``weak`` examples; without them it falls back to key points alone. How much that costs
was measured on the hand-scored calibration set (tests/calibration/), leave-one-interview-
out, by ``scripts/measure_readiness.py``, which also writes the block below; a test
recomputes the figures and fails when they drift from the scorer (docs/calibration.md,
"Questions without examples"). ``validate`` quotes them in its MF502 warning.
"""

from __future__ import annotations

from collections.abc import Iterable

from mockflow.format.frozen import frozen

GRADES: tuple[str, ...] = ("strong", "average", "weak")


@frozen
class Figures:
    """Agreement of the offline scorer with the hand scores (docs/calibration.md)."""

    n: int
    exact: float
    within_one: float
    mae: float
    spearman: float
    qwk: float


# -- measured: begin
MEASURED_ON = "880e7ce"
WITH_EXAMPLES = (
    Figures(n=160, exact=0.444, within_one=0.881, mae=0.731, spearman=0.707, qwk=0.697))
WITHOUT: dict[tuple[str, ...], Figures] = {
    ('strong', 'average', 'weak'):
        Figures(n=160, exact=0.356, within_one=0.65, mae=1.363, spearman=0.154, qwk=0.178),
    ('strong', 'average'):
        Figures(n=160, exact=0.25, within_one=0.537, mae=1.688, spearman=0.145, qwk=0.034),
    ('strong', 'weak'):
        Figures(n=160, exact=0.375, within_one=0.631, mae=1.444, spearman=0.118, qwk=0.051),
    ('average', 'weak'):
        Figures(n=160, exact=0.375, within_one=0.838, mae=0.85, spearman=0.676, qwk=0.668),
    ('strong',):
        Figures(n=160, exact=0.388, within_one=0.656, mae=1.344, spearman=0.148, qwk=0.087),
    ('average',):
        Figures(n=160, exact=0.406, within_one=0.856, mae=0.8, spearman=0.684, qwk=0.683),
    ('weak',):
        Figures(n=160, exact=0.444, within_one=0.863, mae=0.744, spearman=0.702, qwk=0.687),
}
# -- measured: end


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def consequence(missing: Iterable[str]) -> str:
    """The measured cost of a question lacking the ``missing`` example grades, in words
    (the MF502 warning quotes it)."""
    key = tuple(g for g in GRADES if g in set(missing))
    without = WITHOUT.get(key)
    if without is None:  # not measured (should not happen: every subset is)
        return ("the offline scorer compares answers with the examples, so without them its"
                " scoring quality drops (docs/calibration.md)")
    base = WITH_EXAMPLES
    how = "on key points alone" if len(key) == len(GRADES) else \
        f"without {'them' if len(key) > 1 else 'it'}"
    return (f"on the calibration set, answers scored {how} agreed with the hand score"
            f" within one point {_pct(without.within_one)} of the time instead of"
            f" {_pct(base.within_one)}, with rank correlation {without.spearman:.2f} instead"
            f" of {base.spearman:.2f} (docs/calibration.md)")
