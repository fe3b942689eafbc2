"""Patience: a candidate who asks for time, and a long silence after a question.

A turn that only asks for time ("let me think", "give me a moment", "one sec":
``interview.thinking``) while a question is open is a request to wait, not an answer:
the interviewer says ``voice.turn.thinking_reply`` ("Take your time.", or nothing when it
is empty) without asking the model, the engine is not told (no move, the question's time
budget keeps running), and the candidate's next words are the answer. The words stay in
the history and the transcript (kind ``wait``), and the answer's start is kept from the
wait (``Listening.hold``).

A long silence while a question is open gets one gentle prompt
(``voice.turn.silence_prompt``, "Take your time. Would you like me to repeat the
question?") after ``silence_prompt_s`` seconds, or ``thinking_wait_s`` after a request
for time; once per question or follow-up. Then the interview's own time rules apply as
before (``live.timers``). A plain yes right after the prompt is a request to repeat the
question; a plain no ("no, I'm fine") is one more request for time.

Silence is measured on the session's clock from the moment both sides went quiet (the
interviewer's speech ended, or the candidate's), from LiveKit's ``agent_state_changed`` /
``user_state_changed`` events. Voice sessions only: the text console and simulations
have no silence to measure and are left alone.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from livekit.agents import llm
from livekit.agents.voice import SpeechHandle

from mockflow.interview.records import QuestionRecord
from mockflow.interview.requests import is_yes
from mockflow.interview.thinking import asks_for_time
from mockflow.live.timers import stop_task
from mockflow.live.turn_taking import voice_running

if TYPE_CHECKING:
    from mockflow.live.agent import InterviewerAgent

logger = logging.getLogger("mockflow.live.agent")
POLL_S = 0.2  # how often the silence is checked (real seconds)
_DECLINE = re.compile(
    r"^(?:(?:no|nope|not yet|no need|no thanks|no thank you|i'?m (?:fine|good|ok|okay)|"
    r"that'?s (?:fine|ok|okay)|thanks|thank you|it'?s (?:fine|ok|okay))\s*)+$")


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower().replace("’", "'")).split())


class Patience:
    """One session's waits and silence prompt."""

    def __init__(self, agent: InterviewerAgent) -> None:
        self._agent = agent
        self.waiting = False  # the candidate asked for time and hasn't spoken since
        self.quiet_since: float | None = None  # session clock: both sides quiet since
        self._prompted: set[tuple[int, int]] = set()  # (question, prompts) prompted for
        self._turns = 0  # the candidate's audio turns completed
        self._offered_at: int | None = None  # ``_turns`` when the prompt was said
        self._replies: dict[str, SpeechHandle] = {}  # "take your time" replies in flight
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        """A voice session that is running (audio in, an STT)."""
        return voice_running(self._agent)

    def _open(self) -> QuestionRecord | None:
        engine = self._agent.engine
        return None if engine.confirming_stop or engine.ended else engine.current

    def _offered(self) -> bool:
        """The turn being read is the first one after the silence prompt."""
        return self._offered_at is not None and self._turns - self._offered_at <= 1

    # ------------------------------------------------------------------ reading a turn

    def is_wait(self, text: str) -> bool:
        """The turn only asks for time while a question is open (or declines the offer
        to repeat it): no reply from the model, no move."""
        if not self.enabled or self._open() is None:
            return False
        return asks_for_time(text) or (self._offered() and bool(_DECLINE.match(_plain(text))))

    def accepts_repeat(self, text: str) -> bool:
        """A plain yes to the silence prompt's offer to repeat the question."""
        return (self.enabled and self._open() is not None and self._offered()
                and len(_plain(text).split()) <= 6 and is_yes(text))

    def turn_completed(self, text: str) -> None:
        """The candidate's audio turn ended (LiveKit's ``on_user_turn_completed``)."""
        if self.is_wait(text):
            self.waiting = True
            self._agent.stats.waits += 1
        self._turns += 1

    def reply_to_wait(self, speech: SpeechHandle | None) -> str:
        """What to say to a request for time (may be empty), noting the reply."""
        text = self._agent.compiled.interview.voice.turn.thinking_reply
        if text and speech is not None:
            self._replies[speech.id] = speech
        return text

    def said(self, item: llm.ChatMessage) -> bool:
        """Whether a history item is a reply to a request for time (LiveKit links the
        item to its speech just after adding it: ask then). Each is found once."""
        for key, handle in list(self._replies.items()):
            if item in handle.chat_items:
                del self._replies[key]
                return True
            if handle.done() and not handle.chat_items:  # a draft that was never said
                del self._replies[key]
        return False

    # ------------------------------------------------------------------ LiveKit's events

    def user_state(self, state: str) -> None:
        """``speaking`` ends the silence; ``listening`` starts one (``away``, LiveKit's
        own long-silence state, changes nothing: the silence began before it)."""
        if state == "speaking":
            self.waiting = False
            self.quiet_since = None
        elif self.quiet_since is None and self._agent.session.agent_state != "speaking":
            self.quiet_since = self._agent.clock()

    def agent_state(self, state: str) -> None:
        if state == "speaking":
            self.quiet_since = None
        elif state == "listening" and self._agent.session.user_state != "speaking":
            if self.quiet_since is None:
                self.quiet_since = self._agent.clock()

    # ------------------------------------------------------------------ the silence

    def start(self) -> None:
        if self.enabled and self._agent.compiled.interview.voice.turn.silence_prompt_s > 0:
            self._task = asyncio.create_task(self._loop(), name="mockflow-patience")

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None

    async def _loop(self) -> None:
        while not self._agent.engine.ended:
            await asyncio.sleep(POLL_S)
            try:
                self.check()
            except Exception:
                logger.exception("mockflow: the silence check failed")

    def check(self) -> bool:
        """Say the silence prompt if the silence has lasted long enough (once per
        question or follow-up). Whether it was said."""
        agent = self._agent
        session = agent.session
        current = self._open()
        if (current is None or self.quiet_since is None or agent.in_flight
                or session.agent_state != "listening" or session.user_state == "speaking"):
            return False
        turn = agent.compiled.interview.voice.turn
        if turn.silence_prompt_s <= 0:
            return False
        limit = turn.thinking_wait_s if self.waiting else turn.silence_prompt_s
        key = (current.number, len(current.prompts))
        if key in self._prompted or agent.clock() - self.quiet_since < limit:
            return False
        self._prompted.add(key)
        self._offered_at = self._turns
        self.waiting = False
        agent.stats.silence_prompts += 1
        agent.say_own(turn.silence_prompt, kind="silence_prompt")
        return True
