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
import os
import re
import secrets
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit.agents import AgentServer, JobContext, JobProcess
from livekit.agents.voice.room_io import RoomOptions

from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import InterviewInvalid, MockflowError
from mockflow.format.templates import Candidate
from mockflow.format.validate import check_bytes
from mockflow.live import privacy
from mockflow.live.invite import candidate_attributes
from mockflow.live.plugins import build_vad
from mockflow.live.session import LiveInterview, prepare_interview, voice_session
from mockflow.live.speech_context import speech_context
from mockflow.results.files import SessionRecorder, new_session_id
from mockflow.results.flush import flush_forever
from mockflow.results.session_record import SessionInfo, configured_models, webhook_settings
from mockflow.results.store import CheckpointPolicy
from mockflow.results.uploads import UploadQueue, UploadWorker
from mockflow.scoring.judge import choose

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
    results_store: str | None = None  # s3:// spec: sessions are also uploaded there
    checkpoint: CheckpointPolicy = field(default_factory=CheckpointPolicy)

    def recorder(self, interview_id: str, session_id: str) -> SessionRecorder:
        return SessionRecorder(Path(self.results_dir), interview_id, session_id,
                               store=self.results_store, checkpoint=self.checkpoint)


def job_session_id(job_id: str | None) -> str:
    """A job's session id: sortable, unique, and ending in the LiveKit job id."""
    return f"{new_session_id()}-{job_id or secrets.token_hex(3)}"


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


async def entrypoint(ctx: JobContext) -> None:
    """One interview in one room."""
    compiled: CompiledInterview = ctx.proc.userdata["compiled"]
    config: WorkerConfig = ctx.proc.userdata["config"]
    session_id = job_session_id(ctx.job.id)
    recorder = config.recorder(compiled.interview.id, session_id)
    info = SessionInfo(compiled, session_id, "live", recorder.started_at,
                       configured_models(compiled, voice=True), room=ctx.job.room.name,
                       job=ctx.job.id or None, webhook=webhook_settings(compiled))
    recorder.start(info)
    try:
        await ctx.connect()
        participant = await ctx.wait_for_participant()
    except Exception as exc:
        # Results are written on every close, errors included.
        recorder.write_session(info.document(status="error", ended_at=recorder.now(),
                                             close_reason="connect_failed", error=exc))
        recorder.close()
        raise
    interview: LiveInterview | None = None
    try:  # everything that can fail at start is recorded in session.json
        candidate, warnings = Candidate(
            name=participant.name or None,
            attributes=candidate_attributes(participant.attributes)).bounded()
        info.candidate_name = candidate.name
        info.candidate_identity = participant.identity or None
        info.candidate_attributes = dict(candidate.attributes)
        info.warnings = [*info.warnings, *warnings]
        recorder.write_session(info.document())
        interview = prepare_interview(
            compiled, candidate=candidate, results=recorder, warnings=warnings,
            judge=choose(compiled.interview, os.environ),
            interview_source=config.interview_source)
        # the job waits for the final scorecard (judgements included, within their bound)
        ctx.add_shutdown_callback(interview.finished)
        session = voice_session(compiled, ctx.proc.userdata["vad"])
    except Exception as exc:
        if interview is not None:
            interview.agent.close_reason = "start_failed"
            interview.agent.finish_results(error=exc)
        else:
            recorder.write_session(info.document(status="error", ended_at=recorder.now(),
                                                 close_reason="start_failed", error=exc))
            recorder.close()
        raise
    # a start that fails is written to session.json by the interview (start_failed)
    await interview.start(session, room=ctx.room, room_options=RoomOptions(
        text_input=False, participant_identity=participant.identity))


Entrypoint = Callable[[JobContext], Awaitable[None]]


def jobs_load(max_jobs: int, server: AgentServer) -> float:
    """The worker's load as the share of its ``max_jobs`` interviews that are running."""
    return len(server.active_jobs) / max_jobs


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
                 job: Entrypoint = entrypoint, max_jobs: int | None = None,
                 connect_attempts: int = DEFAULT_CONNECT_ATTEMPTS) -> AgentServer:
    """``job``: the job entrypoint (a benchmark hook may pass its own; it must be a
    module-level function, job processes get it pickled). ``max_jobs``: take at most this
    many interviews at once, whatever the CPU says (default: LiveKit's CPU-based load and
    its production threshold, 0.7). ``connect_attempts``: tries to reach LiveKit (at start
    and after losing it) before the worker gives up. Raises ``LiveKitIncompatible``
    at once when the installed LiveKit lacks what the interviewer needs (rather than
    failing every interview it is sent)."""
    speech_context()
    privacy.install()
    kwargs: dict[str, Any] = {"setup_fnc": functools.partial(prewarm, config),
                              "max_retry": max(connect_attempts - 1, 0)}
    if max_jobs is not None:
        # available while running < max_jobs: the load is running / max_jobs, and LiveKit
        # wants a production threshold below 1
        kwargs["load_fnc"] = functools.partial(jobs_load, max_jobs)
        kwargs["load_threshold"] = (max_jobs - 0.5) / max_jobs
    if port is not None:
        kwargs["port"] = port
    server = AgentServer(**kwargs)
    server.rtc_session(job, agent_name=config.agent_name)
    return server


async def serve(server: AgentServer, *, devmode: bool, config: WorkerConfig | None = None,
                url: str = "", connect_attempts: int = DEFAULT_CONNECT_ATTEMPTS,
                on_attempt: AttemptReport | None = None) -> None:
    """Run until SIGINT/SIGTERM; production mode drains running interviews first.
    Raises ``LiveKitUnreachable`` when LiveKit can't be reached in ``connect_attempts``.

    Meanwhile this process flushes the results directory's webhook outbox, and, with a
    results store (or uploads left queued by an earlier run), uploads what its job
    processes queue, in a background thread (``UploadWorker``)."""
    uploads: UploadWorker | None = None
    results_dir = None if config is None else Path(config.results_dir)
    if results_dir is not None and (config is not None and config.results_store
                                    or len(UploadQueue(results_dir))):
        uploads = UploadWorker(results_dir).start()
    watch = _ConnectWatch(connect_attempts, on_attempt)
    livekit_log = logging.getLogger("livekit.agents")
    livekit_log.addHandler(watch)
    try:
        await _serve(server, devmode=devmode, results_dir=results_dir)
    except RuntimeError as exc:
        if "failed to connect to livekit" not in str(exc):
            raise
        raise LiveKitUnreachable(url or "LIVEKIT_URL", connect_attempts,
                                 watch.last_error) from None
    finally:
        livekit_log.removeHandler(watch)
        if uploads is not None:
            left = await asyncio.to_thread(uploads.stop)
            if left.remaining:
                logger.warning("%d file(s) still queued for upload (%s); they are uploaded"
                               " when the worker restarts or by `mockflow results flush`",
                               left.remaining, left.error)


async def _serve(server: AgentServer, *, devmode: bool, results_dir: Path | None) -> None:
    loop = asyncio.get_running_loop()
    flusher = (asyncio.create_task(flush_forever(results_dir), name="mockflow-outbox")
               if results_dir is not None else None)
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
        if flusher is not None:
            flusher.cancel()
        await server.aclose()
        if not main.done():
            main.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
