"""Only the candidate's own words count: finding the words that repeat the interviewer.

What was said to the candidate (the question as asked, follow-ups, hints) is cut into
runs of ``ECHO_WORDS`` stems (articles aside). Any run of the answer that equals one of
them, and every token inside it, is an echo: it earns no key-point credit, no partial
credit, no similarity to the examples, and can't be quoted as evidence. Reading the
question back therefore scores nothing, while a single shared word ("cache") still
counts: three words in a row is where repeating starts.
"""

from __future__ import annotations

from collections.abc import Iterable

from mockflow.scoring.matching import ARTICLES, Answer, stem, words

ECHO_WORDS = 3


def said_runs(texts: Iterable[str]) -> frozenset[tuple[str, ...]]:
    """Every run of ``ECHO_WORDS`` stems in what the interviewer said."""
    n = ECHO_WORDS
    runs: set[tuple[str, ...]] = set()
    for text in texts:
        seq = [stem(w) for w in words(text) if w and w not in ARTICLES]
        runs.update(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))
    return frozenset(runs)


def echoed(answer: Answer, runs: frozenset[tuple[str, ...]]) -> frozenset[int]:
    """Token indices of the answer that repeat a run of what was said to the candidate."""
    n = ECHO_WORDS
    seq = answer.spoken
    if not runs or len(seq) < n:
        return frozenset()
    out: set[int] = set()
    for i in range(len(seq) - n + 1):
        if tuple(seq[i:i + n]) in runs:
            out.update(range(i, i + n))
    return frozenset(out)


def said_stems(texts: Iterable[str]) -> frozenset[str]:
    """Stems of every word said to the candidate: using one of them earns no partial
    credit (echoing the question's vocabulary proves nothing)."""
    return frozenset(stem(w) for text in texts for w in words(text) if w)
