"""Only the candidate's own words count: finding the words that repeat the interviewer.

What was said to the candidate (the question as asked, follow-ups, hints) is cut into
runs of ``ECHO_WORDS`` stems (articles aside). Any run of the answer that equals one of
them, and every token inside it, is an echo: it earns no key-point credit, no partial
credit, no similarity to the examples, and can't be quoted as evidence. Reading the
question back therefore scores nothing, while a single shared word ("cache") still
counts: three words in a row is where repeating starts.

Only what was said *before* a turn can be echoed in it: answer turn k (0-based) is checked
against the question and the first k follow-ups (the k-th follow-up is asked before the
k-th follow-up answer) and the hints. So a follow-up that happens to use the candidate's
earlier words doesn't take them away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

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
    return echoed_by_turn(answer, lambda turn: runs)


def echoed_by_turn(answer: Answer, runs_for: Callable[[int], frozenset[tuple[str, ...]]]
                   ) -> frozenset[int]:
    """Like ``echoed``, with the runs that could be echoed in each answer turn."""
    n = ECHO_WORDS
    seq = answer.spoken
    if len(seq) < n:
        return frozenset()
    out: set[int] = set()
    sentences, sentence_of = answer.sentences, answer.sentence_of
    for i in range(len(seq) - n + 1):
        if tuple(seq[i:i + n]) in runs_for(sentences[sentence_of[i]].answer):
            out.update(range(i, i + n))
    return frozenset(out)


def own_words_mask(answer: Answer, prompts: Sequence[str], hints: Sequence[str]
                   ) -> frozenset[int]:
    """The echoes in an answer: turn k against the question, the first k follow-ups and
    the hints (``prompts`` is the question as asked, then each follow-up as asked)."""
    cache: dict[int, frozenset[tuple[str, ...]]] = {}

    def runs_for(turn: int) -> frozenset[tuple[str, ...]]:
        upto = min(turn + 1, len(prompts))
        hit = cache.get(upto)
        if hit is None:
            hit = cache[upto] = said_runs((*prompts[:upto], *hints))
        return hit

    return echoed_by_turn(answer, runs_for)


def said_stems(texts: Iterable[str]) -> frozenset[str]:
    """Stems of every word said to the candidate: using one of them earns no partial
    credit (echoing the question's vocabulary proves nothing)."""
    return frozenset(stem(w) for text in texts for w in words(text) if w)
