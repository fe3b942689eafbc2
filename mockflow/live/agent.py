"""The interviewer: a LiveKit ``Agent`` that conducts the interview by driving the engine.

One delivered LLM request per candidate turn. The per-turn logic lives in ``llm_node``,
which both the audio path and the text paths (``session.run``, ``generate_reply``) pass
through: it asks the engine for the move this turn calls for (``propose``, pure) and hands
it to the model as one system message. The model speaks it, or calls ``candidate_request``
when the candidate asked for something. The engine commits a move only when the reply
that carries it is delivered — LiveKit drafts replies from partial transcripts on the
audio path and throws most of them away; a discarded draft commits nothing.

On the voice path the engine's acknowledgement of an answer ("Got it.", or the candidate's
own words for a point they made) is said through TTS the moment LiveKit ends the turn
(``on_user_turn_completed``), while the model phrases the move; the move message tells the
model it was said. The decision is taken once per turn and shared by the drafts of that
turn, so the acknowledgement is never said twice nor left out (``voice.turn.instant_ack``).

Requests are answered with the engine's own words through ``session.say`` and a
``ToolResult(reply_required=False)``: no second LLM call. Time moves come from a
per-session timer; a nudge waits for the candidate's next pause, a move-on waits a grace
period for one, then ends the candidate's turn and keeps every word they said.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import Agent, AgentSession, ModelSettings, llm
from livekit.agents.llm import ToolError, ToolResult, function_tool
from livekit.agents.types import FlushSentinel
from livekit.agents.voice import SpeechHandle

from mockflow.format.checks import RESERVED_TOOL_NAMES
from mockflow.format.compile import CompiledInterview
from mockflow.format.templates import Candidate
from mockflow.format.tools import CANDIDATE_REQUEST, argument_errors, http_tool_schema
from mockflow.interview.engine import (
    EngineError,
    InterviewEngine,
    Proposal,
    RequestRejected,
    StaleProposal,
)
from mockflow.interview.moves import MoveKind
from mockflow.interview.prompting import (
    APOLOGY,
    GIVE_UP,
    RESTART,
    detect_request,
    move_message,
)
from mockflow.interview.records import CandidateTurn, QuestionRecord, score_record
from mockflow.interview.render import instructions
from mockflow.interview.requests import answer_part
from mockflow.live.history import history_items
from mockflow.live.http_tools import HttpToolError, call_http_tool
from mockflow.live.judging import SessionJudge
from mockflow.live.model_chain import ModelChain, ModelHealth, describe, session_options
from mockflow.live.offline_llm import OfflineInterviewerLLM
from mockflow.results.durable import ResultsError
from mockflow.results.files import SessionRecorder
from mockflow.results.notify.events import queue_event
from mockflow.results.session_record import SessionInfo, session_status

logger = logging.getLogger("mockflow.live.agent")
MAX_FAILED_TURNS = 3  # failed turns in a row before the interview ends politely


def _says_something(chunk: object) -> bool:
    if isinstance(chunk, str):
        return bool(chunk.strip())
    if isinstance(chunk, llm.ChatChunk) and chunk.delta is not None:
        return bool((chunk.delta.content or "").strip() or chunk.delta.tool_calls)
    return False
ACK_HEAD_START = 0.1  # s: most the end of a turn waits for the acknowledgement's TTS to start
_WORD = re.compile(r"[^\W_]+")

assert CANDIDATE_REQUEST["name"] in RESERVED_TOOL_NAMES


def _current_speech() -> SpeechHandle | None:
    """The speech (reply) the running ``llm_node`` or tool belongs to.

    LiveKit keeps it in a context variable for the reply task; every draft has its own.
    """
    try:
        from livekit.agents.voice.agent_activity import _SpeechHandleContextVar
    except ImportError:  # pragma: no cover - guarded by the pinned livekit version
        return None
    return _SpeechHandleContextVar.get(None)


def _question_after(proposal: Proposal) -> QuestionRecord | None | bool:
    """The question a move's words belong to: the one open after the move (``False``:
    the move changes nothing, so the open one)."""
    state = proposal.state_after
    return False if state is None else state.open


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


@dataclass(frozen=True, slots=True)
class _TurnAck:
    """The instant-acknowledgement decision for the candidate turn that just ended."""

    words: tuple[str, ...]  # the turn's words (case and punctuation ignored)
    spoken: bool


@dataclass(slots=True)
class AgentStats:
    """What happened, for tests and benchmarks (no candidate text here)."""

    drafts: int = 0  # llm_node runs for a candidate turn (delivered or not)
    delivered: int = 0  # replies delivered that carried a proposed move
    discarded: int = 0  # replies (drafts) that ended without being delivered
    commits: int = 0  # engine commits of any kind
    requests: dict[str, int] = field(default_factory=dict)
    llm_failures: int = 0
    time_moves: int = 0
    acks: int = 0  # instant acknowledgements started (voice path)
    acks_cut: int = 0  # ... of which interrupted or never heard
    ack_then_request: int = 0  # the model took a turn as a request after it was acknowledged


class InterviewerAgent(Agent):
    """The interviewer for one session. Create one per session; it owns the engine."""

    def __init__(
        self,
        compiled: CompiledInterview,
        *,
        engine: InterviewEngine,
        candidate: Candidate | None = None,
        recorder: SessionRecorder | None = None,
        tick_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        on_finished: Callable[[InterviewerAgent], None] | None = None,
        judging: SessionJudge | None = None,
        warnings: Sequence[str] = (),
    ) -> None:
        """``clock`` must be the engine's clock (turn timestamps are read from it).
        ``judging`` (attached to ``engine``) judges closed questions in the background;
        at the close the scorecard waits for it, within its bound. ``warnings`` go to
        ``session.json`` (e.g. a candidate name cut to the limit)."""
        self.warnings = list(warnings)
        self.clock = clock
        self.compiled = compiled
        self.engine = engine
        self.candidate = candidate or Candidate()
        self.recorder = recorder
        self.judging = judging
        self._finishing: asyncio.Task[None] | None = None
        self.stats = AgentStats()
        self.tick_interval = tick_interval
        self.close_reason: str | None = None
        self._on_finished = on_finished
        self._replies: dict[str, _Reply] = {}
        self._said: list[str] = []  # engine speech already recorded, awaiting its item
        self._heard: list[str] = []  # final STT segments of the candidate's current turn
        self._interim = ""  # the latest interim transcript after them
        self._speaking_since: float | None = None
        self._timer: asyncio.Task[None] | None = None
        self._turn_ack: _TurnAck | None = None
        self._acks: dict[str, SpeechHandle] = {}  # instant acknowledgements being said
        self._ack_synthesis: dict[str, asyncio.Event] = {}  # set when its TTS starts
        self._closing = False
        self._results_written = False
        self._write_failure_logged = False
        self._session_ref: AgentSession[Any] | None = None
        self._waiting_since = False  # _speaking_since is when a front end began waiting
        self._failed_turns = 0  # failed turns in a row (nothing said but an apology)
        self._offline = OfflineInterviewerLLM()  # the engine's words when a reply breaks off
        self.model_health = ModelHealth()
        tools: list[llm.Tool | llm.Toolset] = [
            function_tool(self._candidate_request, raw_schema=CANDIDATE_REQUEST)
        ]
        for tool in compiled.interview.tools:
            tools.append(function_tool(
                self._http_handler(tool.name),
                raw_schema=http_tool_schema(tool.name, tool.description, tool.parameters),
            ))
        super().__init__(instructions=instructions(compiled, self.candidate), tools=tools)

    # ------------------------------------------------------------------ lifecycle

    async def on_enter(self) -> None:
        session = self.session
        self._session_ref = session
        if isinstance(session.llm, ModelChain):
            self.model_health = session.llm.health
        session.on("conversation_item_added", self._on_item_added)
        session.on("user_input_transcribed", self._on_transcribed)
        session.on("user_state_changed", self._on_user_state)
        session.on("error", self._on_error)
        session.on("close", self._on_close)
        if self.recorder is not None:
            self.recorder.mark_start(self.clock())  # second 0 of the transcript
        proposal = self.engine.start()
        self.stats.commits += 1
        self._speak(proposal)
        self._timer = asyncio.create_task(self._tick_loop(), name="mockflow-timer")

    async def on_exit(self) -> None:
        await self._stop_timer()

    async def _stop_timer(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        self._timer = None

    # ------------------------------------------------------------------ the turn

    async def llm_node(
        self,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        model_settings: ModelSettings,
    ) -> AsyncIterable[llm.ChatChunk | str | FlushSentinel]:
        speech = _current_speech()
        last = chat_ctx.items[-1] if chat_ctx.items else None
        if isinstance(last, llm.FunctionCallOutput) and last.is_error:
            # A bad tool call: put the question back without another model round trip.
            # The move proposed for this turn was not delivered, so it is not committed.
            # (A service that fails is not a bad call: see call_http.)
            self.stats.llm_failures += 1
            if speech is not None and speech.id in self._replies:
                self._replies[speech.id].failed = True
            yield self._apology()
            return
        reply: _Reply | None = None
        if isinstance(last, llm.ChatMessage) and last.role == "user":
            if self.engine.ended:
                return
            turn = CandidateTurn(last.text_content or "", started_at=self._speaking_since,
                                 ended_at=self.clock())
            proposal = self.engine.propose(turn)
            reply = _Reply(turn, proposal, speech=speech, started=self.clock(),
                           ack_spoken=self._ack_decision(speech, turn.text, proposal))
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
        speech = _current_speech()
        if reply is not None:
            reply.failed = True
        self._failed_turns += 1
        if self._failed_turns < MAX_FAILED_TURNS or speech is None:
            return self._apology()
        self.close_reason = "model_unavailable"
        self._closing = True

        def done(_: SpeechHandle) -> None:
            self.session.shutdown(drain=True)

        speech.add_done_callback(done)
        return GIVE_UP

    def _move_text(self, proposal: Proposal, ack_spoken: bool = False) -> str:
        current = self.engine.current
        question = current.prompts[0] if current is not None and current.prompts else None
        if ack_spoken:
            return move_message(proposal.body_directive, proposal.body_speech, question,
                                clarification=self.engine.clarification(), ack_spoken=True)
        return move_message(proposal.directive, proposal.speech, question,
                            clarification=self.engine.clarification())

    # ------------------------------------------------------------------ instant acknowledgement

    def _instant_ack_enabled(self) -> bool:
        session = self.session
        return (self.compiled.interview.voice.turn.instant_ack and session.tts is not None
                and session.output.audio is not None)

    def _ack_decision(self, speech: SpeechHandle | None, text: str, proposal: Proposal) -> bool:
        """Whether this reply's acknowledgement is said at once (so the model must not say
        it). Audio turns only; the same answer for a draft and for the final turn it
        becomes, so a reply drafted early and delivered later matches what was said."""
        if speech is None or speech.input_details.modality != "audio" or \
                not self._instant_ack_enabled():
            return False
        words = _words(text)
        if self._turn_ack is not None and self._turn_ack.words == words:
            return self._turn_ack.spoken  # the turn has ended; this is its reply
        return proposal.ack is not None and not _may_be_request(text)

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext,
                                     new_message: llm.ChatMessage) -> None:
        """The candidate's audio turn has ended: say the acknowledgement now, while the
        model phrases the move (voice path only; LiveKit calls this for audio turns)."""
        self._turn_ack = None
        text = new_message.text_content or ""
        if self.engine.ended or not text.strip() or not self._instant_ack_enabled():
            return
        words = _words(text)
        draft = next((r for r in reversed(self._replies.values())
                      if _words(r.turn.text) == words), None)
        if draft is not None:  # LiveKit will deliver this draft: keep its decision
            spoken, ack = draft.ack_spoken, draft.proposal.ack
        else:
            try:
                ack = self.engine.propose(CandidateTurn(text)).ack
            except EngineError:  # the interview is ending: the reply handles it
                ack = None
            spoken = ack is not None and not _may_be_request(text)
        self._turn_ack = _TurnAck(words, spoken)
        if not spoken or ack is None:
            return
        try:
            handle = self.session.say(ack.text)
        except RuntimeError:  # the session is closing; the reply won't come either
            logger.debug("mockflow: no acknowledgement, the session is closing")
            return
        self._acks[handle.id] = handle
        started = self._ack_synthesis[handle.id] = asyncio.Event()
        handle.add_done_callback(self._on_ack_done)
        self.stats.acks += 1
        # Let its synthesis start before LiveKit builds the model request for the reply
        # (tens of ms of CPU in the openai SDK on this same event loop), so that work
        # overlaps the TTS's time to first byte instead of delaying it. Bounded.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(started.wait(), ACK_HEAD_START)

    def tts_node(self, text: AsyncIterable[str], model_settings: ModelSettings) -> Any:
        speech = _current_speech()
        if speech is not None and speech.id in self._ack_synthesis:
            self._ack_synthesis[speech.id].set()
        return Agent.default.tts_node(self, text, model_settings)

    def _on_ack_done(self, handle: SpeechHandle) -> None:
        self._acks.pop(handle.id, None)
        self._ack_synthesis.pop(handle.id, None)
        heard = any(isinstance(i, llm.ChatMessage) and i.role == "assistant"
                    for i in handle.chat_items)
        if handle.interrupted or not heard:
            self.stats.acks_cut += 1

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
        self._commit(reply.proposal, reply.turn)
        if reply.proposal.ends:
            self._finish_after(speech)

    def _commit(self, proposal: Proposal, turn: CandidateTurn | None = None) -> Proposal:
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

    # ------------------------------------------------------------------ requests

    async def _candidate_request(self, raw_arguments: dict[str, object]) -> ToolResult:
        problems = argument_errors(CANDIDATE_REQUEST, raw_arguments)
        if problems:
            raise ToolError("candidate_request arguments are invalid: " + "; ".join(problems))
        kind = str(raw_arguments["kind"])
        say = raw_arguments.get("say")
        question = raw_arguments.get("question")
        speech = _current_speech()
        reply = self._replies.get(speech.id) if speech is not None else None
        try:
            proposal = self.take_request(kind, str(say) if say is not None else None,
                                         str(question) if question is not None else None,
                                         answer=answer_part(reply.turn.text) if reply else None)
        except RequestRejected as exc:
            raise ToolError(str(exc)) from None
        if speech is not None and speech.id in self._replies:
            reply = self._replies[speech.id]
            reply.request_taken = True
            if reply.ack_spoken:
                self.stats.ack_then_request += 1
        return ToolResult(output=json.dumps({"done": kind, "said": proposal.speech}),
                          reply_required=False)

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
        if typed is not None:
            self._record_candidate(typed, kind="request", request=kind,
                                   started=self._speaking_since)
            self._speaking_since = None
        proposal = self.engine.propose_request(kind, say, question, confirmed=confirmed,
                                               answer=answer)
        self.engine.commit(proposal)
        self.stats.commits += 1
        self.stats.requests[kind] = self.stats.requests.get(kind, 0) + 1
        self._speak(proposal, request=kind)
        return proposal

    def _http_handler(self, name: str) -> Callable[[dict[str, object]], Awaitable[str]]:
        """A declared HTTP action as a function tool's handler (LiveKit reads its
        signature: one ``raw_arguments`` parameter)."""

        async def handler(raw_arguments: dict[str, object]) -> str:
            return await self.call_http(name, raw_arguments)

        handler.__name__ = name
        return handler

    async def call_http(self, name: str, raw_arguments: dict[str, object]) -> str:
        tool = next(t for t in self.compiled.interview.tools if t.name == name)
        problems = argument_errors(http_tool_schema(tool.name, tool.description,
                                                    tool.parameters), raw_arguments)
        if problems:
            raise ToolError(f"{name} arguments are invalid: " + "; ".join(problems))
        try:
            return await call_http_tool(tool, raw_arguments)
        except HttpToolError as exc:
            # The call was right; the service failed. The model hears why and carries on
            # with the move (a ToolError would count as a bad call and re-ask the question).
            return json.dumps({"error": str(exc)}, ensure_ascii=False)

    # ------------------------------------------------------------------ speaking

    def _speak(self, proposal: Proposal, *, cut_in: bool = False,
               request: str | None = None) -> SpeechHandle:
        """Say the engine's words. ``cut_in``: speak now even if the candidate is still
        talking (a move-on for time), and don't let them talk over it."""
        handle = self._say_own(proposal.speech, kind="+".join(proposal.kinds), cut_in=cut_in,
                               question=_question_after(proposal), request=request)
        if proposal.ends:
            self._finish_after(handle)
        return handle

    def _say_own(self, text: str, *, kind: str, cut_in: bool = False,
                 question: QuestionRecord | None | bool = False,
                 request: str | None = None) -> SpeechHandle:
        """Speak mockflow's own words (no model). Recorded now, in order; the history item
        LiveKit adds for them later is not recorded twice. ``question``: the question
        the words belong to (default: the open one)."""
        self._record_interviewer(text, kind=kind, question=question, request=request)
        if self._waiting_since and not self._partial:
            # a front end's candidate who hasn't said anything yet: their turn starts
            # after these words, not when the front end began waiting
            self._speaking_since = self.clock()
        self._said.append(text)
        if cut_in:
            return self.session.say(text, allow_interruptions=False)
        return self.session.say(text)

    def _apology(self) -> str:
        current = self.engine.current
        if current is not None and current.prompts:
            return f"{APOLOGY} Let me ask again: {current.prompts[-1]}"
        return f"{APOLOGY} Could you say that again?"

    def _finish_after(self, speech: SpeechHandle) -> None:
        if self._closing:
            return
        self._closing = True

        def done(_: SpeechHandle) -> None:
            if self.close_reason is None:
                self.close_reason = "interview_ended"
            self.session.shutdown(drain=True)

        if speech.done():
            done(speech)
        else:
            speech.add_done_callback(done)

    # ------------------------------------------------------------------ events

    def _on_item_added(self, ev: Any) -> None:
        item = ev.item
        if not isinstance(item, llm.ChatMessage):
            return
        if item.role == "user":
            self._record_candidate(item.text_content or "", kind="answer",
                                   started=self._speaking_since)
            self._heard, self._interim, self._speaking_since = [], "", None
        elif item.role == "assistant":
            text = item.text_content or ""
            if any(item in h.chat_items for h in self._acks.values()):
                self._record_interviewer(text, kind="ack", interrupted=item.interrupted)
                return
            if text in self._said:
                self._said.remove(text)
                return
            # LiveKit links the item to its reply right after this event: record it then,
            # with the question the reply's move leads to.
            try:
                asyncio.get_running_loop().call_soon(self._record_reply, item, self.clock())
            except RuntimeError:
                self._record_reply(item, self.clock())

    def _record_reply(self, item: llm.ChatMessage, ended: float) -> None:
        reply = next((r for r in self._replies.values()
                      if r.speech is not None and item in r.speech.chat_items), None)
        question: QuestionRecord | None | bool = False
        if reply is not None and reply.proposal.state_after is not None:
            question = _question_after(reply.proposal)
        self._record_interviewer(item.text_content or "", kind="reply",
                                 interrupted=item.interrupted, question=question,
                                 started=None if reply is None else reply.started, ended=ended)

    def _record_candidate(self, text: str, *, kind: str, request: str | None = None,
                          started: float | None = None) -> None:
        self._waiting_since = False
        if self.recorder is None or self.recorder.closed:
            return
        current = self.engine.current
        try:
            self.recorder.append_turn(
                "candidate", text, kind=kind if current is not None or kind != "answer"
                else "remark", question=None if current is None else current.number,
                question_id=None if current is None else current.question_id,
                request=request, started=started)
        except ResultsError as exc:
            self._write_failed(exc)

    def _record_interviewer(self, text: str, *, kind: str, interrupted: bool = False,
                            question: QuestionRecord | None | bool = False,
                            request: str | None = None, started: float | None = None,
                            ended: float | None = None) -> None:
        if self.recorder is None or self.recorder.closed:
            return
        current = self.engine.current if question is False else question
        assert current is None or isinstance(current, QuestionRecord)
        try:
            self.recorder.append_turn(
                "interviewer", text, kind=kind,
                question=None if current is None else current.number,
                question_id=None if current is None else current.question_id,
                request=request, started=started, ended=ended,
                extra={"interrupted": interrupted} if interrupted else None)
        except ResultsError as exc:
            self._write_failed(exc)

    def _write_failed(self, exc: ResultsError) -> None:
        """A turn could not be written (a full disk): said once in the log (paths and
        sizes, never the words); the interview goes on, and the recorder marks the session
        ``error`` in session.json when that can be written."""
        if not self._write_failure_logged:
            self._write_failure_logged = True
            logger.error("mockflow: the session's results can't be written: %s; the"
                         " interview goes on, its transcript will have gaps", exc)

    def turn_begins(self) -> None:
        """A front end without audio (the console, simulations) is ready for the
        candidate's next message: their turn's time starts now."""
        if self._speaking_since is None:
            self._speaking_since = self.clock()
            self._waiting_since = True

    def hear(self, text: str, *, final: bool = True) -> None:
        """Live transcription from a front end without audio (simulated candidates): the
        words an STT would report while the candidate is still talking. A move-on for
        time keeps them as the answer, exactly as on the audio path."""
        if self._speaking_since is None:
            self._speaking_since = self.clock()
        if final:
            self._heard.append(text)
            self._interim = ""
        else:
            self._interim = text

    @property
    def _partial(self) -> str:
        """Everything the candidate has said in the turn that is still open."""
        return " ".join([*self._heard, self._interim]).strip()

    def _on_transcribed(self, ev: Any) -> None:
        if self._speaking_since is None:
            self._speaking_since = self.clock()
        if ev.is_final:
            self._heard.append(ev.transcript)
            self._interim = ""
        else:
            self._interim = ev.transcript

    def _on_user_state(self, ev: Any) -> None:
        if ev.new_state == "speaking":
            self._turn_ack = None
            if self._speaking_since is None:
                self._speaking_since = self.clock()

    def _on_error(self, ev: Any) -> None:
        """LiveKit reports model errors here. A recoverable one is retried by LiveKit and
        the reply may still come: say nothing. An unrecoverable one is the end of that
        reply; ``llm_node`` sees the same failure and finishes the turn (in the engine's
        words, or with one apology), so nothing is said here either."""
        error = getattr(ev, "error", None)
        if getattr(error, "type", None) != "llm_error" or getattr(error, "recoverable", True):
            return
        cause = getattr(error, "error", None)
        logger.info("mockflow: the model gave up on a reply: %s",
                    describe(cause) if isinstance(cause, BaseException) else cause)

    def _on_close(self, ev: Any) -> None:
        if self.close_reason is None:
            reason = getattr(ev, "reason", None)
            self.close_reason = getattr(reason, "value", None) or str(reason)
        if self._timer is not None:
            self._timer.cancel()
        error = getattr(ev, "error", None)
        if self.judging is not None and self.judging.pending:
            # judgements still running: a provisional scorecard now, the final one when
            # they are in (or their bound has passed)
            self.write_results(error=error)
            self._finishing = asyncio.get_event_loop().create_task(
                self._finish_judging(error), name="mockflow-judging")
            return
        self.finish_results(error=error)
        self._closed()

    async def _finish_judging(self, error: object) -> None:
        assert self.judging is not None
        try:
            await self.judging.finish()
        finally:
            self.finish_results(error=error)
            self._closed()

    def _closed(self) -> None:
        if self.judging is not None:
            self.judging.close()
        if self._on_finished is not None:
            self._on_finished(self)

    async def finished(self) -> None:
        """Returns once the final results are written (judgements included)."""
        if self._finishing is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._finishing

    def finish_results(self, *, error: object = None) -> None:
        """Final scorecard and session.json, close the transcript, queue the webhook.
        Once per session; later calls do nothing."""
        if self.recorder is None or self.recorder.closed:
            return
        self.write_results(error=error)
        self.recorder.close()
        try:
            queue_event(self.recorder.root, self.recorder.directory, "session.ended")
        except Exception:  # a webhook must never take the session down with it
            logger.exception("mockflow: queueing the session.ended webhook failed")

    def write_results(self, *, error: object = None) -> None:
        """Scorecard and session summary; safe to call more than once (last wins)."""
        if self.recorder is None:
            return
        try:
            scores = self.judging.scores if self.judging is not None and \
                self.judging.active else None
            card = score_record(self.engine.compiled, self.engine.session(), scores=scores,
                                created_at=self.recorder.now())
            data = card.to_dict()
            if self.judging is not None:
                data["judge"] = self.judging.choice.describe()
            self.recorder.write_scorecard(data)
            history: list[dict[str, Any]] = []
            if self._session_ref is not None:  # kept: the agent's activity may be gone
                history = history_items(self._session_ref.history)
            info = self.recorder.info or SessionInfo(
                self.compiled, self.recorder.session_id, "live", self.recorder.started_at,
                {"llm": [], "stt": None, "tts": None}, candidate_name=self.candidate.name,
                candidate_attributes=dict(self.candidate.attributes))
            end_reason = self.engine.end_reason
            self.recorder.write_session(info.document(
                status=session_status(end_reason, error=error, close_reason=self.close_reason),
                ended_at=self.recorder.now(), duration=self.engine.elapsed(),
                end_reason=None if end_reason is None else end_reason.value,
                close_reason=self.close_reason, error=error,
                judge=None if self.judging is None else self.judging.summary(),
                stats={
                    "drafts": self.stats.drafts, "delivered": self.stats.delivered,
                    "discarded": self.stats.discarded, "commits": self.stats.commits,
                    "requests": self.stats.requests, "llm_failures": self.stats.llm_failures,
                    "time_moves": self.stats.time_moves, "acks": self.stats.acks,
                    "acks_cut": self.stats.acks_cut,
                    "ack_then_request": self.stats.ack_then_request,
                },
                warnings=self.warnings, degraded=self.model_health.degraded(),
                model=self.model_health.to_dict(),
                history=history))
            self._results_written = True
        except Exception:  # results must never take the session down with them
            logger.exception("mockflow: writing results failed")

    # ------------------------------------------------------------------ time

    async def _tick_loop(self) -> None:
        while not self.engine.ended:
            await asyncio.sleep(self.tick_interval)
            if self._replies or self.session.agent_state in ("thinking", "speaking"):
                continue  # a reply is on its way; let it land first
            try:
                proposal = self.engine.tick(self._partial or None)
            except EngineError:
                logger.exception("mockflow: timer tick failed")
                continue
            if proposal is None:
                continue
            await self._deliver_time_move(proposal)

    async def _keep_heard_words(self, text: str) -> None:
        """Without an audio path there is no user turn to commit: put what was heard into
        the model's context and the transcript ourselves."""
        ctx = self.chat_ctx.copy()
        ctx.add_message(role="user", content=text)
        await self.update_chat_ctx(ctx)
        self._record_candidate(text, kind="cut_off", started=self._speaking_since)
        self._heard, self._interim, self._speaking_since = [], "", None

    async def _deliver_time_move(self, proposal: Proposal) -> None:
        grace = self.compiled.interview.voice.turn.move_on_grace_seconds
        if proposal.kinds == (MoveKind.NUDGE,):
            # A nudge waits for the candidate's next pause, however long.
            while self.session.user_state == "speaking":
                await asyncio.sleep(0.1)
            self.engine.commit(proposal)
            self.stats.time_moves += 1
            self._speak(proposal)
            return
        deadline = time.monotonic() + grace
        while self.session.user_state == "speaking" and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        partial = self._partial.strip()
        if self.session.input.audio is not None and (
                self.session.user_state == "speaking" or partial):
            # End the candidate's turn ourselves: their words go into history and the
            # transcript, and count as the answer; no model reply is generated.
            with contextlib.suppress(Exception):
                said = await asyncio.wait_for(
                    self.session.commit_user_turn(skip_reply=True), timeout=grace + 3)
                partial = said.strip() or partial
        elif partial:
            await self._keep_heard_words(partial)
        fresh = self.engine.tick(partial or None)
        if fresh is None:
            return
        self._commit(fresh)
        self.stats.time_moves += 1
        self._speak(fresh, cut_in=True)


def _words(text: str) -> tuple[str, ...]:
    """A transcript's words, case and punctuation ignored (as LiveKit compares a draft's
    transcript with the final one)."""
    return tuple(_WORD.findall(text.casefold()))


def _may_be_request(text: str) -> bool:
    """A turn that may ask for something rather than answer (a request, or a question to
    the interviewer): it gets no instant acknowledgement, whatever the model decides."""
    return detect_request(text) is not None or text.rstrip().endswith("?")


def text_session(llm_model: llm.LLM[Any], compiled: CompiledInterview,
                 **kwargs: Any) -> AgentSession[Any]:
    """A room-less text session: no VAD, no STT/TTS, manual turns, no turn-detector model."""
    from mockflow.live.plugins import text_turn_handling

    kwargs.setdefault("conn_options", session_options(
        compiled.interview.voice.llm.timeout_s))
    return AgentSession(
        llm=llm_model,
        vad=None,
        turn_handling=text_turn_handling(),  # type: ignore[arg-type]
        max_tool_steps=compiled.interview.voice.max_tool_steps,
        **kwargs,
    )
