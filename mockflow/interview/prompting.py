"""The per-turn message the interviewer model receives, and what a competent model does
with it (plain Python, no livekit).

Each candidate turn, the agent appends one system message to the model's context: the
engine's NEXT MOVE directive, the suggested wording, and the question currently open.
``competent_reply`` is the reference policy for that contract — speak the move, or call
``candidate_request`` when the candidate asked for something — used by the offline
interviewer, the tests' scripted model and the benchmarks, so all three behave alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

MOVE_HEADER = "[mockflow] "
_SUGGESTED = "Suggested wording: "
_CURRENT = "Question on the table: "


ACK_SPOKEN = ("A short acknowledgement of the candidate's answer has already been spoken for"
              " you. Don't acknowledge, thank or comment on the answer again: start"
              " directly with the next move.")


def move_message(directive: str, speech: str, current_question: str | None, *,
                 ack_spoken: bool = False) -> str:
    """The system message that carries one proposed move to the model.

    ``ack_spoken``: the acknowledgement was already said (the voice path's instant
    acknowledgement); ``directive`` and ``speech`` are then the moves without it.
    """
    lines = [MOVE_HEADER + directive, f"{_SUGGESTED}{json.dumps(speech, ensure_ascii=False)}"]
    if ack_spoken:
        lines.append(ACK_SPOKEN)
    if current_question:
        lines.append(f"{_CURRENT}{json.dumps(current_question, ensure_ascii=False)}")
    lines.append(
        "If the candidate's last message asks to repeat, clarify, get a hint, skip or stop,"
        " call candidate_request instead of speaking."
    )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class MoveMessage:
    directive: str
    speech: str
    current_question: str | None


def parse_move_message(text: str) -> MoveMessage | None:
    if not text.startswith(MOVE_HEADER):
        return None
    directive, speech, current = "", "", None
    for line in text.splitlines():
        if line.startswith(MOVE_HEADER):
            directive = line[len(MOVE_HEADER):]
        elif line.startswith(_SUGGESTED):
            speech = json.loads(line[len(_SUGGESTED):])
        elif line.startswith(_CURRENT):
            current = json.loads(line[len(_CURRENT):])
    return MoveMessage(directive, speech, current)


# ------------------------------------------------------------------ candidate requests

_SLASH = {"/repeat": "repeat", "/hint": "hint", "/skip": "skip", "/quit": "stop",
          "/stop": "stop", "/clarify": "clarify"}
_INTENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("stop", re.compile(
        r"\b(stop the interview|end the interview|end this interview|i('d| would) like to stop"
        r"|i want to stop|can we stop|let'?s stop( here)?|i('m| am) done|i have to (go|leave)"
        r"|i need to (go|leave)|quit)\b")),
    ("skip", re.compile(
        r"^(skip|pass)\W*(please)?\W*$|\b(skip (this|that|it|the question)|pass on (this|that)"
        r"|(go|move) on to the next question|next question,? please|can we move on"
        r"|let'?s move on)\b")),
    ("hint", re.compile(r"\b(a hint|any hints?|hint,? please|^hint|a clue|give me a pointer)\b")),
    ("repeat", re.compile(
        r"\b(repeat|say (that|it) again|come again|pardon|didn'?t (catch|hear)|one more time"
        r"|what was the question)\b")),
    ("clarify", re.compile(
        r"\b(what do you mean|clarify|what does (that|it|this) mean|not sure what you('re| are)"
        r" asking|rephrase|what are you asking)\b")),
)
MAX_REQUEST_WORDS = 14


def detect_request(text: str) -> str | None:
    """The request a short candidate message makes, if any (English phrasing)."""
    cleaned = " ".join(text.lower().split())
    if not cleaned:
        return None
    first = cleaned.split()[0]
    if first in _SLASH:
        return _SLASH[first]
    if len(cleaned.split()) > MAX_REQUEST_WORDS:
        return None  # a long message is an answer, even if it says "skip" somewhere
    for kind, pattern in _INTENTS:
        if pattern.search(cleaned):
            return kind
    return None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the model does this turn: speak ``text``, or call ``tool`` with ``arguments``."""

    text: str = ""
    tool: str | None = None
    arguments: str = "{}"


APOLOGY = "Sorry, I had a problem on my side."


def competent_reply(messages: Sequence[tuple[str, str]]) -> Decision:
    """The reference interviewer policy over (role, text) messages, newest last.

    Roles: system, user, assistant, tool (a tool result; text starts with 'error:' on
    failure).
    """
    move: MoveMessage | None = None
    for role, text in reversed(messages):
        if role == "system":
            move = parse_move_message(text)
            if move is not None:
                break
    last_role, last_text = messages[-1] if messages else ("", "")
    if last_role == "tool":
        # A tool failed or needs a reply: apologise and put the question back.
        again = move.current_question if move and move.current_question else ""
        return Decision(text=f"{APOLOGY} {again}".strip())
    user_text = next((t for r, t in reversed(messages) if r == "user"), "")
    kind = detect_request(user_text)
    if kind is not None:
        arguments: dict[str, str] = {"kind": kind}
        if kind == "clarify":
            current = move.current_question if move else None
            arguments["say"] = (f"I'm asking: {current}" if current
                                else "Let me put it another way.")
        return Decision(tool="candidate_request", arguments=json.dumps(arguments))
    if move is None:
        return Decision(text="Could you say a bit more about that?")
    return Decision(text=move.speech)
