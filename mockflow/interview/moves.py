"""Moves: what the engine tells the interviewer to do next, as data.

Every move carries its structured fields, ``speech`` (the engine's own complete spoken
sentences, used verbatim by the offline interviewer and as request-tool results) and
``directive`` (a one-line instruction for an LLM interviewer). Moves never contain key
points, example answers or anchors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class MoveKind(StrEnum):
    GREET = "greet"
    ASK_QUESTION = "ask_question"
    ASK_FOLLOW_UP = "ask_follow_up"
    GIVE_HINT = "give_hint"
    CLARIFY = "clarify"
    REPEAT = "repeat"
    NUDGE = "nudge"
    MOVE_ON = "move_on"
    NEXT_STAGE = "next_stage"
    WRAP_UP = "wrap_up"
    END = "end"
    CONFIRM_STOP = "confirm_stop"  # "Do you want to end the interview here?"
    RESUME = "resume"  # the candidate didn't confirm a stop: the question again
    ANSWER_QUESTION = "answer_question"  # the candidate asked the interviewer something


class EndReason(StrEnum):
    """Why the questions stopped (the END move and the scorecard carry it)."""

    QUESTIONS_EXHAUSTED = "questions_exhausted"  # every planned question was asked
    TIME = "time"  # time ran out (a question didn't fit, or the total was reached)
    CANDIDATE_STOP = "candidate_stop"  # the candidate asked to stop


class MoveOnReason(StrEnum):
    TIME = "time"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Move:
    kind: MoveKind
    speech: str
    directive: str
    question_id: str | None = None
    text: str | None = None  # question / follow-up / hint / clarification text as spoken
    level: str | None = None
    stage_id: str | None = None
    stage_title: str | None = None
    number: int | None = None  # question number, 1-based
    total: int | None = None  # planned number of questions
    follow_up_index: int | None = None
    hint_index: int | None = None
    no_hints_left: bool = False
    reason: str | None = None  # END / WRAP_UP: an EndReason; MOVE_ON: a MoveOnReason
    seconds_left: int | None = None  # NUDGE

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "speech": self.speech,
                                "directive": self.directive}
        for name in ("question_id", "text", "level", "stage_id", "stage_title", "number",
                     "total", "follow_up_index", "hint_index", "reason", "seconds_left"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.no_hints_left:
            data["no_hints_left"] = True
        return data


# --------------------------------------------------------------------------- builders
# An answer's acknowledgement is not a move: the engine chooses it (``acknowledge``) and
# the proposal says it before the moves.


def time_phrase(seconds: float) -> str:
    """Spoken duration: 'about a minute', 'about half a minute', 'about 3 minutes'."""
    if seconds < 20:
        return "only a few seconds"
    if seconds < 45:
        return "about half a minute"
    if seconds < 90:
        return "about a minute"
    return f"about {round(seconds / 60)} minutes"


def greet(greeting: str) -> Move:
    return Move(MoveKind.GREET, greeting,
                f"NEXT MOVE: greet the candidate with exactly these words: {greeting}")


def ask_question(*, question_id: str, text: str, level: str, stage_id: str,
                 stage_title: str, number: int, total: int, first: bool) -> Move:
    label = "First question" if first else "Next question"
    return Move(
        MoveKind.ASK_QUESTION,
        f"{label}: {text}",
        f"NEXT MOVE: ask question {number} of {total} (stage '{stage_title}')"
        f" exactly as written, and nothing else: {text}",
        question_id=question_id, text=text, level=level, stage_id=stage_id,
        stage_title=stage_title, number=number, total=total,
    )


def ask_follow_up(*, question_id: str, text: str, index: int, level: str, stage_id: str,
                  stage_title: str, number: int, total: int) -> Move:
    return Move(
        MoveKind.ASK_FOLLOW_UP,
        f"A follow-up on that: {text}",
        f"NEXT MOVE: ask this follow-up exactly as written: {text}",
        question_id=question_id, text=text, level=level, stage_id=stage_id,
        stage_title=stage_title, number=number, total=total, follow_up_index=index,
    )


def give_hint(*, question_id: str, text: str, index: int | None, number: int) -> Move:
    """``index``: which of the question's hints (None: a follow-up's hint or a nudge)."""
    return Move(
        MoveKind.GIVE_HINT,
        f"Here's a hint: {text}",
        f"NEXT MOVE: give this hint word for word, then let the candidate continue: {text}",
        question_id=question_id, text=text, hint_index=index, number=number,
    )


NEUTRAL_NUDGE = ("I don't have a hint for this part. Take your time: start with what you'd"
                 " do first, and go from there.")


def neutral_nudge(*, question_id: str, number: int) -> Move:
    """A hint asked during a follow-up that has none of its own (never the question's)."""
    return Move(
        MoveKind.GIVE_HINT, NEUTRAL_NUDGE,
        "NEXT MOVE: say there's no hint for this part and encourage the candidate to start"
        " with what they would do first; give no hint of your own.",
        question_id=question_id, number=number,
    )


def no_hints_left(*, question_id: str, number: int) -> Move:
    return Move(
        MoveKind.GIVE_HINT,
        "I don't have any more hints for this one. Take your best shot, or say if you'd"
        " like to skip it.",
        "NEXT MOVE: say there are no more hints for this question and invite the candidate"
        " to try or to skip it; give no hint of your own.",
        question_id=question_id, number=number, no_hints_left=True,
    )


def clarify(text: str, *, question_id: str | None, number: int | None) -> Move:
    return Move(
        MoveKind.CLARIFY, text,
        f"NEXT MOVE: say this clarification, then let the candidate answer: {text}",
        question_id=question_id, text=text, number=number,
    )


def repeat(text: str, *, question_id: str | None, number: int | None) -> Move:
    what = "the question" if question_id is not None else "what you last said"
    return Move(
        MoveKind.REPEAT, f"Of course. {text}",
        f"NEXT MOVE: repeat {what} exactly as written: {text}",
        question_id=question_id, text=text, number=number,
    )


def nudge(*, question_id: str, number: int, seconds_left: float) -> Move:
    left = time_phrase(seconds_left)
    return Move(
        MoveKind.NUDGE,
        f"Just a heads-up: {left} left on this question.",
        f"NEXT MOVE: at the next pause, tell the candidate in one short sentence that there's"
        f" {left} left on this question; don't comment on the answer.",
        question_id=question_id, number=number, seconds_left=max(0, round(seconds_left)),
    )


def move_on(reason: MoveOnReason, *, question_id: str, number: int) -> Move:
    if reason is MoveOnReason.SKIP:
        speech = "No problem, let's skip that one."
        directive = "NEXT MOVE: say that's fine and you'll skip this question."
    else:
        speech = "Thank you, let's stop there so we keep to time."
        directive = ("NEXT MOVE: thank the candidate and say you'll stop this question there"
                     " to keep to time, without judging the answer.")
    return Move(MoveKind.MOVE_ON, speech, directive, question_id=question_id, number=number,
                reason=reason.value)


def next_stage(*, stage_id: str, stage_title: str) -> Move:
    return Move(
        MoveKind.NEXT_STAGE,
        f"Let's move on to the next part: {stage_title}.",
        "NEXT MOVE: say you're moving on to the next part of the interview,"
        f" '{stage_title}'.",
        stage_id=stage_id, stage_title=stage_title,
    )


def wrap_up(reason: EndReason) -> Move:
    if reason is EndReason.TIME:
        said = "That's all the time we have for questions."
        why = "that's all the time there is for questions"
    else:
        said = "That's all the questions I have for you."
        why = "that's all the questions"
    return Move(
        MoveKind.WRAP_UP,
        f"{said} Do you have any questions for me?",
        f"NEXT MOVE: say {why}, and ask whether the candidate has any"
        " questions for you.",
        reason=reason.value,
    )


PASS_ON = "Thanks for asking. I'll pass that on so the team can follow up."
CONFIRM_STOP_SPEECH = "Do you want to end the interview here?"


def confirm_stop(*, question_id: str | None, number: int | None) -> Move:
    return Move(
        MoveKind.CONFIRM_STOP, CONFIRM_STOP_SPEECH,
        "NEXT MOVE: the candidate may want to stop. Ask, in these words, and wait for the"
        f" answer: {CONFIRM_STOP_SPEECH}",
        question_id=question_id, number=number,
    )


def resume(prompt: str | None, *, question_id: str | None, number: int | None) -> Move:
    """The candidate didn't confirm a stop: carry on with the question on the table."""
    said = "No problem, let's carry on." + (f" {prompt}" if prompt else "")
    again = f" and put the question again: {prompt}" if prompt else ""
    return Move(MoveKind.RESUME, said,
                f"NEXT MOVE: say that's fine and you'll carry on{again}",
                question_id=question_id, text=prompt, number=number)


def answer_question(answer: str | None, prompt: str | None, *, question_id: str | None,
                    number: int | None, greeting: bool = False) -> Move:
    """Answer a candidate's question (a fact, or pass it on), then the question again
    (``greeting``: before question 1, ask whether to begin)."""
    said = answer if answer else PASS_ON
    back = f" Back to the question: {prompt}" if prompt else ""
    if greeting:
        prompt, back = "Shall we begin?", " Shall we begin?"
    fact = (f"answer the candidate's question with this fact: {answer}" if answer else
            "say you'll pass the candidate's question on so the team can follow up")
    then = f", then put the question again: {prompt}" if prompt else ""
    return Move(MoveKind.ANSWER_QUESTION, said + back, f"NEXT MOVE: {fact}{then}",
                question_id=question_id, text=prompt, number=number)


def wrap_up_reply(reason: EndReason, answer: str | None = None) -> Move:
    said = f"{answer}" if answer else PASS_ON
    return Move(
        MoveKind.WRAP_UP,
        f"{said} Is there anything else you'd like to ask?",
        "NEXT MOVE: answer the candidate's question in one or two sentences using only the"
        " facts you were given (if you don't know, say the team will follow up), then ask"
        " whether they have anything else.",
        reason=reason.value,
    )


def end(reason: EndReason, closing: str, *, stopped: bool, after_wrap_up: bool) -> Move:
    speech_lead, directive_lead = "", ""
    if stopped:
        speech_lead, directive_lead = ("Of course, we can stop here. ",
                                       "say that's fine and you'll stop here, then ")
    elif after_wrap_up:
        # Closings usually thank the candidate already; don't say thanks twice.
        speech_lead = "" if closing.lower().startswith("thank") else "Thanks for your questions. "
        directive_lead = ("answer the candidate's last question in a sentence from the facts"
                          " you were given if they asked one, then ")
    return Move(
        MoveKind.END,
        f"{speech_lead}{closing}",
        f"NEXT MOVE: {directive_lead}close the interview with these words and ask nothing"
        f" more: {closing}",
        reason=reason.value,
    )
