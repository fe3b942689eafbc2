"""The per-turn move message and the reference interviewer policy."""

from __future__ import annotations

import json

import pytest

from mockflow.interview.prompting import (
    APOLOGY,
    competent_reply,
    detect_request,
    move_message,
    parse_move_message,
)


def test_move_message_round_trip() -> None:
    text = move_message("NEXT MOVE: ask question 2", 'Next question: "Why?"', "Why?")
    parsed = parse_move_message(text)
    assert parsed is not None
    assert (parsed.directive, parsed.speech, parsed.current_question) == (
        "NEXT MOVE: ask question 2", 'Next question: "Why?"', "Why?")
    assert parse_move_message("You are Alex.") is None


def test_move_message_offers_the_clarification_wording() -> None:
    text = move_message("NEXT MOVE: ask", "Why?", "Why?", clarification="I mean: in production.")
    assert 'Clarification wording, if they ask what it means: "I mean: in production."' in text
    assert "Clarification" not in move_message("NEXT MOVE: ask", "Why?", "Why?")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("/hint", "hint"), ("/repeat please", "repeat"), ("/quit", "stop"), ("/skip", "skip"),
        ("Could you repeat the question?", "repeat"), ("Sorry, I didn't catch that", "repeat"),
        ("Can I get a hint?", "hint"), ("Can we skip this one?", "skip"),
        ("I'd like to stop the interview now.", "stop"),
        ("What do you mean by consistency here?", "clarify"),
        ("I'd use a cache with a short expiry and purge on writes.", None),
        ("I would skip the cache entirely and put an index on the column, because the reads"
         " are cheap and the writes are frequent enough that invalidation costs more", None),
        ("", None),
    ],
)
def test_detect_request(text: str, kind: str | None) -> None:
    assert detect_request(text) == kind


def test_competent_reply_speaks_the_move_or_calls_the_tool() -> None:
    move = move_message("NEXT MOVE: ask", "Next question: why?", "Why?")
    speak = competent_reply([("system", "You are Alex."), ("user", "My answer."),
                             ("system", move)])
    assert speak.text == "Next question: why?" and speak.tool is None
    hint = competent_reply([("user", "Can I have a hint?"), ("system", move)])
    assert hint.tool == "candidate_request" and json.loads(hint.arguments) == {"kind": "hint"}
    clarify = competent_reply([("user", "What do you mean?"), ("system", move)])
    assert json.loads(clarify.arguments) == {"kind": "clarify"}  # the engine's own words
    asked = competent_reply([("user", "Thanks. Before I go on, how big is the team?"),
                             ("system", move)])
    assert json.loads(asked.arguments) == {"kind": "question",
                                           "question": "Before I go on, how big is the team?"}
    mention = competent_reply([("user", "I would quit the process and restart it."),
                               ("system", move)])
    assert mention.tool is None and mention.text == "Next question: why?"
    failed = competent_reply([("user", "x"), ("system", move), ("tool", "error: bad")])
    assert failed.text == f"{APOLOGY} Why?"


@pytest.mark.parametrize(
    "text",
    [
        "I mostly fix bugs in whatever service people point me at.",
        "I'd leave it and move on.",
        "We skip breaks until it's cleared.",
        "The clue was in the logs.",
    ],
)
def test_short_answers_are_not_requests(text: str) -> None:
    assert detect_request(text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [("skip", "skip"), ("Pass, please.", "skip"), ("Let's move on.", "skip"),
     ("Hint please", "hint"), ("Do you have any hints?", "hint")],
)
def test_terse_requests(text: str, kind: str) -> None:
    assert detect_request(text) == kind
