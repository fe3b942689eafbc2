"""Which follow-up fits what the answer missed, and a clarification that restates the
question's framing (plain Python, no livekit).

Follow-ups name the key points they probe (``follow_ups: [{text, probes}]``). After an
answer the engine asks the first follow-up, in file order, that has not been asked yet,
whose probed points the answers so far did not cover (at least one missed or only partly
made, none covered). A follow-up without ``probes`` (format v1's plain strings) is asked
whenever some point was missed, as before. None of this speaks key points: it only
chooses among the recruiter's own follow-ups.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mockflow.format.model import Question
from mockflow.scoring.base import QuestionScore

_EXAMPLE_ASK = re.compile(
    r"^\s*(?:tell me about|describe|talk me through|walk me through a time|give me an example"
    r"|share an example|can you think of a time|think of a time)\b|\b(?:a time|an example"
    r"|a situation|an occasion)\b",
    re.IGNORECASE,
)


def point_states(question: Question, score: QuestionScore) -> tuple[frozenset[int],
                                                                     frozenset[int]]:
    """(covered, not covered) key point indexes, from a score's key point labels."""
    covered = frozenset(i for i, kp in enumerate(question.key_points)
                        if kp.label in score.covered)
    others = frozenset(range(len(question.key_points))) - covered
    return covered, others


def choose_follow_up(question: Question, score: QuestionScore,
                     asked: Sequence[int]) -> int | None:
    """Index of the follow-up to ask after this score, or None (see the module docstring)."""
    if not score.incomplete:
        return None
    covered, missing = point_states(question, score)
    for index, follow_up in enumerate(question.follow_ups):
        if index in asked:
            continue
        probed = question.probed(index)
        if not follow_up.probes:
            return index
        if probed and not (probed & covered) and probed & missing:
            return index
    return None


def framing(question: Question, competency_name: str) -> str:
    """A restatement of what kind of answer the question wants, without its key points
    (used when the question has no ``clarification`` of its own)."""
    topic = competency_name[:1].lower() + competency_name[1:]
    if _EXAMPLE_ASK.search(question.text):
        want = ("a real example from your own work: what the situation was, what you did"
                " yourself, and how it turned out")
    else:
        want = "how you would go about it, step by step, and why"
    return (f"Let me put it another way. This one is about {topic}, and I'd like to hear {want}."
            " There's no single right answer.")
