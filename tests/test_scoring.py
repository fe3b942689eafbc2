"""The offline key-point scorer: normalisation, matching, mapping onto the scale, evidence."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from conftest import INTERVIEWS, ROOT

from mockflow.format.model import Anchor, Competency, KeyPoint, Question, Scale
from mockflow.format.validate import load_interview
from mockflow.scoring.agreement import spearman, within_one
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Rubric, Scorer, anchor_score
from mockflow.scoring.matching import Answer, compile_phrase, stem, words
from mockflow.scoring.offline import OFFLINE, SHORT_WORDS, OfflineScorer

CALIBRATION = sorted((ROOT / "tests" / "calibration").glob("*.yaml"))

SCALE = Scale(1, 5)
COMP = Competency("design", "Design", (Anchor(1, "Names parts."), Anchor(3, "Sound."),
                                       Anchor(5, "Drives it.")))
RUBRIC = Rubric(COMP, SCALE)


def question(*points: str | tuple[str, ...], text: str = "How would you cache prices?"
             ) -> Question:
    kps = tuple(KeyPoint((p,) if isinstance(p, str) else p) for p in points)
    return Question(id="q", competency="design", level="mid", text=text, answer_seconds=120,
                    key_points=kps)


CACHE = question(("eviction", "evict", "ttl", "expiry"), ("invalidation", "invalidate"),
                 ("thundering herd", "stampede", "one request refills"))


def found(phrase: str, text: str) -> bool:
    return Answer([text]).find(compile_phrase(phrase)) is not None


# --------------------------------------------------------------------------- normalising


@pytest.mark.parametrize("group", [
    ("invalidation", "invalidate", "invalidating", "invalidated", "invalidates"),
    ("evict", "evicted", "evicting", "evicts", "eviction"),
    ("retry", "retries", "retried", "retrying"),
    ("cache", "caches", "cached", "caching"),
    ("queue", "queues", "queued", "queuing"),
    ("deploy", "deploys", "deployed", "deploying", "deployment"),
    ("expire", "expired", "expiry", "expiring"),
    ("process", "processes"),
    ("stop", "stopped", "stopping"),
    ("idempotent", "idempotency"),
    ("partition", "partitions", "partitioning"),
])
def test_stemmer_joins_inflections(group: tuple[str, ...]) -> None:
    assert len({stem(w) for w in group}) == 1, {w: stem(w) for w in group}


@pytest.mark.parametrize("word", ["user", "thing", "only", "bus", "key", "a", "i"])
def test_stemmer_leaves_short_words_recognisable(word: str) -> None:
    assert len(stem(word)) >= min(len(word), 3)


def test_words_lowercase_strip_punctuation_and_clitics() -> None:
    assert words("I'd use  Redis, LRU-based; don't   ask!") == [
        "i", "use", "redis", "lru", "based", "dont", "ask"]
    assert words("It’s the user's cache") == ["it", "the", "user", "cache"]


@pytest.mark.parametrize(("phrase", "text", "hit"), [
    ("thundering herd", "Beware the Thundering-Herd problem.", True),
    ("one request refills", "I'd let one request refill it while others wait.", True),
    ("request coalescing", "request, um, coalescing", True),  # one filler word
    ("request coalescing", "request that is coalescing", False),  # two fillers
    ("request coalescing", "coalescing the request", False),  # order matters
    ("request coalescing", "One request. Coalescing comes later.", False),  # sentences
    ("tradeoff", "We made a trade-off there.", True),  # compound written apart
    ("trade-off", "The tradeoff was latency.", True),  # compound written together
    ("add the new column", "First add a new column.", True),  # articles ignored
    ("301", "It answers with a 301 redirect.", True),
    ("invalidate", "We invalidated the key on every write.", True),
    ("invalidate", "There's no need to invalidate anything.", False),  # negated
    ("ttl", "Set a TTL.", True),
])
def test_phrase_matching(phrase: str, text: str, hit: bool) -> None:
    assert found(phrase, text) is hit


# --------------------------------------------------------------------------- scoring


def score(q: Question, *answers: str, rubric: Rubric = RUBRIC) -> QuestionScore:
    return OFFLINE.score(AnsweredQuestion.of(q, list(answers)), rubric)


def test_offline_scorer_satisfies_the_protocol() -> None:
    scorer: Scorer = OfflineScorer()
    assert scorer.source == "offline"


def test_all_points_score_max_and_quote_the_candidate() -> None:
    answer = ("I'd put Redis in front with a short TTL so entries expire on their own. When a"
              " price changes we invalidate that key straight away. And when a hot key"
              " expires I'd let one request refill it while the rest wait on it.")
    result = score(CACHE, answer)
    assert result.score == 5
    assert result.covered == ("eviction", "invalidation", "thundering herd")
    assert result.missed == () and result.partial == ()
    assert len(result.evidence) == 3
    assert all(quote in answer for quote in result.evidence)
    assert result.evidence[0].startswith("I'd put Redis")


def test_no_points_scores_min_with_no_evidence() -> None:
    result = score(CACHE, "I would just add Redis in front of it and it should be fine then.")
    assert result.score == 1 and result.evidence == ()
    assert result.missed == ("eviction", "invalidation", "thundering herd")
    assert "Covered 0 of 3" in result.rationale


@pytest.mark.parametrize("answer", ["", "   ", "Um, pass."])
def test_nothing_said_is_not_observed(answer: str) -> None:
    result = score(CACHE, answer)
    assert result.score is None and not result.observed and result.evidence == ()


def test_score_is_monotone_in_coverage() -> None:
    pad = " We would run it on two servers behind the load balancer as we usually do."
    answers = [
        "I'd keep it simple." + pad,
        "Entries get a TTL." + pad,
        "Entries get a TTL. Writes invalidate the key." + pad,
        "Entries get a TTL. Writes invalidate the key. Watch for a stampede." + pad,
    ]
    scores = [score(CACHE, a).score for a in answers]
    assert scores == sorted(scores)
    assert scores[0] == 1 and scores[-1] == 5


def test_a_very_short_answer_cannot_score_high() -> None:
    short = "Set a TTL, then invalidate on writes and avoid a stampede."
    assert len(words(short)) < SHORT_WORDS
    result = score(CACHE, short)
    assert result.score == 3
    assert "capped at the middle" in result.rationale


def test_follow_up_answers_count_toward_the_same_question() -> None:
    first = "I'd put it in Redis with a TTL so old entries get evicted over time."
    second = "On a price change we invalidate the key, and coalesce requests to avoid a stampede."
    alone = score(CACHE, first)
    both = score(CACHE, first, second)
    assert alone.score is not None and both.score is not None
    assert both.score > alone.score
    assert any(q in second for q in both.evidence) and any(q in first for q in both.evidence)


def test_alternatives_are_or() -> None:
    for word in ("eviction", "evict", "ttl", "expiry"):
        assert score(CACHE, f"The answer mentions {word} and then keeps talking for a while"
                            " about other things entirely.").covered == ("eviction",)


def test_partial_credit_needs_words_the_question_did_not_say() -> None:
    q = question(("coalesce concurrent requests",), ("price feed refresh",),
                 text="How would you cache prices?")
    # two of the phrase's three content words, none of them the question's: partial credit
    partial = score(q, "I think coalescing the requests is the main thing I would look at.")
    assert partial.partial == ("coalesce concurrent requests",)
    assert partial.evidence
    # "price" is in the question: echoing it (plus one more word) earns nothing
    echo = score(q, "The prices would be cached with a refresh and that is about it for me.")
    assert echo.partial == () and echo.covered == ()


def test_one_generic_word_never_earns_partial_credit() -> None:
    """Old scorer: "error" alone was half of "error rate" and earned half a point."""
    q = question(("error rate",), ("first responder",), text="What do you watch?")
    result = score(q, "When an error shows up I look at it first, then I decide what to do.")
    assert result.partial == () and result.covered == ()


def test_anchor_mapping_follows_uneven_anchors() -> None:
    assert anchor_score([1, 2, 5], 0.0) == 1
    assert anchor_score([1, 2, 5], 0.5) == 2
    assert anchor_score([1, 2, 5], 1.0) == 5
    assert anchor_score([1, 2, 5], 0.75) == pytest.approx(3.5)
    assert anchor_score([3], 0.4) == 3


def test_other_scales() -> None:
    comp = Competency("d", "D", (Anchor(0, "none"), Anchor(10, "all")))
    rubric = Rubric(comp, Scale(0, 10))
    answer = ("Entries get a TTL and a price change will invalidate the key; nothing more"
              " than that, we would just live with the rest when it happens.")
    result = score(CACHE, answer, rubric=rubric)
    assert result.score is not None and 0 <= result.score <= 10
    assert result.score == round(20 / 3)


def test_question_without_key_points_is_not_observed() -> None:
    result = score(question(), "A long and thoughtful answer with many words in it, really.")
    assert result.score is None and "no key points or example answers" in result.rationale


def test_long_unpunctuated_transcript_quotes_a_window_of_it() -> None:
    filler = " ".join(["and then we talked about it"] * 20)
    text = f"{filler} so I set a ttl on every entry {filler}"
    result = score(CACHE, text)
    assert result.covered == ("eviction",)
    (quote,) = result.evidence
    assert quote in text and len(quote.split()) < 40 and "ttl" in quote


def test_scoring_is_deterministic_and_round_trips() -> None:
    answer = "Set a TTL, invalidate on writes. Also coalesce to avoid a stampede at expiry."
    a, b = score(CACHE, answer), score(CACHE, answer)
    assert a == b
    assert QuestionScore.from_dict(a.to_dict()) == a


@pytest.mark.parametrize("path", INTERVIEWS, ids=lambda p: p.name)
def test_strong_examples_outscore_weak_ones_on_average(path: Path) -> None:
    iv = load_interview(path).interview
    strong, weak = [], []
    for q in iv.questions:
        rubric = Rubric(iv.competency(q.competency), iv.scale, iv.questions)
        if q.examples.strong and q.examples.weak:
            for bucket, text in ((strong, q.examples.strong), (weak, q.examples.weak)):
                bucket.append(OFFLINE.score(AnsweredQuestion.of(q, [text]), rubric).score
                              or iv.scale.min)
    if not strong:
        pytest.skip("no examples")
    assert sum(strong) / len(strong) > sum(weak) / len(weak) + 1


# --------------------------------------------------------------------------- agreement


def test_agreement_measures() -> None:
    assert within_one([1, 2, 5], [2, 4, 5]) == pytest.approx(2 / 3)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 2, 2], [1, 2, 3, 4]) == pytest.approx(0.894427191)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


@pytest.mark.parametrize("path", CALIBRATION, ids=lambda p: p.name)
def test_calibration_agreement_does_not_regress(path: Path) -> None:
    """Floors below the measured figures in docs/scoring.md, to catch regressions."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    compiled = next((c for c in map(load_interview, INTERVIEWS)
                     if c.interview.id == data["interview"]), None)
    assert compiled is not None, f"no interview '{data['interview']}'"
    iv = compiled.interview
    gold, pred = [], []
    for item in data["answers"]:
        q = iv.question(item["question"])
        result = OFFLINE.score(AnsweredQuestion.of(q, [item["answer"]]),
                               Rubric(iv.competency(q.competency), iv.scale, iv.questions))
        assert all(quote in item["answer"] for quote in result.evidence)
        gold.append(item["score"])
        pred.append(iv.scale.min if result.score is None else result.score)
    assert within_one(gold, pred) >= 0.8
    assert spearman(gold, pred) > 0.55
