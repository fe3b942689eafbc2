"""Answering a candidate's question from the interview's ``facts`` (offline, English).

Retrieval, not generation: the answer is one of the recruiter's facts, word for word, or
nothing. Each fact and the question become bags of terms: lower-case words without
stop words, with a light stemmer ("engineers" → "engineer") and a few topic tags that
candidates' questions and recruiters' facts word differently ("how big is the team" and
"8 engineers" both carry ``#size``). A fact's score is the share of the question's term
weight (inverse document frequency over the facts) that it contains; the best fact is
the answer when its score reaches ``THRESHOLD`` and it beats the runner-up, otherwise
there is no answer and the interviewer says it will pass the question on.

A question in two parts ("what does a typical week look like, and what's the stack?")
is answered part by part: a fact for each part that has one, and the parts without one
named as passed on.

Limits: English; a question about something the facts don't mention gets no answer,
never a guess; two facts that fit equally well give none ("I'll pass that on").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

THRESHOLD = 0.4

_STOP = frozenset("""
a an the and or but if of to in on at for from by with about as into over under is are was
were be been being am do does did doing have has had having i me my we our us you your yours
it its this that these those there here what which who whom whose when where why how can
could would should will shall may might must just so than then too very really also any
some much more most many lot lots bit kind sort like get got go going know tell ask asking
wondering curious question quick before answer please thanks thank could i'd i'm i'll you're
there's what's it's that's let let's one would be joining join team's team role job
position use uses using used work works working often usually typical typically
yes yeah yep no nope ok okay sure hi hello well um uh hmm actually anyway also oh sorry
look looks need needs want think currently right now day-to-day generally
""".split())

# Topic tags: words that ask about the same thing as the facts' different words.
_TOPICS: dict[str, tuple[str, ...]] = {
    "#size": ("big", "large", "size", "small", "many", "headcount", "people", "engineer",
              "developer", "member", "person"),
    "#place": ("remote", "hybrid", "office", "onsite", "home", "wfh", "location", "commute",
               "travel", "relocate", "relocation", "in-person"),
    "#oncall": ("on-call", "oncall", "pager", "rotation", "pagerduty", "incident", "call"),
    "#stack": ("stack", "language", "languages", "database", "tech", "technology", "tool",
               "framework", "python", "java", "go", "postgresql", "postgres", "redis", "kafka",
               "aws", "gcp", "kubernetes", "react", "typescript"),
    "#pay": ("salary", "pay", "compensation", "benefit", "bonus", "equity", "stock",
             "pension", "holiday", "vacation", "leave"),
    "#deploy": ("deploy", "release", "ship", "shipping", "ci", "pipeline"),
    "#visa": ("visa", "sponsorship", "sponsor", "authorisation", "authorization", "permit",
              "citizenship"),
    "#hours": ("hours", "schedule", "flexible", "timezone", "time-zone", "week", "day"),
    "#process": ("next", "step", "steps", "process", "hear", "decision", "round", "stage"),
}
_TAG_OF = {word: tag for tag, words in _TOPICS.items() for word in words}


def _stem(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def units(text: str) -> list[frozenset[str]]:
    """The text's words as units: a stemmed content word with its topic tag, if any."""
    out: list[frozenset[str]] = []
    for raw in re.findall(r"[a-z0-9][a-z0-9'\-]*", text.lower().replace("’", "'")):
        word = raw.strip("'-")
        if not word or word in _STOP or word.isdigit():
            continue
        stem = _stem(word)
        unit = {stem}
        tag = _TAG_OF.get(word) or _TAG_OF.get(stem)
        if tag is not None:
            unit.add(tag)
        if frozenset(unit) not in out:
            out.append(frozenset(unit))
    return out


_INTERROGATIVE = re.compile(
    r"^\s*(how|what|when|where|who|which|why|is|are|do|does|did|can|could|will|would|should"
    r"|may)\b", re.IGNORECASE)


def question_clause(text: str) -> str:
    """The part of a message that asks: its last sentence with a question mark, without a
    lead-in clause ("Before I answer the next one, how big is the team?" asks "how big is
    the team?"). The whole text when no clause starts like a question."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if "?" in s]
    if not sentences:
        return text
    last = sentences[-1]
    clauses = [c for c in re.split(r"[,;:—–]\s*", last) if _INTERROGATIVE.match(c)]
    return clauses[-1] if clauses else last


def question_parts(text: str) -> list[str]:
    """The separate questions a message asks ("what does a typical week look like, and
    what's the stack?" asks two): its clauses that start like a question, in the sentences
    with a question mark. One part (or none) when it asks one thing."""
    parts: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        if "?" not in sentence:
            continue
        for clause in re.split(r"[,;:—–]\s*|\s+and\s+(?=(?:also\s+)?(?:how|what|when|where"
                               r"|who|which|why|is|are|do|does|can|could|will|would)\b)",
                               sentence):
            clause = re.sub(r"^\s*(?:and|also|plus|oh|so)\s+", "", clause.strip(), flags=re.I)
            if _INTERROGATIVE.match(clause) and len(clause.split()) >= 2:
                parts.append(clause.rstrip("?").strip())
    return parts


def answer_from_facts(question: str, facts: Sequence[str]) -> str | None:
    """The fact that answers ``question``, or None when none fits well enough. The asking
    clause is tried first (a lead-in like "before I answer the next one" only dilutes it),
    then the whole message. A question in several parts gets a fact for each part that
    has one, and says which part it can't answer."""
    parts = question_parts(question)
    if len(parts) >= 2:
        per_part = [(part, _answer(part, facts)) for part in parts]
        if any(fact for _, fact in per_part):
            said = list(dict.fromkeys(fact for _, fact in per_part if fact))
            missing = [part for part, fact in per_part if fact is None]
            if missing:
                said.append("As for " + " and ".join(f'"{m}"' for m in missing)
                            + ", I'll pass that on so the team can follow up.")
            return " ".join(said)
    focused = question_clause(question)
    if focused != question:
        found = _answer(focused, facts)
        if found is not None:
            return found
    return _answer(question, facts)


def _answer(question: str, facts: Sequence[str]) -> str | None:
    asked = units(question)
    if not facts or not asked:
        return None
    bags = [set().union(*units(f)) if units(f) else set() for f in facts]
    n = len(bags)
    weights = [math.log((n + 1) / (sum(bool(u & bag) for bag in bags) + 0.5)) for u in asked]
    total = sum(weights)
    scores = sorted(
        ((sum(w for u, w in zip(asked, weights, strict=True) if u & bag) / total, i)
         for i, bag in enumerate(bags)),
        reverse=True,
    )
    best, index = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best < THRESHOLD or best - runner_up < 1e-9:
        return None
    return facts[index]
