"""Instant acknowledgements on the voice path.

The moment LiveKit ends a candidate's audio turn (``on_user_turn_completed``), the
engine's acknowledgement of the answer ("Got it.", or the candidate's own words for a
point they made) is said through TTS while the model phrases the move; the move message
tells the model it was said. The decision is taken once per turn and shared by the
drafts of that turn (LiveKit drafts replies from partial transcripts), so the
acknowledgement is never said twice nor left out. Never for a turn that may be a request
(``voice.turn.instant_ack``; audio turns only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from livekit.agents import llm
from livekit.agents.voice import SpeechHandle

from mockflow.interview.engine import EngineError, Proposal
from mockflow.interview.prompting import detect_request
from mockflow.interview.records import CandidateTurn
from mockflow.interview.thinking import asks_for_time

if TYPE_CHECKING:
    from mockflow.live.agent import InterviewerAgent

logger = logging.getLogger("mockflow.live.agent")
ACK_HEAD_START = 0.1  # s: most the end of a turn waits for the acknowledgement's TTS to start
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> tuple[str, ...]:
    """A transcript's words, case and punctuation ignored (as LiveKit compares a draft's
    transcript with the final one)."""
    return tuple(_WORD.findall(text.casefold()))


def may_be_request(text: str) -> bool:
    """A turn that may ask for something rather than answer (a request, a request for
    time, or a question to the interviewer): it gets no instant acknowledgement, whatever
    the model decides."""
    return (detect_request(text) is not None or asks_for_time(text)
            or text.rstrip().endswith("?"))


@dataclass(frozen=True, slots=True)
class TurnAck:
    """The instant-acknowledgement decision for the candidate turn that just ended."""

    words: tuple[str, ...]  # the turn's words (case and punctuation ignored)
    spoken: bool


class InstantAcks:
    """One session's instant acknowledgements: the decision per turn, the ones being
    said, and their synthesis head start."""

    def __init__(self, agent: InterviewerAgent) -> None:
        self._agent = agent
        self.turn: TurnAck | None = None
        self.speaking: dict[str, SpeechHandle] = {}  # instant acknowledgements being said
        self._synthesis: dict[str, asyncio.Event] = {}  # set when its TTS starts

    def enabled(self) -> bool:
        session = self._agent.session
        return (self._agent.compiled.interview.voice.turn.instant_ack
                and session.tts is not None and session.output.audio is not None)

    def candidate_speaking(self) -> None:
        """A new turn begins: the last turn's decision no longer applies."""
        self.turn = None

    def decision(self, speech: SpeechHandle | None, text: str, proposal: Proposal) -> bool:
        """Whether this reply's acknowledgement is said at once (so the model must not say
        it). Audio turns only; the same answer for a draft and for the final turn it
        becomes, so a reply drafted early and delivered later matches what was said."""
        if speech is None or speech.input_details.modality != "audio" or \
                not self.enabled():
            return False
        turn_words = words(text)
        if self.turn is not None and self.turn.words == turn_words:
            return self.turn.spoken  # the turn has ended; this is its reply
        return proposal.ack is not None and not may_be_request(text)

    async def turn_completed(self, text: str) -> None:
        """The candidate's audio turn has ended: say the acknowledgement now, while the
        model phrases the move."""
        agent = self._agent
        self.turn = None
        if agent.engine.ended or not text.strip() or not self.enabled():
            return
        turn_words = words(text)
        draft = agent.draft_for(turn_words)
        if draft is not None:  # LiveKit will deliver this draft: keep its decision
            spoken, ack = draft.ack_spoken, draft.proposal.ack
        else:
            try:
                ack = agent.engine.propose(CandidateTurn(text)).ack
            except EngineError:  # the interview is ending: the reply handles it
                ack = None
            spoken = ack is not None and not may_be_request(text)
        self.turn = TurnAck(turn_words, spoken)
        if not spoken or ack is None:
            return
        try:
            handle = agent.session.say(ack.text)
        except RuntimeError:  # the session is closing; the reply won't come either
            logger.debug("mockflow: no acknowledgement, the session is closing")
            return
        self.speaking[handle.id] = handle
        started = self._synthesis[handle.id] = asyncio.Event()
        handle.add_done_callback(self._done)
        agent.stats.acks += 1
        # Let its synthesis start before LiveKit builds the model request for the reply
        # (tens of ms of CPU in the openai SDK on this same event loop), so that work
        # overlaps the TTS's time to first byte instead of delaying it. Bounded.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(started.wait(), ACK_HEAD_START)

    def synthesis_started(self, speech: SpeechHandle | None) -> None:
        """The TTS is starting on ``speech``: if it is an acknowledgement, note it."""
        if speech is not None and speech.id in self._synthesis:
            self._synthesis[speech.id].set()

    def said(self, item: llm.ChatMessage) -> bool:
        """Whether a history item is an acknowledgement being said."""
        return any(item in h.chat_items for h in self.speaking.values())

    def _done(self, handle: SpeechHandle) -> None:
        self.speaking.pop(handle.id, None)
        self._synthesis.pop(handle.id, None)
        heard = any(isinstance(i, llm.ChatMessage) and i.role == "assistant"
                    for i in handle.chat_items)
        if handle.interrupted or not heard:
            self._agent.stats.acks_cut += 1
