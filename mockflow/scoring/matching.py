"""Key-point matching: normalisation, a tiny stemmer, phrase search, verbatim evidence.

The offline scorer (``scoring``) and the engine's follow-up decision rest on this module,
so it is deterministic and fast: a phrase is compiled once per question, an answer is
tokenised once per scoring call, and matching is dictionary look-ups.

Rules, in order:

- words are runs of letters and digits (``trade-off`` is two words, ``301`` is one);
  lower-cased; clitics dropped (``I'd`` → ``i``, ``it's`` → ``it``) except ``n't``
  (``don't`` → ``dont``);
- each word is reduced by a small suffix stemmer (``invalidation``, ``invalidate``,
  ``invalidating`` → ``invalidat``);
- a phrase matches when its stems appear in order with at most one filler word between
  neighbours (``one request refills`` matches "let one request refill it");
- compounds match written together or apart (``tradeoff`` ↔ ``trade-off``);
- a key point's phrases are alternatives: any one matches the point;
- only the candidate's own words count: ``Answer.mask`` takes out tokens that repeat what
  the interviewer said (``mockflow.scoring.echo``), and they match nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n\s*")
# between two words, any of these starts a new segment (a clause or a list item)
_SEGMENT_BREAK = r"[,;:.!?\n•*()\"“”]|\s[-–—]+\s"
_TOKEN = re.compile(rf"({_WORD.pattern})|({_SEGMENT_BREAK})")  # a word, or a segment break
_CLITICS = frozenset({"d", "ll", "s", "re", "ve", "m"})
ARTICLES = frozenset({"a", "an", "the"})  # ignored on both sides: "add a column" = "add the column"

PARTIAL_MIN_WORDS = 2  # a partial match needs this many content words: one never does
MAX_GAP = 1  # filler words allowed between neighbouring words of a phrase
MIN_STEM = 3  # the stemmer never leaves fewer letters than this
MIN_JOINED = 5  # a one-word phrase matches two written-apart words only from this length
QUOTE_WINDOW = 12  # words kept either side of a match when a sentence is very long
LONG_SENTENCE = 40  # words
NEGATION_WINDOW = 3  # a match right after one of these words doesn't count

# (suffix, replacement, shortest stem it may leave). Longest suffixes first.
_RULES: tuple[tuple[str, str, int], ...] = (
    ("abilities", "", 4),
    ("ability", "", 4),
    ("ments", "", 4),
    ("ment", "", 4),
    ("ness", "", 4),
    ("ings", "", 3),
    ("ions", "", 3),
    ("ably", "", 4),
    ("able", "", 4),
    ("edly", "", 3),
    ("encies", "ent", 3),
    ("ency", "ent", 3),
    ("ies", "y", 2),
    ("ied", "y", 2),
    ("ing", "", 3),
    ("ion", "", 3),
    ("ers", "", 3),
    ("er", "", 3),
    ("ly", "", 4),
    ("ed", "", 3),
    ("es", "", 3),
    ("ss", "ss", 0),
    ("s", "", 3),
)
_DOUBLE_KEEP = frozenset("lsz")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Reduce a lower-case word to a crude stem; inflections of one word meet."""
    w = word
    for _ in range(2):
        changed = False
        for suffix, replacement, shortest in _RULES:
            if w.endswith(suffix):
                base = w[: len(w) - len(suffix)]
                if len(base) + len(replacement) >= max(shortest, MIN_STEM):
                    new = base + replacement
                    changed = new != w
                    w = new
                    if changed and suffix in ("ing", "ed", "ings") and len(w) > 3 and \
                            w[-1] == w[-2] and w[-1] not in _DOUBLE_KEEP and w[-1].isalpha():
                        w = w[:-1]  # stopped -> stop, running -> run
                    break
        if not changed:
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if len(w) > 3 and w.endswith("y"):
        w = w[:-1]
    return w


def _clean(raw: str) -> str:
    word = raw.lower()
    if "'" in word or "’" in word:
        parts = re.split(r"['’]", word)
        base, clitic = "".join(parts[:-1]), parts[-1]
        if clitic in _CLITICS:
            return base
        return base + clitic  # don't -> dont
    return word


def words(text: str) -> list[str]:
    """Normalised (cleaned, lower-case, unstemmed) words of a text."""
    return [_clean(m.group()) for m in _WORD.finditer(text)]


def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text) if w)


# --------------------------------------------------------------------------- phrases


@dataclass(frozen=True, slots=True)
class Phrase:
    """One way of saying a key point, compiled to stems."""

    text: str
    stems: tuple[str, ...]
    joined: str | None  # multi-word phrase written as one word ("trade off" -> "tradeoff")
    word: str | None  # a one-word phrase's cleaned word, to find it written apart


@dataclass(frozen=True, slots=True)
class Point:
    """A key point: its label and its alternative phrasings."""

    label: str
    phrases: tuple[Phrase, ...]


def compile_phrase(text: str) -> Phrase:
    raw = [w for w in words(text) if w and w not in ARTICLES] or [w for w in words(text) if w]
    joined = stem("".join(raw)) if len(raw) > 1 else None
    word = raw[0] if len(raw) == 1 and len(raw[0]) >= MIN_JOINED else None
    return Phrase(text, tuple(stem(w) for w in raw), joined, word)


def compile_point(phrases: Sequence[str]) -> Point:
    return Point(phrases[0], tuple(p for p in map(compile_phrase, phrases) if p.stems))


# --------------------------------------------------------------------------- answers

STOPWORDS = frozenset(
    "a an the and or but of to in on at for with by from as into onto about over under is are"
    " was were be been being it its this that these those there their them they we our you your"
    " i me my he she his her what how when where which who why would could should will can do"
    " does did not no so if then than just also some any all more most very".split()
)
NEGATORS = frozenset(stem(w) for w in (
    "no not never without instead dont doesnt didnt wont wouldnt cant cannot shouldnt isnt"
    " arent wasnt neednt nor skip"
).split())


@dataclass(frozen=True, slots=True)
class Sentence:
    answer: int  # which answer turn
    start: int  # character offsets in that turn's text
    end: int
    first: int  # token indices [first, last]
    last: int


class Answer:
    """The candidate's answer turns, tokenised once, with an index for phrase search.

    Tokens are kept in parallel lists (stem, cleaned word, sentence); character offsets
    are only worked out for the rare quote that needs them. This runs once per scoring
    call, on the engine's hot path.
    """

    __slots__ = ("texts", "stems", "words", "sentence_of", "segment_of", "sentences",
                 "word_count", "spoken", "masked", "_where", "_by_word")

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = tuple(texts)
        stems_: list[str] = []
        words_: list[str] = []
        sentence_of: list[int] = []
        segment_of: list[int] = []
        sentences: list[Sentence] = []
        segment = -1
        where: dict[str, list[int]] = {}
        count = 0
        for a_i, text in enumerate(self.texts):
            low = text.lower()
            lowered = len(low) == len(text)  # offsets survive lower-casing (almost always)
            source = low if lowered else text
            s_start = 0
            spans = []
            for brk in _SENTENCE_BREAK.finditer(text):
                spans.append((s_start, brk.start()))
                s_start = brk.end()
            spans.append((s_start, len(text)))
            for s0, s1 in spans:
                first = len(stems_)
                sid = len(sentences)
                segment += 1  # a sentence starts a segment
                pending = False  # a segment break since the last word
                for word, _brk in _TOKEN.findall(source, s0, s1):
                    if not word:
                        pending = True
                        continue
                    count += 1
                    if pending:
                        if len(stems_) > first:
                            segment += 1
                        pending = False
                    if not lowered or "'" in word or "’" in word:
                        word = _clean(word)
                    if not word or word in ARTICLES:
                        continue
                    st = stem(word)
                    where.setdefault(st, []).append(len(stems_))
                    stems_.append(st)
                    words_.append(word)
                    sentence_of.append(sid)
                    segment_of.append(segment)
                if len(stems_) > first:
                    sentences.append(Sentence(a_i, s0, s1, first, len(stems_) - 1))
        self.stems = stems_
        self.words = words_
        self.sentence_of = sentence_of
        self.segment_of = segment_of
        self.sentences = tuple(sentences)
        self.word_count = count
        self.spoken: tuple[str, ...] = tuple(stems_)  # every token's stem, masked or not
        self.masked: frozenset[int] = frozenset()
        self._where = where
        self._by_word: dict[str, list[int]] | None = None

    def mask(self, indices: Iterable[int]) -> None:
        """Take tokens out of matching: they are not the candidate's own words. A masked
        token matches nothing, so no key point, partial credit or quote rests on it."""
        masked = frozenset(i for i in indices if 0 <= i < len(self.stems))
        if not masked:
            return
        self.masked = self.masked | masked
        for i in masked:
            self.stems[i] = ""
            self.words[i] = ""
        self._where = {}
        for i, st in enumerate(self.stems):
            if st:
                self._where.setdefault(st, []).append(i)
        self._by_word = None

    @property
    def own_words(self) -> int:
        """Tokens (articles aside) that are the candidate's own words."""
        return len(self.stems) - len(self.masked)

    def offsets(self, sid: int) -> list[tuple[int, int]]:
        """Character offsets of each token of sentence ``sid`` (in token order)."""
        sent = self.sentences[sid]
        text = self.texts[sent.answer]
        out = []
        for m in _WORD.finditer(text, sent.start, sent.end):
            word = _clean(m.group())
            if word and word not in ARTICLES:
                out.append((m.start(), m.end()))
        return out

    def _split(self, phrase: Phrase) -> tuple[int, int] | None:
        """A one-word phrase written as two neighbouring words ("trade-off" for
        "tradeoff"): try each split of the phrase's word against the answer's words."""
        word = phrase.word
        if word is None:
            return None
        if self._by_word is None:
            by_word: dict[str, list[int]] = {}
            for i, w in enumerate(self.words):
                by_word.setdefault(w, []).append(i)
            self._by_word = by_word
        words_, sentence_of, target = self.words, self.sentence_of, phrase.stems[0]
        last = len(words_) - 1
        for k in range(2, len(word) - 1):
            for i in self._by_word.get(word[:k], ()):
                if i >= last or not words_[i + 1]:
                    continue
                if i < last and sentence_of[i + 1] == sentence_of[i] and \
                        stem(words_[i] + words_[i + 1]) == target and not self.negated(i):
                    return i, i + 1
        return None

    def negated(self, i: int) -> bool:
        """A negation word shortly before token i, in its sentence ("no need to clear")."""
        if not NEGATION_WINDOW:
            return False
        lo = max(self.sentences[self.sentence_of[i]].first, i - NEGATION_WINDOW)
        stems_ = self.stems
        return any(stems_[j] in NEGATORS for j in range(lo, i))

    def find(self, phrase: Phrase) -> tuple[int, int] | None:
        """Token span (first, last) of the phrase's first occurrence that isn't negated."""
        seq = phrase.stems
        if not seq:
            return None
        where = self._where
        if len(seq) == 1:
            for i in where.get(seq[0], ()):
                if not self.negated(i):
                    return i, i
            return self._split(phrase)
        if phrase.joined is not None:
            for i in where.get(phrase.joined, ()):
                if not self.negated(i):
                    return i, i
        for i in where.get(seq[0], ()):
            end = self._follow(seq, 1, i)
            if end is not None and not self.negated(i):
                return i, end
        return None

    def find_all(self, phrase: Phrase) -> list[tuple[int, int]]:
        """Every token span where the phrase occurs (negated or not), in order."""
        seq = phrase.stems
        if not seq:
            return []
        where = self._where
        out: list[tuple[int, int]] = []
        if phrase.joined is not None:
            out += [(i, i) for i in where.get(phrase.joined, ())]
        for i in where.get(seq[0], ()):
            end = i if len(seq) == 1 else self._follow(seq, 1, i)
            if end is not None:
                out.append((i, end))
        return sorted(set(out))

    def _follow(self, seq: tuple[str, ...], k: int, prev: int) -> int | None:
        if k == len(seq):
            return prev
        stems_, sentence_of = self.stems, self.sentence_of
        sentence = sentence_of[prev]
        for j in range(prev + 1, min(prev + 2 + MAX_GAP, len(stems_))):
            if sentence_of[j] != sentence:
                break
            if stems_[j] == seq[k]:
                end = self._follow(seq, k + 1, j)
                if end is not None:
                    return end
        return None

    def find_partial(self, point: Point, known: frozenset[str]) -> int | None:
        """Token index of a partial match: at least half (and at least one) of a multi-word
        phrasing's content words, other than words the interviewer used (``known``), in one
        sentence, and never fewer than ``PARTIAL_MIN_WORDS`` (one generic word such as
        "error" or "first" earns nothing). None when no phrasing qualifies."""
        where = self._where
        sentence_of = self.sentence_of
        for phrase in point.phrases:
            if len(phrase.stems) < 2:
                continue
            content = [s for s in phrase.stems if s not in STOPWORDS and s not in known]
            if not content:
                continue
            need = max(PARTIAL_MIN_WORDS, (len(content) + 1) // 2)
            if len(content) < need:
                continue
            found: dict[int, set[str]] = {}
            first: dict[int, int] = {}
            for s in content:
                for i in where.get(s, ()):
                    if self.negated(i):
                        continue
                    sid = sentence_of[i]
                    found.setdefault(sid, set()).add(s)
                    first[sid] = min(first.get(sid, i), i)
            for sid in sorted(found):
                if len(found[sid]) >= need:
                    return first[sid]
        return None

    def quotes(self, spans: Iterable[tuple[int, int]]) -> list[str]:
        """Verbatim quotes for matched token spans: the sentence holding each match, one
        quote per sentence, in order. A very long sentence (an unpunctuated transcript) is
        cut to a window around its matches. Every quote is a substring of one turn."""
        by_sentence: dict[int, tuple[int, int]] = {}
        for first, last in spans:
            sid = self.sentence_of[first]
            lo, hi = by_sentence.get(sid, (first, last))
            by_sentence[sid] = (min(lo, first), max(hi, last))
        out: list[str] = []
        for sid in sorted(by_sentence):
            sent = self.sentences[sid]
            first, last = by_sentence[sid]
            if sent.last - sent.first + 1 > LONG_SENTENCE:
                lo = max(sent.first, first - QUOTE_WINDOW)
                hi = min(sent.last, last + QUOTE_WINDOW)
                offsets = self.offsets(sid)
                start, end = offsets[lo - sent.first][0], offsets[hi - sent.first][1]
            else:
                start, end = sent.start, sent.end
            quote = self.texts[sent.answer][start:end].strip()
            if quote and quote not in out:
                out.append(quote)
        return out


def match_point(answer: Answer, point: Point) -> tuple[int, int] | None:
    """The earliest span where any phrasing of the point occurs, or None."""
    best: tuple[int, int] | None = None
    for phrase in point.phrases:
        span = answer.find(phrase)
        if span is not None and (best is None or span[0] < best[0]):
            best = span
    return best


def compile_points(key_points: Iterable[Sequence[str]]) -> tuple[Point, ...]:
    return tuple(compile_point(tuple(p)) for p in key_points)
