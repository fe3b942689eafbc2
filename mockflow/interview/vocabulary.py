"""The words speech recognition should expect while a question is open.

An interview knows its own vocabulary: each question's key points (with their
alternatives), the technical terms in the question and its follow-ups, and the role's
glossary (``glossary`` in the file). ``question_terms`` lists them, most telling first, for
biasing the STT question by question (``voice.stt.keyterms``; the live layer bounds the
list to what each provider accepts). The list goes to the recogniser only: the
interviewer model never sees it.

Plain functions over the format's model, no state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mockflow.format.model import Interview, Question

MAX_TERMS = 60  # more than any provider takes; each provider bounds it again
MAX_TERM_CHARS = 60
# A technical-looking word in running text: a capital inside the sentence (Kafka, gRPC,
# PostgreSQL), a digit (S3, p99, HTTP/2), a hyphenated or dotted compound
# (read-through, Node.js). Sentence-initial capitals are ordinary words.
_TOKEN = re.compile(r"[A-Za-z0-9][\w./+#-]*[\w+#]|[A-Z0-9]")
_TECH = re.compile(r"[A-Z].*[A-Z]|^[a-z]+[A-Z]|\d|[a-z]-[a-z]|[a-z]\.[a-z]|\+\+|#")


def text_terms(text: str) -> list[str]:
    """Technical-looking words of a question's text, in order."""
    found: list[str] = []
    for sentence in re.split(r"(?<=[.!?:])\s+", text):
        for i, match in enumerate(_TOKEN.finditer(sentence)):
            word = match.group()
            capital_inside = i > 0 and word[0].isupper() and word.lower() != "i"
            if capital_inside or _TECH.search(word):
                found.append(word)
    return found


def _unique(terms: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for term in terms:
        term = " ".join(term.split())
        key = term.casefold()
        if term and len(term) <= MAX_TERM_CHARS and key not in seen:
            seen.add(key)
            out.append(term)
    return out


def question_terms(interview: Interview, question: Question | None,
                   prompts: Iterable[str] = ()) -> list[str]:
    """What to bias recognition toward while ``question`` is open: its key points (labels
    first, then their alternatives), the technical terms of its text, of ``prompts`` (the
    follow-ups as asked) and of its other follow-ups, then the file's glossary. Without an
    open question, the glossary alone. At most ``MAX_TERMS``, no duplicates (case
    ignored)."""
    terms: list[str] = []
    if question is not None:
        terms += [kp.label for kp in question.key_points]
        terms += [p for kp in question.key_points for p in kp.phrases[1:]]
        terms += text_terms(question.text)
        for prompt in prompts:
            terms += text_terms(prompt)
        for follow_up in question.follow_ups:
            terms += text_terms(follow_up.text)
    terms += interview.glossary
    return _unique(terms)[:MAX_TERMS]
