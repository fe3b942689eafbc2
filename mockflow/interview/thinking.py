"""A turn that only asks for time ("let me think", "give me a moment", "one sec").

Said on its own, such a phrase is a request to the interviewer: wait, don't take the
turn. Said at the start of an answer ("Let me think, I'd put a cache in front of it")
it is a filler and the turn is an answer. The rule: a turn asks for time when every
sentence in it is made of wait phrases and fillers ("um", "okay", "good question"), and
at least one of them is a wait phrase. Any other words make it an answer, whatever wait
phrases it also contains. (The request reader, ``interview.requests``, sets the same
phrases aside as fillers when it reads an answer; this module answers the other question:
is there any answer at all.)

English only, like the request reader. Plain functions, no state.
"""

from __future__ import annotations

import re

from mockflow.interview.requests import classify_sentence, split_sentences

_UNIT = r"(?:second|sec|moment|minute|min|bit)"
_CORE = (
    r"(?:"
    r"(?:let me|lemme|let me just) (?:think|have a think|think (?:about (?:it|that|this)|"
    r"(?:it|this|that) (?:over|through))|think for a " + _UNIT + r"|gather my thoughts|"
    r"collect my thoughts|think about (?:it|that|this) for a " + _UNIT + r")"
    r"|(?:give|allow) me (?:a|one|just a|a quick) " + _UNIT +
    r"(?: to think(?: about (?:it|that))?)?"
    r"|(?:one|just a|just one|half a) " + _UNIT +
    r"|(?:hang|hold) on(?: a " + _UNIT + r")?"
    r"|bear with me"
    r"|i need (?:a|a quick|to think for a) " + _UNIT +
    r"|i need to think(?: about (?:it|that|this))?"
    r"|(?:can|could|may) i (?:have|get|take) (?:a|one|a quick) " + _UNIT + r"(?: to think)?"
    r"|(?:can|could|may) i think (?:about (?:it|that) )?for a " + _UNIT +
    r"|i'?m (?:still )?thinking|i am (?:still )?thinking|thinking"
    r")")
_FILLER = (r"(?:um+|uh+|erm|er|hm+|mm+|okay|ok|so|well|right|alright|all right|sure|oh|ah|"
           r"good question|great question|interesting|that'?s a (?:good|great|tough|hard) "
           r"(?:one|question))")
_ITEM = rf"(?:{_FILLER} )*{_CORE}"
_WAIT = re.compile(rf"^{_ITEM}(?: {_ITEM})*(?: please| thanks| thank you)?$")
_POLITE = {"please", "thanks", "thank you", "if that's ok", "if that's okay", "if you don't mind"}


def _clauses(sentence: str) -> list[str]:
    text = sentence.lower().replace("’", "'")
    text = re.sub(r"[^a-z' ,\-]", " ", text)
    return [" ".join(c.split()) for c in re.split(r"[,\-]+", text) if c.strip()]


def is_wait_phrase(clause: str) -> bool:
    """One clause is a request for time ("um let me think", "one sec")."""
    return bool(_WAIT.match(" ".join(clause.lower().split())))


def asks_for_time(text: str) -> bool:
    """The whole turn only asks for time (see the module doc)."""
    sentences = split_sentences(text)
    waited = False
    for sentence in sentences:
        clauses = _clauses(sentence)
        waits = [is_wait_phrase(c) for c in clauses]
        if any(waits):
            waited = True
            rest = [c for c, w in zip(clauses, waits, strict=True) if not w]
            if all(c in _POLITE or classify_sentence(c).role == "empty" for c in rest):
                continue
            return False
        if classify_sentence(sentence).role != "empty":
            return False
    return waited
