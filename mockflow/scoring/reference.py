"""The reference-answer component: how close an answer is to a question's graded examples.

Every question may carry written ``examples`` (strong, average, weak). The offline
scorer compares the candidate's own words with them, and with the other questions'
examples (off-topic references), and turns the similarities into a position on the
scale. Plain Python, deterministic, no model:

- **features**: content-word stems (function words dropped) and pairs of neighbouring
  content stems within a sentence, so "drop that key" and "key drop" differ;
- **weights**: TF-IDF over the interview's examples (``1 + log tf`` times
  ``log((N + 1) / (df + 1)) + 1``); a word no example uses carries no information about
  the level and is ignored, so padding an answer with unrelated words changes nothing;
- **asides**: a sentence of the answer that shares fewer than ``RELEVANT_WORDS`` words,
  or less than ``RELEVANT_SHARE`` of its words, with the question's examples doesn't
  count ("sorry, my dog is barking", "surely that deserves a five");
- **similarity**: cosine between the answer and each example;
- **level**: a similarity-weighted vote of the references, sharpened by a temperature
  (``TEMPERATURE``): strong = top of the scale, average = the middle, weak = a quarter of
  the way up, other questions' examples (the nearest one) = the bottom, and a constant
  ``FLOOR`` vote for the bottom, so an answer like no example at all scores low.

**No circular scoring.** Simulated candidates speak the examples. ``reproduced`` finds
an example the answer repeats (one of its sentences of six or more words nearly word for
word, most of it, or a piece of it that makes up most of a short answer); the offline
scorer then leaves the examples out for that answer and scores it on key points alone.
Leaving out only the repeated example would not do: a question's three examples are
graded against each other, and without the strong one nothing marks the top of the
scale, so the strong persona would be compared with the average and weak answers and
scored as unlike either.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mockflow.format.model import Question
from mockflow.scoring.matching import Answer

GRADES = ("strong", "average", "weak")
# where each grade's example sits on the scale, as a fraction from min to max
GRADE_POSITION = {"strong": 1.0, "average": 0.5, "weak": 0.25}
OFF_TOPIC_POSITION = 0.0
TEMPERATURE = 0.02  # softmax temperature over cosine similarities
RELEVANT_WORDS = 2  # a sentence sharing fewer words with the question's examples is an aside
RELEVANT_SHARE = 0.3  # ... or a smaller share of its own words
FLOOR = 0.15  # a reference must be at least this similar to outvote 'like no example'
SOURCE_GRAMS = 3  # word triples compared to find an example the answer reproduces
SOURCE_SENTENCE_GRAMS = 4  # an example sentence counts from this many triples (6+ words)
SOURCE_SENTENCE_SHARE = 0.9  # ... and is reproduced when this share of them is said
SOURCE_EXAMPLE_SHARE = 0.75  # or when this share of the whole example's triples is said
SOURCE_ANSWER_GRAMS = 3  # or when an answer of at least this many triples ...
SOURCE_ANSWER_SHARE = 0.5  # ... has this share of them from the example

_FUNCTION = (
    "a an the and or but of to in on at for with by from as into onto about over under is"
    " are was were be been being it its this that these those there their them they we our"
    " you your i me my he she his her what how when where which who why would could should"
    " will can do does did not no so if then than just also some any all more most very"
    " im yes yeah okay ok um uh well really like know think say said get got go going make"
    " made thing things way one two here now up out because while after before until since"
    " though through only still even too again each every other such own same both few"
    " much many have has had am let us thinking thought says saying gets getting goes went"
    " gone making makes doing done having"
)
# numbers are specifics that differ between equally good answers ("two minutes", "a
# million rows"): they don't make two answers alike (key points may still name them)
_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy"
    " eighty ninety hundred hundreds thousand thousands million millions billion half"
    " dozen dozens"
)
FUNCTION_WORDS = frozenset(_FUNCTION.split()) | frozenset(_NUMBERS.split())
"""Words that carry grammar, not content (also used by the list rule)."""


def is_function(word: str) -> bool:
    """A word that carries grammar or a number, not content (matched as written, so
    "owner" isn't taken for "own")."""
    return word in FUNCTION_WORDS or word.isdigit()


def features(answer: Answer, skip: frozenset[int] = frozenset()
             ) -> dict[int, Counter[str]]:
    """Content stems and neighbouring pairs of an answer, per sentence (token indices in
    ``skip`` are not the candidate's own words and don't count)."""
    out: dict[int, Counter[str]] = {}
    prev: str | None = None
    prev_sentence = -1
    words, stems, sentence_of = answer.words, answer.stems, answer.sentence_of
    counts: Counter[str] = Counter()
    for i in range(len(stems)):
        sentence = sentence_of[i]
        if sentence != prev_sentence:
            prev, prev_sentence = None, sentence
            counts = out.setdefault(sentence, Counter())
        st = stems[i]
        if not st or i in skip or is_function(words[i]):
            continue
        counts[st] += 1
        if prev is not None:
            counts[prev + " " + st] += 1
        prev = st
    return out


def total(per_sentence: dict[int, Counter[str]], keep: Iterable[int] | None = None
          ) -> Counter[str]:
    out: Counter[str] = Counter()
    for sid in (per_sentence if keep is None else keep):
        out.update(per_sentence[sid])
    return out


def trigrams(seq: Sequence[str]) -> frozenset[tuple[str, ...]]:
    n = SOURCE_GRAMS
    return frozenset(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))


@dataclass(frozen=True, slots=True)
class Example:
    question_id: str
    grade: str
    weights: dict[str, float]
    norm: float
    grams: frozenset[tuple[str, ...]]
    sentence_grams: tuple[frozenset[tuple[str, ...]], ...]

    def reproduced_by(self, said: frozenset[tuple[str, ...]]) -> bool:
        """The answer repeats this example (a simulated candidate reading it out)."""
        shared = len(self.grams & said)
        if self.grams and shared >= SOURCE_EXAMPLE_SHARE * len(self.grams):
            return True
        if len(said) >= SOURCE_ANSWER_GRAMS and shared >= SOURCE_ANSWER_SHARE * len(said):
            return True  # a short answer that is mostly a piece of the example
        return any(len(g) >= SOURCE_SENTENCE_GRAMS
                   and len(g & said) >= SOURCE_SENTENCE_SHARE * len(g)
                   for g in self.sentence_grams)


@dataclass(frozen=True, slots=True)
class Similarity:
    """The reference component's verdict for one answer."""

    position: float  # 0..1 on the scale
    similarities: tuple[tuple[str, float], ...]  # grade -> cosine, own examples used
    off_topic: float  # cosine with the nearest other question's example
    nearest: str  # the grade (or "off-topic") with the highest similarity
    evidence: tuple[int, ...]  # sentence ids that share most with the nearest example
    spread: float = 0.0  # spread of the votes' positions (0..0.5): how split the vote is
    relevant: float = 1.0  # share of the answer's content words in on-topic sentences
    anywhere: float = 0.0  # the whole answer's cosine with its nearest example of any question


def _relevant(counts: Counter[str], vocab: frozenset[str]) -> bool:
    words = [t for t in counts if " " not in t]
    shared = sum(1 for t in words if t in vocab)
    return shared >= RELEVANT_WORDS and shared >= RELEVANT_SHARE * len(words)


class ReferenceSet:
    """Every example of an interview's questions, weighted for comparison."""

    __slots__ = ("_examples", "_vocab_of", "_idf", "_postings", "_by_question")

    def __init__(self, questions: Iterable[Question]) -> None:
        raw: list[tuple[str, str, Answer]] = []
        for q in questions:
            for grade in GRADES:
                text = q.examples.get(grade)
                if text and text.strip():
                    raw.append((q.id, grade, Answer((text,))))
        counted = [total(features(a)) for _, _, a in raw]
        df: Counter[str] = Counter()
        for c in counted:
            df.update(c.keys())
        n = len(raw)
        self._idf = {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in df.items()}
        self._examples: list[Example] = []
        self._postings: dict[str, list[tuple[int, float]]] = {}
        self._by_question: dict[str, list[int]] = {}
        self._vocab_of: dict[str, frozenset[str]] = {}
        for k, ((qid, grade, answer), c) in enumerate(zip(raw, counted, strict=True)):
            weights = self._weigh(c)
            norm = math.sqrt(sum(v * v for v in weights.values()))
            by_sentence: dict[int, list[str]] = {}
            for i, st in enumerate(answer.stems):
                by_sentence.setdefault(answer.sentence_of[i], []).append(st)
            self._examples.append(Example(
                qid, grade, weights, norm, trigrams(answer.stems),
                tuple(trigrams(s) for s in by_sentence.values())))
            for t, w in weights.items():
                self._postings.setdefault(t, []).append((k, w))
            self._by_question.setdefault(qid, []).append(k)

    def _weigh(self, counts: Counter[str]) -> dict[str, float]:
        idf = self._idf
        return {t: (1.0 + math.log(n)) * idf[t] for t, n in counts.items() if t in idf}

    def _vocab(self, question_id: str) -> frozenset[str]:
        """Every feature of this question's examples (cached)."""
        hit = self._vocab_of.get(question_id)
        if hit is None:
            hit = frozenset(t for k in self._by_question.get(question_id, ())
                            for t in self._examples[k].weights)
            self._vocab_of[question_id] = hit
        return hit

    def has_examples(self, question_id: str) -> bool:
        return question_id in self._by_question

    def reproduced(self, question_id: str, answer: Answer) -> tuple[str, ...]:
        """The grades of this question's examples that the answer repeats (a simulated
        candidate speaking them)."""
        said = trigrams(answer.spoken)
        return tuple(self._examples[k].grade for k in self._by_question.get(question_id, ())
                     if self._examples[k].reproduced_by(said))

    def compare(self, question_id: str, answer: Answer, skip: frozenset[int]
                ) -> Similarity | None:
        """Where the answer's own words sit among the question's examples; None when the
        question has no example to compare with."""
        own = self._by_question.get(question_id, [])
        if not own:
            return None
        per_sentence = features(answer, skip)
        # a sentence sharing too few words with this question's examples is an aside
        # ("sorry, my dog is barking", "surely that's a five"): it doesn't count
        vocab = self._vocab(question_id)
        relevant = [sid for sid, c in per_sentence.items() if _relevant(c, vocab)]
        counts = total(per_sentence, relevant)
        weights = self._weigh(counts)
        norm = math.sqrt(sum(v * v for v in weights.values()))
        dots: dict[int, float] = {}
        for t, w in weights.items():
            for k, wk in self._postings[t]:
                dots[k] = dots.get(k, 0.0) + w * wk
        mine = set(own)

        def cos(k: int) -> float:
            ex = self._examples[k]
            return dots.get(k, 0.0) / (norm * ex.norm) if norm and ex.norm else 0.0

        sims = [(self._examples[k].grade, cos(k)) for k in own]
        off = max((cos(k) for k in dots if k not in mine), default=0.0)
        votes = [(GRADE_POSITION[g], s) for g, s in sims] + [(OFF_TOPIC_POSITION, off)]
        if FLOOR:
            votes.append((OFF_TOPIC_POSITION, FLOOR))
        top = max(s for _, s in votes)
        spread = 0.0
        if norm == 0.0 or top <= 0.0:  # shares no word with any example
            position = OFF_TOPIC_POSITION
        else:
            ws = [(p, math.exp((s - top) / TEMPERATURE)) for p, s in votes]
            mass = sum(w for _, w in ws)
            position = sum(p * w for p, w in ws) / mass
            spread = math.sqrt(sum(w * (p - position) ** 2 for p, w in ws) / mass)
        content = sum(sum(1 for t in c if " " not in t) for c in per_sentence.values())
        # what the whole answer (asides included) resembles most: an answer to another
        # question shares its words with that question's examples, not with this one's
        whole = self._weigh(total(per_sentence))
        whole_norm = math.sqrt(sum(v * v for v in whole.values()))
        whole_dots: dict[int, float] = {}
        for t, w in whole.items():
            for k, wk in self._postings[t]:
                whole_dots[k] = whole_dots.get(k, 0.0) + w * wk
        anywhere = max((d / (whole_norm * self._examples[k].norm) for k, d in
                        whole_dots.items() if self._examples[k].norm), default=0.0)
        on_topic = sum(sum(1 for t in per_sentence[sid] if " " not in t) for sid in relevant)
        best_grade, best = max(sims, key=lambda gs: gs[1])
        nearest = best_grade if best >= off and best > 0 else "off-topic"
        evidence: tuple[int, ...] = ()
        if nearest != "off-topic":
            ex = self._examples[next(k for k in own if self._examples[k].grade == best_grade)]
            share: dict[int, float] = {}
            for t, w in weights.items():
                ew = ex.weights.get(t)
                if ew:
                    for sid in relevant:
                        if per_sentence[sid].get(t):
                            share[sid] = share.get(sid, 0.0) + w * ew
            ranked = sorted(share, key=lambda sid: (-share[sid], sid))[:2]
            evidence = tuple(sorted(ranked))
        return Similarity(position, tuple(sims), off, nearest, evidence, spread,
                          on_topic / content if content else 0.0, anywhere)
