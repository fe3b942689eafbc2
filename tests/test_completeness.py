"""The words that tell a finished answer from a pause inside one
(``mockflow.interview.completeness``; the voice path that uses them:
tests/test_turn_taking.py)."""

from __future__ import annotations

import pytest

from mockflow.interview.completeness import (
    AnswerCheck,
    gives_up,
    hands_back,
    says_done,
    still_going,
    turn_handed_back,
)
from mockflow.scoring.matching import compile_points

NO_POINTS = AnswerCheck(())
TWO_POINTS = AnswerCheck(compile_points([["queue"], ["idempotent", "idempotency"]]))

HANDED_BACK = [
    "I'd cache it with a TTL, and that's it.",
    "So yeah.",
    "I think I covered that; nothing to add.",
    "I have nothing more to add.",
    "Nothing else from me.",
    "I don't have anything further.",
    "That's all I have.",
    "That's pretty much everything.",
    "I think that is it",
    "I'm done.",
    "I'll leave it there.",
    "We sharded by tenant. Does that make sense?",
    "We sharded by tenant. Does that answer your question?",
    "Is that what you were looking for?",
    "Want me to go deeper on any of that?",
    "Should I elaborate?",
    "Honestly, I don't know.",
    "Um, no idea, sorry.",
    "I've never used that.",
    "Could you repeat the question?",
    "Sorry, what do you mean by idempotent?",
    "Can I ask about the team?",
]
STILL_GOING = [
    "We put a queue in front of it, and",
    "I would put it behind the",
    "Partly because",
    "We retry, and then",
    "Use a bounded queue, such as",
    "We used Kafka...",
    "We used Kafka…",
    "So first I would, um,",
    "The first thing is consistency -",
    "That's it, and",
    "I don't know...",
]
NEITHER = [  # complete sentences that neither hand the turn back nor cover the points
    "I would do that.",
    "It depends on the load balancer.",
    "So yeah, first I would add a cache",
    "I'm not sure.",  # often the start of thinking aloud, not the end
    "I don't know exactly, but I would guess a cache",
    "I'm not sure it matters, we used Redis.",
    "Let me think.",  # a request for time: the interviewer waits (interview.thinking)
    "Give me a moment.",
    "That's what the queue is for.",
    "I'd restart it then.",
    "",
]


@pytest.mark.parametrize("text", HANDED_BACK)
def test_a_turn_handed_back_is_finished_with_or_without_key_points(text: str) -> None:
    assert turn_handed_back(text)
    assert NO_POINTS.finished(text) and TWO_POINTS.finished(text)


@pytest.mark.parametrize("text", STILL_GOING)
def test_words_that_end_open_are_never_finished(text: str) -> None:
    assert still_going(text)
    assert not NO_POINTS.finished(text)
    assert not TWO_POINTS.finished(f"A queue with idempotent consumers. {text}")


@pytest.mark.parametrize("text", NEITHER)
def test_other_complete_sentences_wait_for_the_key_points(text: str) -> None:
    assert not NO_POINTS.finished(text)
    assert not TWO_POINTS.finished(text)


def test_every_key_point_covered_is_finished_unless_it_ends_open() -> None:
    assert not TWO_POINTS.finished("I'd put a queue in front of it.")
    assert TWO_POINTS.finished("I'd put a queue in front of it with idempotent consumers.")
    assert not TWO_POINTS.finished("A queue with idempotent consumers, because")


def test_each_cue_only_reads_its_own_shape() -> None:
    assert says_done("and that's about it.") and not says_done("that's it because the")
    assert hands_back("Does that make sense?") and not hands_back("Does that make the cut")
    assert gives_up("I don't know.") and not gives_up("I don't know the exact number, "
                                                       "but about ten.")
    assert not turn_handed_back("We used a token bucket per tenant.")
