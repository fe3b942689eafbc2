"""The list rule: a bare list of terms is not an answer.

An answer made of terms strung together ("eviction, invalidation, thundering herd",
"eviction and invalidation and thundering herd", "I'd use a TTL, a purge and a lock")
names ideas without showing how they apply, which is what every rubric anchor above the
minimum asks for. Such an answer scores the scale minimum, with a rationale that says why.

Terms are recognised by their **items**: the words between two punctuation marks, line
breaks or bullets, split again at the joiners "and", "or", "plus" and "nor", so the
joiners don't matter. An item is *bare* when, apart from the key-point words in it, it
holds no function word (no "the", "would", "so", "because"...): no grammar, just names.
In a sentence that is otherwise a list of bare items (at least ``LIST_ITEMS`` of them, or
two that both name key points), up to ``WRAPPER_WORDS`` words in front of the first item,
holding at most one content word, are a *wrapper* ("I'd use", "my answer:", "I would
think about") and don't count as grammar: a wrapper adds no claim, reason or action.

The rule fires when either holds, counting only the candidate's own words:

- at least ``MIN_LIST_TERMS`` key points are matched, **every** match sits in a bare item,
  and the rest of the answer carries no more content words than the bare items (padding
  such as "those are the things I would think about here, yes" has none), or
- at least ``BARE_SHARE`` of the answer's words are in bare items.

``shape`` measures both for every answer (the confidence model reads how close an answer
comes: ``margin``). The thresholds sit far beyond every real answer of the calibration
set, the held-out set and the examples: ``tests/test_scoring_adversarial.py`` checks that
none trips the rule, and ``tests/test_list_rule.py`` that every list shape does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mockflow.scoring.matching import Answer, Point
from mockflow.scoring.reference import is_function

MIN_LIST_TERMS = 2
BARE_SHARE = 0.6
MIN_WORDS = 2
LIST_ITEMS = 3  # a sentence of this many items (or two key points) may be a list
WRAPPER_WORDS = 4  # at most this many words in front of a list are its wrapper
JOINERS = frozenset({"and", "or", "plus", "nor", "also", "then"})


@dataclass(frozen=True, slots=True)
class TermList:
    """Why an answer is a bare list (for the rationale)."""

    terms: tuple[str, ...]  # the bare items, as said
    reason: str


@dataclass(frozen=True, slots=True)
class ListShape:
    """How list-like an answer is (own words only)."""

    own: int  # the candidate's own words
    bare_words: int  # words in bare items (wrappers and joiners between them included)
    bare_content: int  # content words in bare items
    other_content: int  # content words elsewhere
    matches: int  # key-point matches
    bare_matches: int  # ... of which in bare items
    terms: tuple[str, ...]

    @property
    def bare_share(self) -> float:
        return self.bare_words / self.own if self.own else 0.0

    @property
    def margin(self) -> float:
        """How close to the rule (1.0 = on it): the larger of the bare share against
        ``BARE_SHARE`` and, with key-point matches, the share of them that are bare."""
        share = self.bare_share / BARE_SHARE
        points = self.bare_matches / self.matches if self.matches >= MIN_LIST_TERMS else 0.0
        return min(1.0, max(share, points * (1.0 if self.other_content <= self.bare_content
                                             else 0.5)))


def _items(answer: Answer) -> dict[int, list[int]]:
    """Own-word token indices per item (items numbered in order)."""
    out: dict[int, list[int]] = {}
    item = -1
    prev_segment = None
    fresh = True
    for i, seg in enumerate(answer.segment_of):
        if i in answer.masked:
            continue
        word = answer.words[i]
        if seg != prev_segment:
            prev_segment, fresh = seg, True
        if word in JOINERS:
            fresh = True
            continue
        if fresh:
            item += 1
            fresh = False
        out.setdefault(item, []).append(i)
    return out


def shape(answer: Answer, spans: Sequence[tuple[int, int]],
          points: Sequence[Point] = ()) -> ListShape:
    """How list-like an answer whose key-point matches are ``spans`` is (``points``: the
    key points, whose every phrasing, wherever it occurs, counts as a term)."""
    in_point = {i for first, last in spans for i in range(first, last + 1)}
    for point in points:
        for phrase in point.phrases:
            in_point.update(i for first, last in answer.find_all(phrase)
                            for i in range(first, last + 1))
    items = _items(answer)
    sentence_items: dict[int, list[int]] = {}
    for item, tokens in items.items():
        sentence_items.setdefault(answer.sentence_of[tokens[0]], []).append(item)
    def is_bare(tokens: Sequence[int], skip: set[int]) -> bool:
        return not any(is_function(answer.words[i]) for i in tokens
                       if i not in in_point and i not in skip)

    bare_item = {item: is_bare(tokens, set()) for item, tokens in items.items()}
    # a wrapper: in a sentence that is otherwise a list of bare terms ("I'd use X, Y and
    # Z"), the words in front of the first term
    wrapper: set[int] = set()
    for its in sentence_items.values():
        named = all(any(i in in_point for i in items[it]) for it in its)
        if (len(its) >= LIST_ITEMS or (len(its) >= 2 and named)) \
                and not bare_item[its[0]] and all(bare_item[it] for it in its[1:]):
            first = items[its[0]]
            lead: set[int] = set()
            content = 0  # a lead-in holds at most one content word, its verb ("use")
            for i in first[:min(WRAPPER_WORDS, len(first) - 1)]:
                content += not is_function(answer.words[i])
                if content > 1:
                    break
                lead.add(i)
            if is_bare(first, lead):
                wrapper |= lead
                bare_item[its[0]] = True
    # joiners split a segment into items only when every item of it is a bare term
    # ("eviction and invalidation"); "the customer id and a total" stays one clause
    by_segment: dict[int, list[int]] = {}
    for item, tokens in items.items():
        by_segment.setdefault(answer.segment_of[tokens[0]], []).append(item)
    for its in by_segment.values():
        if not all(bare_item[it] for it in its):
            for it in its:
                bare_item[it] = False
    item_of = {i: item for item, tokens in items.items() for i in tokens}
    own_tokens = [i for i in range(len(answer.words)) if i not in answer.masked]
    bare_words = bare_content = other_content = 0
    for i in own_tokens:
        owner = item_of.get(i)
        if owner is None:  # a joiner: bare when the items on both sides are
            before = item_of.get(i - 1)
            after = item_of.get(i + 1)
            bare = before is not None and after is not None and bare_item[before] \
                and bare_item[after]
        else:
            bare = bare_item[owner]
        content = not is_function(answer.words[i]) and answer.words[i] not in JOINERS \
            and i not in wrapper
        bare_words += bare
        if content:
            if bare:
                bare_content += 1
            else:
                other_content += 1
    bare_matches = sum(1 for first, _ in spans if bare_item.get(item_of.get(first, -1), False))
    terms = tuple(" ".join(answer.words[i] for i in items[it] if i not in wrapper)
                  for it in sorted(items) if bare_item[it])
    return ListShape(len(own_tokens), bare_words, bare_content, other_content, len(spans),
                     bare_matches, terms)


def verdict(listed: ListShape) -> TermList | None:
    """The list verdict for a measured shape."""
    if listed.own < MIN_WORDS:
        return None
    if listed.matches >= MIN_LIST_TERMS and listed.bare_matches == listed.matches \
            and listed.other_content <= listed.bare_content:
        return TermList(listed.terms, f"all {listed.matches} key points it names stand alone"
                                      " as terms, never used in a sentence that says how"
                                      " they apply")
    if listed.own and listed.bare_words >= BARE_SHARE * listed.own:
        return TermList(listed.terms, f"{listed.bare_words} of its {listed.own} words are bare"
                                      " terms in a list, not sentences")
    return None


def term_list(answer: Answer, spans: Sequence[tuple[int, int]],
              points: Sequence[Point] = ()) -> TermList | None:
    """The list verdict for an answer whose key-point matches are ``spans``."""
    return verdict(shape(answer, spans, points))
