"""The real-audio benchmark's ``--smoke`` mode runs and prints every figure (no timings
asserted: the numbers are the benchmark's business): the models alone, and whole sessions
in mockflow's configuration and the seed-style one."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

FIGURES = ("stt_rtf", "stt_rtf_cpu", "tts_rtf", "tts_rtf_cpu", "tts_first_chunk_ms",
           "stt_utterance_ms", "stt_utterance_cpu_ms", "utterance_wer", "seed_utterance_wer",
           "wer_hotwords", "wer_paused", "wer_noisy_10db", "utterance_keyterm_recall",
           "seed_utterance_keyterm_recall", "keyterm_recall_hotwords",
           "vad_segments_per_pause", "job_rss_mib", "job_pss_mib", "load_average_1m",
           # term-heavy speech, biased with the question's terms and unbiased
           "term_heavy_keyterm_recall", "seed_term_heavy_keyterm_recall",
           "term_heavy_glossary_keyterm_recall", "seed_term_heavy_glossary_keyterm_recall",
           "term_heavy_wer", "seed_term_heavy_wer", "term_heavy_terms_said",
           # whole sessions, mockflow against the seed-style configuration
           "cut_ins", "seed_cut_ins", "cut_ins_1s", "seed_cut_ins_1s", "wer", "seed_wer",
           "keyterm_recall", "seed_keyterm_recall", "first_audio_ms", "seed_first_audio_ms",
           "first_audio_ratio", "first_audio_answers_ms", "seed_first_audio_answers_ms",
           "first_audio_answers_ratio", "first_audio_other_ms", "seed_first_audio_other_ms",
           "first_audio_over_delay_ms",
           "session_rss_mib", "session_pss_mib")


def test_voice_real_audio_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "voice_real_audio.py"), "--smoke"],
        capture_output=True, text=True, timeout=900, cwd=ROOT)  # hang guard
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = dict(line.split("=", 1) for line in proc.stdout.splitlines()
                 if "=" in line and " " not in line)
    for key in FIGURES:
        assert key in lines, (key, proc.stdout)
        float(lines[key])  # a number (nan allowed)
    assert 0.0 <= float(lines["wer"]) <= 1.0
    assert 0.0 <= float(lines["term_heavy_keyterm_recall"]) <= 1.0
    assert int(lines["term_heavy_terms_said"]) > 0
    assert int(lines["cut_ins"]) >= 0 and int(lines["seed_cut_ins"]) >= 0
    assert float(lines["first_audio_ms"]) > 0 or lines["first_audio_ms"] == "nan"
    assert float(lines["job_rss_mib"]) > 100  # the models really were loaded


# ------------------------------------------------------------ the term-heavy corpus

sys.path.append(str(ROOT / "benchmarks"))

import _term_heavy as th  # noqa: E402

from mockflow.format.validate import load_interview  # noqa: E402
from mockflow.interview.vocabulary import question_terms  # noqa: E402
from mockflow.live.speech_metrics import keyterm_counts  # noqa: E402

SHIPPED = sorted((ROOT / "interviews").glob("*.yaml"))


@pytest.mark.parametrize("path", [*SHIPPED, ROOT / "tests" / "cases" / "valid" / "full.yaml"],
                         ids=lambda p: p.name)
def test_the_term_heavy_corpus_says_every_term_of_the_file(path: Path) -> None:
    interview = load_interview(path).interview
    corpus = th.build_corpus(interview)
    assert corpus == th.build_corpus(interview)  # the same file, the same corpus
    said = {t.casefold() for u in corpus for t in u.said}
    wanted = {t.casefold() for q in interview.questions for t in th.own_terms(interview, q)}
    assert wanted | {t.casefold() for t in interview.glossary} == said
    for u in corpus:
        question = interview.questions_by_id[u.question_id]
        assert list(u.bias) == question_terms(interview, question)  # what mockflow sends
        assert all(keyterm_counts(u.said, u.text))  # each term really is in the text
        assert th.heard_terms(u, u.text) == [True] * len(u.said)
        # the carrier sentences alone say no term: nothing is heard for free
        blanked = u.text
        for term in sorted(u.said, key=len, reverse=True):
            blanked = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", "zzz", blanked,
                             flags=re.IGNORECASE)
        assert not any(th.heard_terms(u, blanked)), (u.text, blanked)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_the_shipped_glossary_fits_what_the_stt_is_given(path: Path) -> None:
    """Every term said in a question's utterances is among the terms mockflow biases the
    STT toward for that question (``MAX_TERMS`` would drop the glossary's tail first)."""
    interview = load_interview(path).interview
    for u in th.build_corpus(interview, questions=2):
        assert {t.casefold() for t in u.said} <= {t.casefold() for t in u.bias}
    said = {t.casefold() for u in th.build_corpus(interview, questions=2) for t in u.glossary}
    assert said == {t.casefold() for t in interview.glossary}  # --quick says all of it


def test_term_heavy_recall_counts_each_saying() -> None:
    u = th.TermUtterance("x", "q", "We ran the pool behind a connection pool.",
                         ("pool", "connection pool"), (), frozenset({"pool"}))
    assert th.heard_terms(u, "we ran the spool behind a connection pool") == [False, True]
    assert th.recall([(u, "we ran the pool behind a connection pool")]) == 1.0
    assert th.recall([(u, "we ran the spool behind a connection pool")],
                     glossary_only=True) == 0.0
    assert th.misses([(u, "we ran a connection pool")]) == {"pool": (0, 1)}
