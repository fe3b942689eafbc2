"""How well speech was heard (no livekit): word error rate and keyterm recall.

Text is compared after a light normalisation (case, punctuation, hyphens and apostrophes,
runs of spaces), so "read-through" and "read through" are the same words and "Kafka." is
"kafka". A keyterm is also found written with its words run together or split apart
("tradeoff" for "trade-off", "use memo" for "useMemo", "Rabbit MQ" for "RabbitMQ"): the same
words, spelt with other spacing. Used by the real-audio tests, the benchmark and the
session's voice stats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_NON_WORD = re.compile(r"[^\w\s]|_")


def words(text: str) -> list[str]:
    text = text.casefold().replace("-", " ").replace("’", "").replace("'", "")
    return _NON_WORD.sub(" ", text).split()


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance over words (substitutions, insertions, deletions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Edits / reference words; 0.0 for two empty texts, 1.0 for words heard from none."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def corpus_wer(pairs: Sequence[tuple[str, str]]) -> float:
    """WER over many (reference, hypothesis) pairs: total edits / total reference words."""
    edits = sum(edit_distance(words(r), words(h)) for r, h in pairs)
    total = sum(len(words(r)) for r, _ in pairs)
    return edits / total if total else 0.0


def _spaced_as(heard: Sequence[str], start: int, letters: str) -> bool:
    """Whether words from ``start`` on spell exactly ``letters`` when run together."""
    spelt = ""
    for word in heard[start:]:
        spelt += word
        if not letters.startswith(spelt):
            return False
        if spelt == letters:
            return True
    return False


def keyterm_counts(terms: Sequence[str], hypothesis: str) -> list[int]:
    """For each term (terms without a word are left out), how many times it appears in the
    hypothesis: its words in order and adjacent, whatever the spacing between its letters
    (whole words only: "pool" is not in "spool")."""
    heard = words(hypothesis)
    counts = []
    for term in terms:
        letters = "".join(words(term))
        if letters:
            counts.append(sum(_spaced_as(heard, i, letters) for i in range(len(heard))))
    return counts


def keyterm_hits(terms: Sequence[str], hypothesis: str) -> list[bool]:
    """For each term, whether it appears in the hypothesis (``keyterm_counts``)."""
    return [count > 0 for count in keyterm_counts(terms, hypothesis)]


def keyterm_recall(pairs: Sequence[tuple[Sequence[str], str]]) -> float:
    """Share of (terms said, hypothesis) terms heard; 1.0 when no term was said."""
    hits = [hit for terms, hyp in pairs for hit in keyterm_hits(terms, hyp)]
    return sum(hits) / len(hits) if hits else 1.0
