"""One interview in one ``AgentSession``: the single wiring the worker, the console,
simulations and your own LiveKit agent share.

A session's parts must agree: the engine runs on a clock that the transcript's times
are read from, for a candidate whose details are within the limits; the judge is
attached to that engine and writes beside that session's files. ``prepare_interview``
builds them together (``SessionParts``) with the interviewer agent; ``LiveInterview.start``
starts it in an ``AgentSession`` (a room, or none: text); ``start_interview`` does both.

    interview = load_interview("interviews/backend.yaml")
    running = await start_interview(session, interview, room=ctx.room, results="results")
    ctx.add_shutdown_callback(running.finished)

``text_session`` and ``voice_session`` build the ``AgentSession`` mockflow itself uses:
room-less text (no VAD, manual turns, no turn-detector model) and the file's voice
pipeline.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from livekit import rtc
from livekit.agents import AgentSession, llm
from livekit.agents.voice.room_io import RoomOptions

from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import MockflowError
from mockflow.format.templates import Candidate
from mockflow.interview.engine import InterviewEngine
from mockflow.interview.records import score_record
from mockflow.live.agent import InterviewerAgent
from mockflow.live.model_chain import session_options
from mockflow.live.plugins import (
    build_llm,
    build_stt,
    build_tts,
    text_turn_handling,
    turn_handling,
)
from mockflow.live.speech_context import speech_context
from mockflow.results.files import SessionRecorder
from mockflow.results.judging import DEFAULT_WAIT_S, SessionJudge
from mockflow.results.scoring_files import ScoringFiles
from mockflow.results.session_record import SessionInfo, model_entry, webhook_settings
from mockflow.results.store.backend import CheckpointPolicy
from mockflow.scoring.judge import JudgeChoice, choose

Clock = Callable[[], float]
JudgeSpec = JudgeChoice | Literal["offline", "llm"] | None


class InterviewSetupError(MockflowError):
    """The parts given for one interview session don't belong together."""


@dataclass(frozen=True, slots=True)
class SessionParts:
    """What one session's interviewer works with, built together (``prepare_interview``)
    so that they agree."""

    compiled: CompiledInterview
    engine: InterviewEngine  # runs on ``clock``, for ``candidate``
    clock: Clock
    candidate: Candidate  # within the limits (``Candidate.bounded``)
    recorder: SessionRecorder | None  # on ``clock``; None: nothing written
    judging: SessionJudge | None  # attached to ``engine``, writing beside ``recorder``
    warnings: tuple[str, ...] = ()  # for session.json (e.g. a name cut to the limit)


class LiveInterview:
    """One interview: its parts and interviewer agent, started in an ``AgentSession``."""

    def __init__(self, parts: SessionParts, agent: InterviewerAgent, *,
                 info: SessionInfo | None = None) -> None:
        self.parts = parts
        self.agent = agent
        self.session: AgentSession[Any] | None = None
        self._info = info  # session.json's start, written at ``start`` (models known then)

    @property
    def compiled(self) -> CompiledInterview:
        return self.parts.compiled

    @property
    def engine(self) -> InterviewEngine:
        return self.parts.engine

    @property
    def recorder(self) -> SessionRecorder | None:
        return self.parts.recorder

    @property
    def judging(self) -> SessionJudge | None:
        return self.parts.judging

    @property
    def directory(self) -> Path | None:
        """The session's results directory (None when nothing is written)."""
        return None if self.parts.recorder is None else self.parts.recorder.directory

    @property
    def ended(self) -> bool:
        """The engine has ended the interview (its last words may still be playing)."""
        return self.parts.engine.ended

    async def start(self, session: AgentSession[Any], *, room: rtc.Room | None = None,
                    room_options: RoomOptions | None = None,
                    record: bool | None = None) -> None:
        """Start the interviewer in ``session`` (in ``room``, or room-less). ``record``:
        LiveKit's session recording (default: the file's ``voice.record``). A start that
        fails is written to ``session.json`` (``start_failed``) before it raises."""
        recorder = self.parts.recorder
        if self._info is not None and recorder is not None and recorder.info is None:
            self._info.models = session_models(session)
            recorder.start(self._info)
        self.session = session
        kwargs: dict[str, Any] = {
            "record": self.compiled.interview.voice.record if record is None else record}
        if room is not None:
            kwargs["room"] = room
        if room_options is not None:
            kwargs["room_options"] = room_options
        try:
            await session.start(self.agent, **kwargs)
        except Exception as exc:
            self.agent.close_reason = "start_failed"
            self.agent.finish_results(error=exc)
            raise

    async def finished(self) -> None:
        """Once the session has closed: returns when its final results are on disk
        (judgements included, within their bound). A job's shutdown callback."""
        await self.agent.finished()

    def scorecard(self) -> dict[str, Any]:
        """The scorecard of the interview so far (final once it has ended), with the
        judge's scores where it has given them."""
        judging = self.parts.judging
        scores = judging.scores if judging is not None and judging.active else None
        engine = self.parts.engine
        return score_record(engine.compiled, engine.session(), scores=scores).to_dict()


def prepare_interview(
    compiled: CompiledInterview,
    *,
    candidate: Candidate | None = None,
    results: Path | str | SessionRecorder | None = None,
    session_id: str | None = None,
    seed: int | None = None,
    clock: Clock | None = None,
    judge: JudgeSpec = None,
    judge_wait_s: float = DEFAULT_WAIT_S,
    interview_source: bytes | None = None,
    tick_interval: float = 1.0,
    on_finished: Callable[[InterviewerAgent], None] | None = None,
    store: str | None = None,
    checkpoint: CheckpointPolicy | None = None,
    kind: str = "live",
    simulation: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
    voice: Callable[[], Mapping[str, Any]] | None = None,
) -> LiveInterview:
    """Build one session's parts and its interviewer (not started yet).

    ``results``: a directory (the session writes ``<dir>/<interview id>/<session id>/``;
    ``store`` and ``checkpoint`` as for ``SessionRecorder``), a ``SessionRecorder``
    already made (and started: the worker records a failed connection with it), or None
    (nothing written). ``seed``: the question order (default: random). ``clock``: the
    session's clock (default: the recorder's, else ``time.monotonic``); a recorder on
    another clock is an ``InterviewSetupError``. ``judge``: a ``JudgeChoice``,
    ``"offline"``, ``"llm"``, or None (what the file says, given the environment's
    keys); it scores each question in the background as it closes (without results and
    with the offline judge there is nothing for it to do: the engine's own scores are
    used). ``interview_source``: the file's bytes, kept with the session for
    ``rescore``. ``on_finished``: called once the final results are written. ``kind``
    (live, console, simulation) and ``simulation`` (persona and seed) go into
    ``session.json``; a simulated candidate is not news for the webhook. ``voice``: the
    session's audio facts, read each time ``session.json`` is written (its ``voice``)."""
    speech_context()  # a LiveKit that can't run the interviewer: refused before any file
    recorder = results if isinstance(results, SessionRecorder) else None
    if clock is None:
        clock = recorder.clock if recorder is not None else time.monotonic
    elif recorder is not None and recorder.clock is not clock:
        raise InterviewSetupError(
            "the session recorder runs on another clock than the interview: make the"
            " recorder with clock=<the interview's clock>, or leave clock out")
    bounded, cut = (candidate or Candidate()).bounded()
    info: SessionInfo | None = None
    if results is not None and not isinstance(results, SessionRecorder):
        recorder = SessionRecorder(Path(results), compiled.interview.id, session_id,
                                   clock=clock, store=store, checkpoint=checkpoint)
        info = SessionInfo(
            compiled, recorder.session_id, kind, recorder.started_at, {},
            candidate_name=bounded.name, candidate_attributes=dict(bounded.attributes),
            simulation=simulation, warnings=list(cut),
            webhook=None if kind == "simulation" else webhook_settings(compiled),
            voice=voice)
    try:
        engine = InterviewEngine(compiled, clock=clock,
                                 seed=secrets.randbits(31) if seed is None else seed,
                                 candidate=bounded)
        choice = judge if isinstance(judge, JudgeChoice) else choose(
            compiled.interview, os.environ, mode=judge)
        judging: SessionJudge | None = None
        if recorder is not None or choice.kind != "offline":
            judging = SessionJudge(compiled, choice, None if recorder is None
                                   else ScoringFiles(recorder.directory), wait_s=judge_wait_s)
            judging.attach(engine, source=interview_source)
        parts = SessionParts(compiled, engine, clock, bounded, recorder, judging,
                             (*warnings, *(w for w in cut if w not in warnings)))
        agent = InterviewerAgent(parts, tick_interval=tick_interval, on_finished=on_finished)
    except BaseException:
        if info is not None and recorder is not None:  # made here: not left open
            recorder.close()
        raise
    return LiveInterview(parts, agent, info=info)


async def start_interview(
    session: AgentSession[Any],
    compiled: CompiledInterview,
    *,
    room: rtc.Room | None = None,
    room_options: RoomOptions | None = None,
    record: bool | None = None,
    **options: Any,
) -> LiveInterview:
    """Prepare an interview (``prepare_interview``'s ``options``) and start it in
    ``session``: the interviewer greets the candidate at once."""
    interview = prepare_interview(compiled, **options)
    await interview.start(session, room=room, room_options=room_options, record=record)
    return interview


def describe_llm(model: object) -> dict[str, Any]:
    """Provider and model name of a model actually used (LLM, STT or TTS)."""
    provider = getattr(model, "provider", None)
    name = getattr(model, "model", None)
    return model_entry(provider if isinstance(provider, str) and provider else
                       type(model).__module__.split(".")[0],
                       name if isinstance(name, str) else None)


def session_models(session: AgentSession[Any]) -> dict[str, Any]:
    """The models a session was given, for ``session.json``."""
    return {"llm": [] if session.llm is None else [describe_llm(session.llm)],
            "stt": None if session.stt is None else describe_llm(session.stt),
            "tts": None if session.tts is None else describe_llm(session.tts)}


def text_session(llm_model: llm.LLM[Any], compiled: CompiledInterview,
                 **kwargs: Any) -> AgentSession[Any]:
    """A room-less text session: no VAD, no STT/TTS, manual turns, no turn-detector model."""
    kwargs.setdefault("conn_options", session_options(
        compiled.interview.voice.llm.timeout_s))
    return AgentSession(
        llm=llm_model,
        vad=None,
        turn_handling=text_turn_handling(),  # type: ignore[arg-type]
        max_tool_steps=compiled.interview.voice.max_tool_steps,
        **kwargs,
    )


def voice_session(compiled: CompiledInterview, vad: Any, *, model: llm.LLM[Any] | None = None,
                  stt: Any = None, handling: Mapping[str, Any] | None = None
                  ) -> AgentSession[Any]:
    """The voice pipeline from the file's ``voice`` section. ``model``: the interviewer
    model instead of the file's (the offline one); ``stt`` and ``handling`` (LiveKit
    ``turn_handling``) replace the file's: the benchmark's seed-style comparison."""
    voice = compiled.interview.voice
    return AgentSession(
        stt=stt if stt is not None else build_stt(voice.stt,
                                                  compiled.interview.interviewer.language),
        llm=model if model is not None else build_llm(voice),
        tts=build_tts(voice.tts),
        vad=vad,
        turn_handling=dict(handling) if handling is not None  # type: ignore[arg-type]
        else turn_handling(voice.turn),
        max_tool_steps=voice.max_tool_steps,
        conn_options=session_options(voice.llm.timeout_s),
    )
