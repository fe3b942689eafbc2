"""``mockflow run``: a LiveKit Agents worker that serves one interview.

Jobs run in one of LiveKit's two executors (``build_server(executor=...)``):

- ``process`` (LiveKit's default): one process per job, forked from a forkserver. The
  forkserver imports the plugins, mockflow and the job's module once and compiles the
  interview (``mockflow.live.preload``, found through ``PRELOAD_ENV``) before it forks, so
  every job process shares them copy-on-write. Each job process gets the interview as
  picklable data too (``WorkerConfig``, through ``functools.partial(prewarm, config)``)
  and compiles it itself if the forkserver could not.
- ``thread``: one process, one thread per job. ``prewarm`` runs once per thread; the
  compiled interview is loaded once per process (``mockflow.live.shared``). Plugins
  register on the main thread, so the worker imports them before any job starts.

``prewarm`` loads the per-job VAD; ``entrypoint`` creates only per-session state.
Nothing reaches job processes through environment variables set after start.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import re
import secrets
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from livekit.agents import AgentServer, JobContext, JobExecutorType, JobProcess
from livekit.agents.voice.room_io import RoomOptions

from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import InterviewInvalid, MockflowError
from mockflow.format.templates import Candidate
from mockflow.format.validate import check_bytes, read_source
from mockflow.live import frame_sampling, privacy
from mockflow.live.invite import candidate_attributes
from mockflow.live.plugins import build_vad, import_plugins, plugin_modules
from mockflow.live.session import LiveInterview, prepare_interview, voice_session
from mockflow.live.shared import shared
from mockflow.live.speech_context import speech_context
from mockflow.results.files import SessionRecorder, new_session_id
from mockflow.results.invites import mark_room_ended
from mockflow.results.notify.flush import flush_forever
from mockflow.results.session_record import SessionInfo, configured_models, webhook_settings
from mockflow.results.store.backend import CheckpointPolicy
from mockflow.results.store.uploads import UploadQueue, UploadWorker
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


Executor = Literal["process", "thread"]
EXECUTORS: dict[str, JobExecutorType] = {"process": JobExecutorType.PROCESS,
                                         "thread": JobExecutorType.THREAD}
LOCAL_INFERENCE_ENV = "LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE"
PRELOAD_ENV = "MOCKFLOW_PRELOAD_INTERVIEW"
"""The interview file the forkserver compiles before it forks (``mockflow.live.preload``)."""


def interview_key(source: bytes) -> tuple[str, str]:
    """The shared-state key of an interview: its exact bytes."""
    return ("interview", hashlib.sha256(source).hexdigest())


def load_compiled(source: bytes, path: str) -> CompiledInterview:
    """The interview compiled once per process (every template too), shared by its jobs."""
    def load() -> CompiledInterview:
        result = check_bytes(source, path)
        if result.compiled is None:
            raise InterviewInvalid(path, result.problems)
        return result.compiled.warm()

    return shared(interview_key(source), load)


def preload_from_environment() -> None:
    """In the forkserver, before any job process is forked: compile the interview named
    by ``PRELOAD_ENV``. Best effort: a job process whose interview is not there (the file
    changed since the worker validated it, or failed here) compiles its own in
    ``prewarm``, which reports the error."""
    path = os.environ.get(PRELOAD_ENV)
    if not path:
        return
    try:
        load_compiled(read_source(path), path)
    except Exception:  # prewarm compiles and reports; never break the forkserver
        logger.debug("could not preload %s", path, exc_info=True)


def prewarm(config: WorkerConfig, proc: JobProcess) -> None:
    """Once per job process (process executor) or per job thread (thread executor): the
    compiled interview (shared: compiled once per process, or by the forkserver) and the
    job's own VAD (a plugin object is per session: it carries the session's metrics).
    Frame sampling is made safe before the job's loop monitor starts
    (``mockflow.live.frame_sampling``)."""
    frame_sampling.install()
    privacy.install()
    compiled = load_compiled(config.interview_source, config.interview_path)
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
    # once this interview is over, its invite (if any) gives no more tokens
    ctx.add_shutdown_callback(invite_used(Path(config.results_dir), ctx.job.room.name))


def invite_used(results_dir: Path, room: str) -> Callable[[], Coroutine[None, None, None]]:
    """A shutdown callback: mark ``room``'s interview as over in the results directory,
    where ``mockflow serve`` stops giving its invite tokens (it reads the same directory).
    A failure to write is logged, never raised: the interview itself is already saved."""

    async def mark() -> None:
        try:
            mark_room_ended(results_dir, room)
        except MockflowError as exc:
            logger.warning("could not mark the room's invite as used: %s", exc)

    return mark


Entrypoint = Callable[[JobContext], Awaitable[None]]


def _voice_settings(config: WorkerConfig) -> Any:
    """The interview's voice section (this process's shared compile), None if it fails to
    compile here (the job then reports it)."""
    try:
        return load_compiled(config.interview_source, config.interview_path).interview.voice
    except InterviewInvalid:
        return None


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
                 connect_attempts: int = DEFAULT_CONNECT_ATTEMPTS,
                 executor: Executor = "process",
                 idle_processes: int | None = None,
                 compiled: CompiledInterview | None = None) -> AgentServer:
    """``job``: the job entrypoint (a benchmark hook may pass its own; it must be a
    module-level function, job processes get it pickled). ``max_jobs``: take at most this
    many interviews at once, whatever the CPU says (default: LiveKit's CPU-based load and
    its production threshold, 0.7). ``connect_attempts``: tries to reach LiveKit (at start
    and after losing it) before the worker gives up. ``executor``: ``process`` (a process
    per job) or ``thread`` (a thread per job in this process). ``idle_processes``: job
    runners kept warm for the next jobs (LiveKit keeps min(free slots, this) warm; its
    default is the CPU count in production, 0 in development). ``compiled``: the
    interview already compiled from ``config.interview_source`` (the CLI validated it),
    kept as this process's shared copy. Raises ``LiveKitIncompatible`` at once when the
    installed LiveKit lacks what the interviewer needs (rather than failing every interview
    it is sent)."""
    speech_context()
    if compiled is not None:
        shared(interview_key(config.interview_source), compiled.warm)
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor '{executor}'; use one of: {', '.join(EXECUTORS)}")
    # before any job thread's loop monitor samples frames (CPython 3.11 can deadlock)
    frame_sampling.install()
    privacy.install()
    voice = _voice_settings(config)
    modules = plugin_modules(voice) if voice is not None else []
    if voice is not None and voice.turn.detector != "model":
        # LiveKit's warm-up loads its end-of-turn model (~244 MiB) into every worker (or
        # forkserver); only the "model" detector uses it. An explicit setting wins.
        os.environ.setdefault(LOCAL_INFERENCE_ENV, "0")
    kwargs: dict[str, Any] = {"setup_fnc": functools.partial(prewarm, config),
                              "max_retry": max(connect_attempts - 1, 0),
                              "job_executor_type": EXECUTORS[executor]}
    if executor == "process":
        # imported and compiled once in the forkserver, shared by every job process (this
        # process runs no job: it needs none of it)
        kwargs["preload_modules"] = [*modules, __name__, job.__module__,
                                     "mockflow.live.preload"]
        os.environ[PRELOAD_ENV] = config.interview_path
    elif voice is not None:
        import_plugins(voice)  # job threads can't: plugins register on the main thread
    if idle_processes is not None:
        kwargs["num_idle_processes"] = idle_processes
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
