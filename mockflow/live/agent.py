"""The interviewer: a LiveKit ``Agent`` that conducts the interview by driving the engine.

One delivered LLM request per candidate turn. The per-turn logic lives in ``llm_node``,
which both the audio path and the text paths (``session.run``, ``generate_reply``) pass
through: it asks the engine for the move this turn calls for (``propose``, pure) and hands
it to the model as one system message. The model speaks it, or calls ``candidate_request``
when the candidate asked for something. The engine commits a move only when the reply
that carries it is delivered — LiveKit drafts replies from partial transcripts on the
audio path and throws most of them away; a discarded draft commits nothing.

This module keeps the agent's lifecycle, ``llm_node`` and that draft-to-commit
bookkeeping (``_Reply``, one per reply in flight). Its collaborators, one concept each,
as LiveKit splits its own session (agent_session / agent_activity / generation /
audio_recognition):

- ``listening``: the candidate's open turn (when it began, what has been heard);
- ``acknowledgements``: the instant acknowledgement said while the model phrases a move;
- ``transcript``: every turn into ``transcript.jsonl``, in order;
- ``timers``: time moves (a nudge at the next pause, a move-on that keeps every word);
- ``turn_taking``: endpointing that follows the interview's phase, and the open
  question's keyterms for the STT;
- ``patience``: a candidate who asks for time, and one gentle prompt after a long silence;
- ``closing``: the shutdown and the results written when the session closes;
- ``tools``: ``candidate_request`` and the file's HTTP actions;
- ``speech_context``: which reply a running ``llm_node`` or tool belongs to.

Build one with ``mockflow.live.session`` (``prepare_interview`` / ``start_interview``),
which makes the engine, its clock, the candidate, the recorder and the judge together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from livekit.agents import (
    Agent,
    AgentStateChangedEvent,
    ConversationItemAddedEvent,
    ErrorEvent,
    ModelSettings,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
    llm,
)
from livekit.agents.types import FlushSentinel
from livekit.agents.voice import SpeechHandle

from mockflow.format.compile import CompiledInterview
from mockflow.format.templates import Candidate
from mockflow.interview.engine import InterviewEngine, Proposal, StaleProposal
from mockflow.interview.prompting import APOLOGY, GIVE_UP, RESTART, move_message
from mockflow.interview.records import CandidateTurn
from mockflow.interview.render import instructions
from mockflow.live.acknowledgements import InstantAcks, words
from mockflow.live.closing import Closing
from mockflow.live.listening import Listening
from mockflow.live.model_chain import ModelChain, ModelHealth, describe
from mockflow.live.offline_llm import OfflineInterviewerLLM
from mockflow.live.patience import Patience
from mockflow.live.speech_context import speech_context
from mockflow.live.stats import AgentStats
from mockflow.live.timers import TurnTimer
from mockflow.live.tools import InterviewTools
from mockflow.live.transcript import QuestionRef, TranscriptRecording, question_after
from mockflow.live.turn_taking import TurnTaking
from mockflow.results.files import SessionRecorder

if TYPE_CHECKING:
    from mockflow.live.session import SessionParts
    from mockflow.results.judging import SessionJudge

logger = logging.getLogger("mockflow.live.agent")
MAX_FAILED_TURNS = 3  # failed turns in a row before the interview ends politely


def _says_something(chunk: object) -> bool:
    if isinstance(chunk, str):
        return bool(chunk.strip())
    if isinstance(chunk, llm.ChatChunk) and chunk.delta is not None:
        return bool((chunk.delta.content or "").strip() or chunk.delta.tool_calls)
    return False


@dataclass(slots=True)
class _Reply:
    """One reply in flight: the turn it answers and the move proposed for it."""

    turn: CandidateTurn
    proposal: Proposal
    ack_spoken: bool = False  # its acknowledgement is (to be) said at once, not by the model
    request_taken: bool = False
    failed: bool = False  # the model's tool call failed; an apology went out instead
    speech: SpeechHandle | None = None
    started: float | None = None  # session clock when the reply was drafted


class InterviewerAgent(Agent):
    """The interviewer for one session. Create one per session; it drives ``engine``."""

    def __init__(
        self,
        parts: SessionParts,
        *,
        tick_interval: float = 1.0,
        on_finished: Callable[[InterviewerAgent], None] | None = None,
    ) -> None:
        """``parts``: the session's engine, clock, candidate, recorder and judge, built to
        agree by ``mockflow.live.session.prepare_interview`` (use that, or
        ``start_interview``). ``tick_interval``: seconds between the timer's checks.
        ``on_finished``: called once the final results are written. Raises
        ``LiveKitIncompatible`` when the installed LiveKit lacks what the agent needs."""
        self._speech_var = speech_context()
        self.parts = parts
        self.engine: InterviewEngine = parts.engine
        self.compiled: CompiledInterview = parts.compiled
        self.clock = parts.clock
        self.candidate: Candidate = parts.candidate
        self.recorder: SessionRecorder | None = parts.recorder
        self.judging: SessionJudge | None = parts.judging
        self.warnings = list(parts.warnings)
        self.stats = AgentStats()
        self.model_health = ModelHealth()
        self._replies: dict[str, _Reply] = {}
        self._failed_turns = 0  # failed turns in a row (nothing said but an apology)
        self._offline = OfflineInterviewerLLM()  # the engine's words when a reply breaks off
        self.listening = Listening(self.clock)
        self.transcript = TranscriptRecording(self.recorder, self.engine, self.listening)
        self.acks = InstantAcks(self)
        self.timer = TurnTimer(self, tick_interval)
        self.turn_taking = TurnTaking(self)
        self.patience = Patience(self)
        self.closing = Closing(self, on_finished)
        self.tool_handlers = InterviewTools(self)
        super().__init__(instructions=instructions(self.compiled, self.candidate),
                         tools=self.tool_handlers.function_tools())

    # ------------------------------------------------------------------ lifecycle

    async def on_enter(self) -> None:
        session = self.session
        self.closing.session = session
        if isinstance(session.llm, ModelChain):
            self.model_health = session.llm.health
        session.on("conversation_item_added", self._on_item_added)
        session.on("user_input_transcribed", self._on_transcribed)
        session.on("user_state_changed", self._on_user_state)
        session.on("agent_state_changed", self._on_agent_state)
        session.on("error", self._on_error)
        session.on("close", self.closing.on_close)
        if self.recorder is not None:
            self.recorder.mark_start(self.clock())  # second 0 of the transcript
        proposal = self.engine.start()
        self.stats.commits += 1
        self.turn_taking.start()
        self.speak(proposal)
        self.timer.start()
        self.patience.start()

    async def on_exit(self) -> None:
        await self.timer.stop()
        await self.patience.stop()

    # ------------------------------------------------------------------ for front ends

    @property
    def close_reason(self) -> str | None:
        """Why the session closed (``session.json``); a front end may set it first
        (the console's Ctrl-C, a worker that failed to start)."""
        return self.closing.reason

    @close_reason.setter
    def close_reason(self, reason: str | None) -> None:
        self.closing.reason = reason

    @property
    def tick_interval(self) -> float:
        return self.timer.interval

    @property
    def in_flight(self) -> bool:
        """A reply or an instant acknowledgement is on its way."""
        return bool(self._replies) or bool(self.acks.speaking)

    def turn_begins(self) -> None:
        """A front end without audio (the console, simulations) is ready for the
        candidate's next message: their turn's time starts now."""
        self.listening.begin()

    def hear(self, text: str, *, final: bool = True) -> None:
        """Live transcription from a front end without audio (simulated candidates): the
        words an STT would report while the candidate is still talking. A move-on for
        time keeps them as the answer, exactly as on the audio path."""
        self.listening.transcribed(text, final=final)

    def take_request(self, kind: str, say: str | None = None, question: str | None = None,
                     *, confirmed: bool = False, answer: str | None = None,
                     typed: str | None = None) -> Proposal:
        """Repeat, clarify, hint, skip, stop or a question to the interviewer: commit it
        and speak the engine's words.

        The request tool calls this; so do front ends with their own controls (the
        console's /hint, /skip, ...: ``typed`` is what the candidate typed, recorded as
        their turn, marked as a request). A stop is confirmed with the candidate first
        unless ``confirmed``. Raises ``RequestRejected`` when it doesn't apply.
        """
        return self.tool_handlers.take_request(kind, say, question, confirmed=confirmed,
                                               answer=answer, typed=typed)

    async def call_http(self, name: str, raw_arguments: dict[str, object]) -> str:
        """Run the file's HTTP action ``name`` as the model would."""
        return await self.tool_handlers.call_http(name, raw_arguments)

    async def finished(self) -> None:
        """Returns once the final results are written (judgements included)."""
        await self.closing.finished()

    def finish_results(self, *, error: object = None) -> None:
        """Final scorecard and session.json, close the transcript, queue the webhook.
        Once per session; later calls do nothing."""
        self.closing.finish_results(error=error)

    def write_results(self, *, error: object = None) -> None:
        """Scorecard and session summary; safe to call more than once (last wins)."""
        self.closing.write_results(error=error)

    # ------------------------------------------------------------------ the turn

    def current_speech(self) -> SpeechHandle | None:
        """The speech (reply) the running ``llm_node``, tool or TTS call belongs to.

        LiveKit keeps it in a context variable for the reply task; every draft has its
        own."""
        return self._speech_var.get(None)

    def current_reply(self) -> _Reply | None:
        """The reply in flight the running tool or ``llm_node`` belongs to."""
        speech = self.current_speech()
        return self._replies.get(speech.id) if speech is not None else None

    @property
    def replying(self) -> bool:
        """A reply to a candidate turn is in flight (drafted, not yet done)."""
        return bool(self._replies)

    def draft_for(self, turn_words: tuple[str, ...]) -> _Reply | None:
        """The newest reply drafted for a turn with these words (see ``words``)."""
        return next((r for r in reversed(self._replies.values())
                     if words(r.turn.text) == turn_words), None)

    async def llm_node(
        self,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        model_settings: ModelSettings,
    ) -> AsyncIterable[llm.ChatChunk | str | FlushSentinel]:
        speech = self.current_speech()
        last = chat_ctx.items[-1] if chat_ctx.items else None
        if isinstance(last, llm.FunctionCallOutput) and last.is_error:
            # A bad tool call: put the question back without another model round trip.
            # The move proposed for this turn was not delivered, so it is not committed.
            # (A service that fails is not a bad call: see tools.call_http.)
            self.stats.llm_failures += 1
            if speech is not None and speech.id in self._replies:
                self._replies[speech.id].failed = True
            yield self._apology()
            return
        reply: _Reply | None = None
        if isinstance(last, llm.ChatMessage) and last.role == "user":
            if self.engine.ended:
                return
            text = last.text_content or ""
            if self.patience.is_wait(text):
                # Only a request for time: no move, no model; at most "take your time".
                if say := self.patience.reply_to_wait(speech):
                    yield say
                return
            turn = CandidateTurn(text, started_at=self.listening.since, ended_at=self.clock())
            if self.patience.accepts_repeat(text):  # "yes" to the offer to repeat it
                proposal = self.engine.propose_request("repeat")
            else:
                proposal = self.engine.propose(turn)
            reply = _Reply(turn, proposal, speech=speech, started=self.clock(),
                           ack_spoken=self.acks.decision(speech, turn.text, proposal))
            self.stats.drafts += 1
            if speech is not None:
                self._replies[speech.id] = reply
                speech.add_done_callback(self._on_reply_done)
        elif speech is not None:
            reply = self._replies.get(speech.id)  # a tool step of the same reply
        ctx = chat_ctx
        if reply is not None:
            ctx = chat_ctx.copy()
            ctx.add_message(role="system", content=self._move_text(reply.proposal,
                                                                   reply.ack_spoken))
        spoke = False
        try:
            async for chunk in Agent.default.llm_node(self, ctx, tools, model_settings):
                spoke = spoke or _says_something(chunk)
                yield chunk
        except Exception as exc:  # LiveKit (and the whole model chain) gave up on this reply
            self.stats.llm_failures += 1
            if not isinstance(self.session.llm, ModelChain):
                self.model_health.failed(self._model_name(), describe(exc))
            logger.warning("mockflow: the interviewer model failed (%s)", describe(exc))
            if spoke:
                # The candidate heard part of a reply: finish it in the engine's words.
                async for chunk in self._scripted(ctx, tools):
                    yield chunk
                return
            yield self._failed_turn(reply)
            return
        if not spoke:  # an empty reply: the turn failed just the same
            self.stats.llm_failures += 1
            self.model_health.failed(self._model_name(), "the reply was empty")
            yield self._failed_turn(reply)
            return
        self._failed_turns = 0

    def _model_name(self) -> str:
        model = self.session.llm
        return f"{model.provider} {model.model}" if isinstance(model, llm.LLM) else "model"

    async def _scripted(self, ctx: llm.ChatContext,
                        tools: list[llm.Tool]) -> AsyncIterable[llm.ChatChunk | str]:
        """The rest of a reply that broke off, in the engine's own words."""
        self._failed_turns = 0
        self.model_health.scripted(self._offline.model)
        yield f" {RESTART} "
        async with self._offline.chat(chat_ctx=ctx, tools=tools) as stream:
            async for chunk in stream:
                yield chunk

    def _failed_turn(self, reply: _Reply | None) -> str:
        """What to say when a reply failed with nothing said: the apology and the question
        again, once per failed turn; after MAX_FAILED_TURNS in a row, a goodbye."""
        speech = self.current_speech()
        if reply is not None:
            reply.failed = True
        self._failed_turns += 1
        if self._failed_turns < MAX_FAILED_TURNS or speech is None:
            return self._apology()
        self.closing.give_up_after(speech)
        return GIVE_UP

    def _move_text(self, proposal: Proposal, ack_spoken: bool = False) -> str:
        current = self.engine.current
        question = current.prompts[0] if current is not None and current.prompts else None
        if ack_spoken:
            return move_message(proposal.body_directive, proposal.body_speech, question,
                                clarification=self.engine.clarification(), ack_spoken=True)
        return move_message(proposal.directive, proposal.speech, question,
                            clarification=self.engine.clarification())

    def _apology(self) -> str:
        current = self.engine.current
        if current is not None and current.prompts:
            return f"{APOLOGY} Let me ask again: {current.prompts[-1]}"
        return f"{APOLOGY} Could you say that again?"

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext,
                                     new_message: llm.ChatMessage) -> None:
        """The candidate's audio turn has ended: say the acknowledgement now, while the
        model phrases the move (voice path only; LiveKit calls this for audio turns)."""
        self.patience.turn_completed(new_message.text_content or "")
        await self.acks.turn_completed(new_message.text_content or "")

    def tts_node(self, text: AsyncIterable[str], model_settings: ModelSettings) -> Any:
        self.acks.synthesis_started(self.current_speech())
        return Agent.default.tts_node(self, text, model_settings)

    def _on_reply_done(self, speech: SpeechHandle) -> None:
        reply = self._replies.pop(speech.id, None)
        if reply is None:
            return
        delivered = any(
            isinstance(item, llm.ChatMessage) and item.role == "assistant"
            for item in speech.chat_items
        )
        if reply.request_taken:
            return  # the request tool committed its own move
        if not delivered or reply.failed:
            self.stats.discarded += 1
            return
        self.stats.delivered += 1
        self.commit(reply.proposal, reply.turn)
        if reply.proposal.ends:
            self.closing.after(speech)

    def commit(self, proposal: Proposal, turn: CandidateTurn | None = None) -> Proposal:
        """Commit a move that was delivered (a stale reply's move is proposed again)."""
        try:
            self.engine.commit(proposal)
        except StaleProposal:
            if turn is None:
                raise
            # The state moved while the reply was out (rare: a time move landed first).
            logger.warning("mockflow: a reply's move was stale; re-proposing")
            proposal = self.engine.propose(turn)
            self.engine.commit(proposal)
        self.stats.commits += 1
        return proposal

    # ------------------------------------------------------------------ speaking

    def speak(self, proposal: Proposal, *, cut_in: bool = False,
              request: str | None = None) -> SpeechHandle:
        """Say the engine's words (a committed move). ``cut_in``: speak now even if the
        candidate is still talking (a move-on for time), and don't let them talk over
        it."""
        handle = self.say_own(proposal.speech, kind="+".join(proposal.kinds), cut_in=cut_in,
                               question=question_after(proposal), request=request)
        if proposal.ends:
            self.closing.after(handle)
        return handle

    def say_own(self, text: str, *, kind: str, cut_in: bool = False,
                 question: QuestionRef = False, request: str | None = None) -> SpeechHandle:
        """Speak mockflow's own words (no model), recorded now, in order. ``question``:
        the question the words belong to (default: the open one)."""
        self.transcript.own_words(text, kind=kind, question=question, request=request)
        self.listening.interviewer_spoke()
        if cut_in:
            return self.session.say(text, allow_interruptions=False)
        return self.session.say(text)

    # ------------------------------------------------------------------ LiveKit's events

    def _on_item_added(self, ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if not isinstance(item, llm.ChatMessage):
            return
        if item.role == "user":
            text = item.text_content or ""
            if self.patience.is_wait(text):  # the answer's start stays the wait's
                self.transcript.candidate_turn(text, kind="wait", hold=True)
            elif self.patience.accepts_repeat(text):
                self.transcript.candidate_turn(text, kind="request")
            else:
                self.transcript.candidate_turn(text)
        elif item.role == "assistant":
            text = item.text_content or ""
            if self.acks.said(item):
                self.transcript.interviewer(text, kind="ack", interrupted=item.interrupted)
                return
            if self.transcript.is_own(text):
                return
            # LiveKit links the item to its reply right after this event: record it then,
            # with the question the reply's move leads to.
            try:
                asyncio.get_running_loop().call_soon(self._record_reply, item, self.clock())
            except RuntimeError:
                self._record_reply(item, self.clock())

    def _record_reply(self, item: llm.ChatMessage, ended: float) -> None:
        if self.patience.said(item):
            self.transcript.interviewer(item.text_content or "", kind="wait_reply",
                                        interrupted=item.interrupted, ended=ended)
            return
        reply = next((r for r in self._replies.values()
                      if r.speech is not None and item in r.speech.chat_items), None)
        question: QuestionRef = False
        if reply is not None and reply.proposal.state_after is not None:
            question = question_after(reply.proposal)
        self.transcript.interviewer(item.text_content or "", kind="reply",
                                    interrupted=item.interrupted, question=question,
                                    started=None if reply is None else reply.started,
                                    ended=ended)

    def _on_transcribed(self, ev: UserInputTranscribedEvent) -> None:
        self.listening.transcribed(ev.transcript, final=ev.is_final)
        if ev.is_final:
            self.turn_taking.heard(self.listening.partial)

    def _on_user_state(self, ev: UserStateChangedEvent) -> None:
        if ev.new_state == "speaking":
            self.acks.candidate_speaking()
            self.listening.speaking()
        self.patience.user_state(ev.new_state)

    def _on_agent_state(self, ev: AgentStateChangedEvent) -> None:
        self.patience.agent_state(ev.new_state)

    def _on_error(self, ev: ErrorEvent) -> None:
        """LiveKit reports model errors here. A recoverable one is retried by LiveKit and
        the reply may still come: say nothing. An unrecoverable one is the end of that
        reply; ``llm_node`` sees the same failure and finishes the turn (in the engine's
        words, or with one apology), so nothing is said here either."""
        error = ev.error
        if getattr(error, "type", None) != "llm_error" or getattr(error, "recoverable", True):
            return
        cause = getattr(error, "error", None)
        logger.info("mockflow: the model gave up on a reply: %s",
                    describe(cause) if isinstance(cause, BaseException) else cause)
