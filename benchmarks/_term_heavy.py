"""Term-heavy speech for ``voice_real_audio.py``: candidate sentences dense with an
interview's own vocabulary, built from the interview file, so they work for any file.

Each question's terms are what mockflow biases the STT toward while it is open
(``mockflow.interview.vocabulary.question_terms``: its key points and their alternatives,
the technical words of its text and follow-ups), and the file's glossary is dealt out over
the questions chosen, one term at a time, so every glossary term is said once (alternating
with the question's own terms). The terms go two at a time into a small, fixed set of
neutral carrier sentences ("In my last role we ran X behind Y."), in order, and a few
sentences make one utterance. Nothing is chosen by how well a recogniser hears it: the
same file always gives the same corpus.

What it is: read speech, one synthetic voice, terms in plain frames. What it isn't: how
people talk about these things (the frames carry little context, and a real answer
carries more); "Kafka" said by a person with an accent.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockflow.format.model import Interview, Question
from mockflow.interview.vocabulary import question_terms
from mockflow.live.speech_metrics import keyterm_counts, words

# Neutral frames, two terms each; their own words are never a term (checked per corpus:
# a frame that says a term would count it as heard for free).
CARRIERS = (
    "In my last role we ran {} behind {}.",
    "The part I owned was {}, together with {}.",
    "We kept coming back to {} and {}.",
    "I would start with {}, and then look at {}.",
    "Most weeks, {} came up, and so did {}.",
    "It came down to {} and {} in the end.",
)
SINGLE = "We also looked at {}."  # for the odd term out
SENTENCES_PER_UTTERANCE = 6  # twelve terms, about twenty seconds of speech
# (pcm, sample rate, stt) -> (what was heard, VAD pieces): ``voice_real_audio.hear``
Hear = Callable[[Any, int, Any], Awaitable[tuple[str, int]]]


@dataclass(frozen=True)
class TermUtterance:
    interview: str  # the interview's id
    question_id: str
    text: str
    said: tuple[str, ...]  # the terms in it, in order
    bias: tuple[str, ...]  # what mockflow gives the STT while the question is open
    glossary: frozenset[str]  # which of ``said`` are in the file's glossary


def own_terms(interview: Interview, question: Question) -> list[str]:
    """The question's own vocabulary: ``question_terms`` without the glossary."""
    return question_terms(dataclasses.replace(interview, glossary=()), question)


def chosen_questions(interview: Interview, count: int | None) -> list[Question]:
    """``count`` questions spread evenly over the interview (all with ``None``)."""
    questions = [q for q in interview.questions if own_terms(interview, q)]
    if count is None or count >= len(questions):
        return questions
    step = len(questions) / count
    return [questions[int(i * step)] for i in range(count)]


def _fits(frame: str, terms: Sequence[str]) -> bool:
    """The frame's own words say none of ``terms``."""
    bare = frame.replace("{}", " | ")
    return not any(keyterm_counts(terms, bare))


def _alternate(first: list[str], second: list[str]) -> list[str]:
    """One of each in turn, then the rest of the longer list."""
    out = [t for pair in zip(first, second, strict=False) for t in pair]
    n = min(len(first), len(second))
    return out + first[n:] + second[n:]


def build_corpus(interview: Interview, questions: int | None = None,
                 utterances: int | None = None) -> list[TermUtterance]:
    """The term-heavy utterances for ``interview`` (see the module doc); ``questions``:
    how many questions (spread evenly; all with ``None``), ``utterances``: stop after
    that many (the smoke run)."""
    picked = chosen_questions(interview, questions)
    if not picked:
        return []
    shares: list[list[str]] = [[] for _ in picked]
    for i, term in enumerate(interview.glossary):
        shares[i % len(picked)].append(term)
    every_term = {t for q in picked for t in question_terms(interview, q)}
    every_term |= set(interview.glossary)
    frames = [c for c in CARRIERS if _fits(c, sorted(every_term))]
    single = SINGLE if _fits(SINGLE, sorted(every_term)) else None
    if not frames:
        raise ValueError(f"every carrier sentence says a term of {interview.id}")
    in_glossary = {t.casefold() for t in interview.glossary}
    out: list[TermUtterance] = []
    n_frame = 0
    for question, share in zip(picked, shares, strict=True):
        own = own_terms(interview, question)
        seen = {t.casefold() for t in own}
        terms = _alternate(own, [t for t in share if t.casefold() not in seen])
        terms = [t for t in terms if words(t)]  # ("++" says nothing a matcher could find)
        bias = tuple(question_terms(interview, question))
        pairs = [terms[i:i + 2] for i in range(0, len(terms), 2)]
        step = SENTENCES_PER_UTTERANCE
        for start in range(0, len(pairs), step):
            sentences = []
            said: list[str] = []
            for pair in pairs[start:start + step]:
                if len(pair) == 1 and single:
                    sentences.append(single.format(*pair))
                else:  # (the odd term out in both slots if even the single frame says a term)
                    frame = frames[n_frame % len(frames)]
                    n_frame += 1
                    sentences.append(frame.format(*(pair * 2)[:2]))
                said += [t for t in pair if t not in said]
            out.append(TermUtterance(interview.id, question.id, " ".join(sentences),
                                     tuple(said), bias,
                                     frozenset(t for t in said if t.casefold() in in_glossary)))
            if utterances is not None and len(out) >= utterances:
                return out
    return out


def heard_terms(utterance: TermUtterance, heard: str) -> list[bool]:
    """Per said term: heard at least as many times as it was said (a term inside another,
    "pool" in "connection pool", is only heard when each saying of it was)."""
    said = keyterm_counts(utterance.said, utterance.text)
    got = keyterm_counts(utterance.said, heard)
    return [g >= s for s, g in zip(said, got, strict=True)]


def recall(results: Sequence[tuple[TermUtterance, str]], *,
           glossary_only: bool = False) -> float:
    """Share of said terms heard (``heard_terms``), over (utterance, what was heard)."""
    hits = [hit for u, heard in results
            for term, hit in zip(u.said, heard_terms(u, heard), strict=True)
            if not glossary_only or term in u.glossary]
    return sum(hits) / len(hits) if hits else float("nan")


def misses(results: Sequence[tuple[TermUtterance, str]]) -> dict[str, tuple[int, int]]:
    """Per term: (times heard, times said), for the terms missed at least once."""
    tally: dict[str, list[int]] = {}
    for u, heard in results:
        for term, hit in zip(u.said, heard_terms(u, heard), strict=True):
            counts = tally.setdefault(term, [0, 0])
            counts[0] += hit
            counts[1] += 1
    return {t: (h, n) for t, (h, n) in sorted(tally.items()) if h < n}


def spoken_words(utterances: Sequence[TermUtterance]) -> int:
    return sum(len(words(u.text)) for u in utterances)


@dataclass
class TermHeavy:
    figures: dict[str, str]
    lines: list[str]


async def term_heavy_phase(voice: Any, whisper: Any, hear: Hear, paths: Sequence[Path], *,
                           questions: int | None, speeds: Sequence[float],
                           utterances: int | None = None,
                           verbose: bool = False) -> TermHeavy:
    """Each interview's term-heavy utterances synthesised at each speed and heard through
    ``hear`` (VAD + ``stt.StreamAdapter``) twice: biased with the question's terms as
    mockflow gives them, and unbiased."""
    from _common import fmt, table

    from mockflow.format.validate import load_interview
    from mockflow.live.local_voice.stt import LocalSTT
    from mockflow.live.speech_metrics import corpus_wer

    configs = {"biased": LocalSTT(whisper, bias="prompt"), "seed": LocalSTT(whisper, bias="off")}
    heard: dict[str, list[tuple[TermUtterance, str]]] = {name: [] for name in configs}
    corpus: list[TermUtterance] = []
    for path in paths:
        corpus += build_corpus(load_interview(path).interview, questions, utterances)
    wall, cpu = time.perf_counter(), time.process_time()
    for utterance in corpus:
        for speed in speeds:
            pcm = voice.synthesize(utterance.text, speed=speed)
            for name, stt in configs.items():
                stt.update_options(keyterms=list(utterance.bias))
                text, _ = await hear(pcm, voice.sample_rate, stt)
                heard[name].append((utterance, text))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    def wer(name: str, only: str | None = None) -> float:
        return corpus_wer([(u.text, h) for u, h in heard[name]
                           if only is None or u.interview == only])

    def rec(name: str, only: str | None = None, glossary_only: bool = False) -> float:
        return recall([(u, h) for u, h in heard[name] if only is None or u.interview == only],
                      glossary_only=glossary_only)

    figures = {
        "term_heavy_keyterm_recall": fmt(rec("biased")),
        "seed_term_heavy_keyterm_recall": fmt(rec("seed")),
        "term_heavy_glossary_keyterm_recall": fmt(rec("biased", glossary_only=True)),
        "seed_term_heavy_glossary_keyterm_recall": fmt(rec("seed", glossary_only=True)),
        "term_heavy_wer": fmt(wer("biased")),
        "seed_term_heavy_wer": fmt(wer("seed")),
        "term_heavy_terms_said": str(sum(len(u.said) for u in corpus) * len(speeds)),
        "term_heavy_wall_s": fmt(wall, 0),  # the phase: synthesis and both recognitions
        "term_heavy_cpu_s": fmt(cpu, 0),
    }
    said_terms = {t for u in corpus for t in u.said}
    lines = [
        f"term-heavy speech: {len(corpus)} utterances ({spoken_words(corpus)} words,"
        f" {len(said_terms)} distinct terms, each glossary term once) x {len(speeds)} speeds"
        f" {tuple(speeds)}, from {questions or 'all'} question(s) per interview in neutral"
        " carrier sentences; biased: the question's terms as mockflow gives them to the"
        " STT (question_terms, glossary included), seed: unbiased; same audio, same VAD",
    ]
    rows = []
    for interview in dict.fromkeys(u.interview for u in corpus):
        rows.append([interview, sum(u.interview == interview for u in corpus),
                     fmt(rec("biased", interview)), fmt(rec("seed", interview)),
                     fmt(rec("biased", interview, True)), fmt(rec("seed", interview, True)),
                     fmt(wer("biased", interview)), fmt(wer("seed", interview))])
    lines.append(table(rows, ["interview", "utterances", "recall", "seed recall",
                              "glossary recall", "seed glossary", "WER", "seed WER"]))
    if verbose:
        for name in configs:
            lines.append(f"[term-heavy {name}] missed (heard/said): " + ", ".join(
                f"{t} {h}/{n}" for t, (h, n) in misses(heard[name]).items()))
        for (u, biased), (_, seed) in zip(heard["biased"], heard["seed"], strict=True):
            lines += [f"[term-heavy] said:   {u.text}", f"[term-heavy] biased: {biased}",
                      f"[term-heavy] seed:   {seed}"]
    return TermHeavy(figures, lines)
