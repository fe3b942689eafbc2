"""How heard speech is scored (``mockflow.live.speech_metrics``): WER and keyterm matching,
the same for a biased and an unbiased recogniser. No models: plain text."""

from __future__ import annotations

from mockflow.live.speech_metrics import (
    corpus_wer,
    keyterm_counts,
    keyterm_hits,
    keyterm_recall,
    word_error_rate,
)


def test_a_keyterm_is_found_whatever_its_case_punctuation_and_spacing() -> None:
    # Whisper writes the same words with other spacing: each of these heard the term
    heard = ("We weighed the tradeoff, put a status page up, used use memo and Rabbit MQ,"
             " read the P 99, and called it over G R P C.")
    terms = ["trade-off", "Statuspage", "useMemo", "RabbitMQ", "p99", "gRPC"]
    assert keyterm_hits(terms, heard) == [True] * len(terms)
    assert keyterm_hits(["trade off", "open telemetry"], "a trade-off with OpenTelemetry") \
        == [True, True]


def test_a_keyterm_is_matched_on_whole_words_only() -> None:
    assert keyterm_hits(["pool", "SLA", "cache", "redis"],
                        "a spool, a slam and a cached reading") == [False] * 4
    # the letters must be the whole term, not a longer run ("etc d" is not "etcd s")
    assert keyterm_hits(["etcd"], "etc ds") == [False]
    assert keyterm_hits(["GraphQL"], "GrafQL") == [False]  # another spelling: a miss


def test_keyterm_counts_count_each_saying() -> None:
    said = "the connection pool and the pool again"
    assert keyterm_counts(["pool", "connection pool", "Kafka"], said) == [2, 1, 0]
    assert keyterm_counts(["trade-off"], "tradeoff then trade off then trade-off") == [3]
    assert keyterm_counts(["", "!", "x"], "x") == [1]  # terms without a word are left out


def test_recall_and_wer() -> None:
    assert keyterm_recall([(["Kafka", "idempotent"], "kafka is eye dem potent")]) == 0.5
    assert keyterm_recall([([], "anything")]) == 1.0
    assert word_error_rate("read-through cache", "read through cash") == 1 / 3
    assert corpus_wer([("a b", "a b"), ("c d", "c")]) == 0.25
