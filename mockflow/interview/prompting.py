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
from collections.abc import Sequence
from dataclasses import dataclass

from mockflow.format.tools import MAX_SAY_CHARS
from mockflow.interview.requests import Intent, read_message
from mockflow.interview.requests import detect_request as detect_request  # re-exported

MOVE_HEADER = "[mockflow] "
_SUGGESTED = "Suggested wording: "
_CURRENT = "Question on the table: "
_CLARIFICATION = "Clarification wording, if they ask what it means: "


ACK_SPOKEN = ("A short acknowledgement of the candidate's answer has already been spoken for"
              " you. Don't acknowledge, thank or comment on the answer again: start"
              " directly with the next move.")


def move_message(directive: str, speech: str, current_question: str | None,
                 clarification: str | None = None, *, ack_spoken: bool = False) -> str:
    """The system message that carries one proposed move to the model.

    ``ack_spoken``: the acknowledgement was already said (the voice path's instant
    acknowledgement); ``directive`` and ``speech`` are then the moves without it.
    """
    lines = [MOVE_HEADER + directive, f"{_SUGGESTED}{json.dumps(speech, ensure_ascii=False)}"]
    if ack_spoken:
        lines.append(ACK_SPOKEN)
    if current_question:
        lines.append(f"{_CURRENT}{json.dumps(current_question, ensure_ascii=False)}")
    if clarification:
        lines.append(f"{_CLARIFICATION}{json.dumps(clarification, ensure_ascii=False)}")
    lines.append(
        "Read the candidate's whole last message. If it asks you to repeat, clarify, give a"
        " hint, skip or stop, or asks you a question about the job, call candidate_request"
        " instead of speaking. An answer that only mentions such words is an answer."
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
# How a message reads (answer or request) is decided by mockflow.interview.requests.


@dataclass(frozen=True, slots=True)
class Decision:
    """What the model does this turn: speak ``text``, or call ``tool`` with ``arguments``."""

    text: str = ""
    tool: str | None = None
    arguments: str = "{}"


APOLOGY = "Sorry, I had a problem on my side."
RESTART = "Sorry, let me put that another way."  # a reply broke off; the engine's words follow
GIVE_UP = ("I'm sorry, I keep having technical problems on my side, so we'll have to stop"
           " here. Thank you for your time; the team will be in touch.")


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
    reading = read_message(user_text)
    if reading.intent is not None:
        arguments: dict[str, str] = {"kind": reading.intent.value}
        if reading.intent is Intent.QUESTION:
            arguments["question"] = reading.request[:MAX_SAY_CHARS]
        return Decision(tool="candidate_request", arguments=json.dumps(arguments))
    if move is None:
        return Decision(text="Could you say a bit more about that?")
    return Decision(text=move.speech)
