"""The list rule: a bare list of terms is not an answer.

An answer made of terms strung between commas ("eviction, invalidation, thundering
herd") names ideas without showing how they apply, which is what every rubric anchor
above the minimum asks for. Such an answer scores the scale minimum, with a rationale
that says why. Terms are recognised by their **segments** (the words between two
punctuation marks): a segment is *bare* when, apart from the key-point words in it, it
holds no function word (no "the", "would", "so", "because"...): no grammar, just names.

The rule fires when either holds, counting only the candidate's own words:

- at least ``MIN_LIST_TERMS`` key points are matched and **every** match sits in a bare
  segment (no key point is used inside a sentence), or
- at least ``BARE_SHARE`` of the answer's words are in bare segments.

Both thresholds sit far beyond the most extreme real answer of the calibration set
(there, at most half of an answer's key-point matches are bare, and at most 38 % of its
words): ``tests/test_scoring_v2.py`` checks that no calibration answer and no example
answer trips the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mockflow.scoring.matching import Answer
from mockflow.scoring.reference import is_function

MIN_LIST_TERMS = 2
BARE_SHARE = 0.6
MIN_WORDS = 2


@dataclass(frozen=True, slots=True)
class TermList:
    """Why an answer is a bare list (for the rationale)."""

    terms: tuple[str, ...]  # the bare segments, as said
    reason: str


def _segments(answer: Answer) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for i, seg in enumerate(answer.segment_of):
        if i not in answer.masked:
            out.setdefault(seg, []).append(i)
    return out


def term_list(answer: Answer, spans: Sequence[tuple[int, int]]) -> TermList | None:
    """The list verdict for an answer whose key-point matches are ``spans``."""
    if answer.own_words < MIN_WORDS:
        return None
    in_point = {i for first, last in spans for i in range(first, last + 1)}
    segments = _segments(answer)
    bare: dict[int, bool] = {}
    for seg, tokens in segments.items():
        bare[seg] = not any(is_function(answer.words[i])
                            for i in tokens if i not in in_point)
    bare_words = sum(len(segments[s]) for s, b in bare.items() if b)
    own = sum(len(t) for t in segments.values())
    terms = tuple(" ".join(answer.words[i] for i in segments[s]) for s in sorted(bare)
                  if bare[s])
    if len(spans) >= MIN_LIST_TERMS and all(bare.get(answer.segment_of[first], False)
                                              for first, _ in spans):
        return TermList(terms, f"all {len(spans)} key points it names stand alone as terms,"
                               " never used in a sentence that says how they apply")
    if own and bare_words >= BARE_SHARE * own:
        return TermList(terms, f"{bare_words} of its {own} words are bare terms between"
                               " punctuation, not sentences")
    return None
