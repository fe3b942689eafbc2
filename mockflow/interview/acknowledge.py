"""Acknowledgements: the first words after a candidate's answer (plain Python, no livekit).

The engine chooses them, so every path says the same thing: the offline interviewer
speaks them, the voice agent can speak them the moment a turn ends (instant
acknowledgement), and a hosted model is told to acknowledge in the same spirit.

Two rules: an acknowledgement shows the candidate was heard, and it never judges. When
the answer made one of the question's key points, it reflects the candidate's *own*
words for it back in a few words ("Roll back first — understood."); otherwise it is a
plain, neutral acknowledgement. Wording varies, chosen by a seeded generator, so a
session is reproducible from its seed and answers.

Limits: the reflected phrase is the matched key-point phrase in the candidate's words,
extended by at most two words up to the next clause break, with first-person words
turned to second person ("my rollout" → "your rollout"); it is English-only and can read
slightly clipped. It echoes, it never rephrases, so it cannot assert anything the
candidate didn't say.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mockflow.scoring.matching import STOPWORDS, Answer, Point, match_point

PLAIN = (
    "Thanks.",
    "Okay, thank you.",
    "Got it.",
    "Understood.",
    "Thank you for walking me through that.",
    "Okay.",
    "Alright, thanks.",
    "Noted, thank you.",
)
REFLECTING = (
    "{Phrase} — understood.",
    "{Phrase}, noted.",
    "Okay, {phrase}.",
    "Got it: {phrase}.",
    "{Phrase}. Thanks.",
)
READY = "Great, let's begin."
# Words that would make an acknowledgement a verdict. Nothing here may ever be said.
JUDGING = frozenset("""great good excellent perfect nice fantastic awesome brilliant
impressive wonderful correct right wrong exactly incorrect amazing superb solid strong weak
interesting""".split())

MAX_PHRASE_WORDS = 6
MIN_PHRASE_WORDS = 2
EDGE_WORDS = STOPWORDS | {"without", "never", "nothing", "none", "before", "after", "ours",
                           "yours", "mine", "you'd", "i'd", "we'd", "i'm", "we're", "you're",
                           "us", "we", "i", "our", "my", "get", "got"}
_POSSESSIVE = frozenset({"my", "our"})
_UNSAFE = re.compile(r"[^\w\s'’%/.-]")
_PERSON = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
    "we": "you", "us": "you", "our": "your", "ours": "yours", "ourselves": "yourselves",
    "i'd": "you'd", "i'm": "you're", "i've": "you've", "i'll": "you'll",
    "we'd": "you'd", "we're": "you're", "we've": "you've", "we'll": "you'll",
}


def reflection(answer: str, points: Sequence[Point]) -> str | None:
    """The candidate's own words for the earliest key point this answer made that reads
    as a phrase, in the second person; None when it made none."""
    if not points or not answer.strip():
        return None
    parsed = Answer([answer])
    spans = sorted(span for span in (match_point(parsed, p) for p in points)
                   if span is not None)
    for first, last in spans:
        phrase = _phrase(parsed, answer, first, last)
        if phrase is not None:
            return phrase
    return None


def _phrase(parsed: Answer, text: str, first: int, last: int) -> str | None:
    sid = parsed.sentence_of[first]
    sent = parsed.sentences[sid]
    offsets = parsed.offsets(sid)
    words = text[offsets[first - sent.first][0]:offsets[last - sent.first][1]].split()
    words = [w for w in (_UNSAFE.sub("", w).strip(".'’-/") for w in words) if w]
    if not MIN_PHRASE_WORDS <= len(words) <= MAX_PHRASE_WORDS:
        return None
    # a phrase starts and ends on a content word: "you wrote", "by its label" or "what
    # draws" are not what a listener would echo ("my team channel" is: "your team channel")
    head, tail = _bare(words[0]), _bare(words[-1])
    if (head in EDGE_WORDS and head not in _POSSESSIVE) or tail in EDGE_WORDS:
        return None
    out = [_PERSON.get(w.lower().replace("’", "'"), w) for w in words]
    if any(_bare(w) in JUDGING for w in out):
        return None
    return " ".join(out)


def _bare(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """What to say first after a candidate's turn, and how a model is told to do it.

    ``reflected``: the candidate's own words echoed in ``text``, if any (data from the
    candidate, never an instruction).
    """

    text: str
    directive: str  # the start of a NEXT MOVE line: "... , then "
    reflected: str | None = None


ANSWER_DIRECTIVE = ("acknowledge the answer in a few words without praising or judging it"
                    " (the suggested wording may echo the candidate's own words), then ")
READY_DIRECTIVE = "reply in a few words to what the candidate said, then "


def for_answer(answer: str, points: Sequence[Point], *, seed: int, key: str) -> Acknowledgement:
    """The acknowledgement of ``answer``: its first key point in the candidate's own words,
    or a plain acknowledgement. ``seed`` and ``key`` (the question number and turn) fix the
    wording, so a session with the same seed and answers always says the same."""
    rng = random.Random(f"{seed}:{key}")
    phrase = reflection(answer, points)
    if phrase is None:
        return Acknowledgement(rng.choice(PLAIN), ANSWER_DIRECTIVE)
    template = rng.choice(REFLECTING)
    text = template.format(phrase=phrase, Phrase=phrase[0].upper() + phrase[1:])
    return Acknowledgement(text, ANSWER_DIRECTIVE, phrase)


READY_ACK = Acknowledgement(READY, READY_DIRECTIVE)
"""The reply when the candidate answers a greeting that asked whether they're ready."""
