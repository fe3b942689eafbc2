"""``mockflow run``: a LiveKit Agents worker that serves one interview.

Job processes come from a forkserver: they get the interview as picklable data
(``WorkerConfig``, through ``functools.partial(prewarm, config)``), compile it and load
the VAD once per process in ``prewarm``, and take per-session state only in
``entrypoint``. Nothing reaches them through environment variables set after start.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livekit.agents import AgentServer, AgentSession, JobContext, JobProcess
from livekit.agents.voice.room_io import RoomOptions

from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import InterviewInvalid, MockflowError
from mockflow.format.templates import Candidate
from mockflow.format.validate import check_bytes
from mockflow.interview.engine import InterviewEngine
from mockflow.live import privacy
from mockflow.live.agent import InterviewerAgent
from mockflow.live.invite import candidate_attributes
from mockflow.live.model_chain import session_options
from mockflow.live.plugins import build_llm, build_stt, build_tts, build_vad, turn_handling
from mockflow.results.files import SessionRecorder, new_session_id

logger = logging.getLogger("mockflow.live.worker")


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Everything a job process needs; plain, picklable data.

    The interview travels as the bytes the worker validated at start, so every job
    process runs exactly that version even if the file changes on disk meanwhile.
    """

    interview_path: str
    interview_source: bytes
    results_dir: str
    agent_name: str


def prewarm(config: WorkerConfig, proc: JobProcess) -> None:
    """Once per job process: compile the interview and load the VAD."""
    privacy.install()
    result = check_bytes(config.interview_source, config.interview_path)
    if result.compiled is None:
        raise InterviewInvalid(config.interview_path, result.problems)
    compiled = result.compiled
    proc.userdata["config"] = config
    proc.userdata["compiled"] = compiled
    proc.userdata["vad"] = build_vad(compiled.interview.voice.vad)


def voice_session(compiled: CompiledInterview, vad: Any) -> AgentSession[Any]:
    """The voice pipeline from the file's ``voice`` section."""
    voice = compiled.interview.voice
    return AgentSession(
        stt=build_stt(voice.stt, compiled.interview.interviewer.language),
        llm=build_llm(voice),
        tts=build_tts(voice.tts),
        vad=vad,
        turn_handling=turn_handling(voice.turn),  # type: ignore[arg-type]
        max_tool_steps=voice.max_tool_steps,
        conn_options=session_options(voice.llm.timeout_s),
    )


async def entrypoint(ctx: JobContext) -> None:
    """One interview in one room."""
    compiled: CompiledInterview = ctx.proc.userdata["compiled"]
    config: WorkerConfig = ctx.proc.userdata["config"]
    session_id = f"{new_session_id()}-{ctx.job.id or secrets.token_hex(3)}"
    recorder = SessionRecorder(Path(config.results_dir), compiled.interview.id, session_id)
    recorder.write_session({"interview": compiled.ref, "session_id": session_id,
                            "room": ctx.job.room.name, "status": "connecting"})
    try:
        await ctx.connect()
        participant = await ctx.wait_for_participant()
    except Exception as exc:
        # Results are written on every close, errors included.
        recorder.write_session({"interview": compiled.ref, "session_id": session_id,
                                "room": ctx.job.room.name, "status": "failed",
                                "close_reason": "connect_failed", "error": str(exc)})
        recorder.close()
        raise
    agent: InterviewerAgent | None = None
    try:  # everything that can fail at start is recorded in session.json
        candidate, warnings = Candidate(
            name=participant.name or None,
            attributes=candidate_attributes(participant.attributes)).bounded()
        engine = InterviewEngine(compiled, seed=secrets.randbits(31), candidate=candidate)
        agent = InterviewerAgent(compiled, engine=engine, candidate=candidate,
                                 recorder=recorder, warnings=warnings)
        session = voice_session(compiled, ctx.proc.userdata["vad"])
        await session.start(
            agent,
            room=ctx.room,
            room_options=RoomOptions(text_input=False,
                                     participant_identity=participant.identity),
            record=compiled.interview.voice.record,
        )
    except Exception as exc:
        if agent is not None:
            agent.close_reason = "start_failed"
            agent.write_results(error=exc)
        else:
            recorder.write_session({"interview": compiled.ref, "session_id": session_id,
                                    "room": ctx.job.room.name, "status": "failed",
                                    "close_reason": "start_failed",
                                    "error": f"{type(exc).__name__}: {exc}"})
        recorder.close()
        raise


DEFAULT_CONNECT_ATTEMPTS = 8


class LiveKitUnreachable(MockflowError):
    """The worker could not reach (or register with) the LiveKit server."""

    def __init__(self, url: str, attempts: int, error: str) -> None:
        self.url, self.attempts, self.error = url, attempts, error
        super().__init__(f"could not reach LiveKit at {url} after {attempts} attempt"
                         f"{'' if attempts == 1 else 's'}: {error}. Check LIVEKIT_URL, that"
                         " the server is up and reachable from here, and the API key and"
                         " secret")


AttemptReport = Callable[[int, int, str, float], None]
"""(attempt, attempts, error, seconds until the next one) after each failed attempt."""


class _ConnectWatch(logging.Handler):
    """Reads LiveKit's own 'failed to connect' records: the attempt and its error, which
    LiveKit logs only as structured data."""

    def __init__(self, attempts: int, report: AttemptReport | None) -> None:
        super().__init__(logging.WARNING)
        self.attempts = attempts
        self.report = report
        self.failures = 0
        self.last_error = "no answer"

    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith("failed to connect to livekit"):
            return
        self.failures += 1
        error = getattr(record, "error", None)
        self.last_error = (f"{type(error).__name__}: {error}" if error is not None
                           else record.getMessage())
        delay = re.search(r"retrying in (\d+(?:\.\d+)?)s", record.getMessage())
        if self.report is not None:
            self.report(self.failures, self.attempts, self.last_error,
                        float(delay.group(1)) if delay else 0.0)


def build_server(config: WorkerConfig, *, port: int | None = None,
                 connect_attempts: int = DEFAULT_CONNECT_ATTEMPTS) -> AgentServer:
    """``connect_attempts``: tries to reach LiveKit (at start and after losing it) before
    the worker gives up."""
    privacy.install()
    kwargs: dict[str, Any] = {"setup_fnc": functools.partial(prewarm, config),
                              "max_retry": max(connect_attempts - 1, 0)}
    if port is not None:
        kwargs["port"] = port
    server = AgentServer(**kwargs)
    server.rtc_session(entrypoint, agent_name=config.agent_name)
    return server


async def serve(server: AgentServer, *, devmode: bool, url: str = "",
                connect_attempts: int = DEFAULT_CONNECT_ATTEMPTS,
                on_attempt: AttemptReport | None = None) -> None:
    """Run until SIGINT/SIGTERM; production mode drains running interviews first.
    Raises ``LiveKitUnreachable`` when LiveKit can't be reached in ``connect_attempts``."""
    watch = _ConnectWatch(connect_attempts, on_attempt)
    livekit_log = logging.getLogger("livekit.agents")
    livekit_log.addHandler(watch)
    try:
        await _serve(server, devmode=devmode)
    except RuntimeError as exc:
        if "failed to connect to livekit" not in str(exc):
            raise
        raise LiveKitUnreachable(url or "LIVEKIT_URL", connect_attempts,
                                 watch.last_error) from None
    finally:
        livekit_log.removeHandler(watch)


async def _serve(server: AgentServer, *, devmode: bool) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    main = asyncio.create_task(server.run(devmode=devmode))
    waiter = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({main, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if main.done():
            main.result()  # a worker that failed to start raises here
            return
        if not devmode:
            await server.drain()
    finally:
        waiter.cancel()
        await server.aclose()
        if not main.done():
            main.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
