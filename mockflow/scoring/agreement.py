"""Agreement between two raters' scores (hand scores against a scorer's)."""

from __future__ import annotations

import math
from collections.abc import Sequence


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
