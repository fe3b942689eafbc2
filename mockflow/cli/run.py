"""``run``: the LiveKit worker, or ``--console``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mockflow.cli.common import (
    ExitCode,
    err,
    load_source_or_exit,
)
from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import MockflowError

if TYPE_CHECKING:
    from mockflow.cli.console_start import Opening
    from mockflow.results.store.backend import ResultsTarget


class Executor(StrEnum):
    """How the worker runs jobs (docs/deploy.md: what each risks)."""

    process = "process"
    thread = "thread"


def run_command(
    path: Annotated[str, typer.Argument(help="Interview file.")],
    dev: Annotated[bool, typer.Option("--dev", help="Development mode (verbose, no drain).")]
    = False,
    port: Annotated[int | None, typer.Option(help="Health-check HTTP port (default 8081;"
                                                  " 0 picks a free one).")] = None,
    agent_name: Annotated[
        str | None, typer.Option(help="Agent name to register (default: the interview id).")
    ] = None,
    results: Annotated[
        str | None, typer.Option(help="Results directory, or s3://bucket/prefix to upload to"
                                      " (env MOCKFLOW_RESULTS, default ./results).")
    ] = None,
    console: Annotated[bool, typer.Option("--console", help="Run the interview as text in"
                                          " this terminal (no LiveKit server needed).")]
    = False,
    offline: Annotated[bool, typer.Option("--offline", help="With --console: use the"
                                          " built-in offline interviewer even if"
                                          " OPENAI_API_KEY is set.")] = False,
    candidate_name: Annotated[
        str | None, typer.Option(help="With --console: the candidate's name.")
    ] = None,
    seed: Annotated[int, typer.Option(help="With --console: seed for question order.")] = 0,
    max_jobs: Annotated[int | None, typer.Option(
        min=1, help="Take at most N interviews at once (default: by CPU load, LiveKit's"
                    " threshold 0.7).")] = None,
    simulated_jobs: Annotated[bool, typer.Option(
        "--simulated-jobs", hidden=True,
        help="Benchmarks: jobs whose dispatch metadata asks for it interview a simulated"
             " candidate without joining the room (docs/deploy.md).")] = False,
    connect_attempts: Annotated[
        int, typer.Option(min=1, max=1000, envvar="MOCKFLOW_CONNECT_ATTEMPTS",
                          help="Tries to reach LiveKit before the worker gives up and exits"
                               " 3 (env MOCKFLOW_CONNECT_ATTEMPTS).")
    ] = 8,
    executor: Annotated[Executor, typer.Option(
        envvar="MOCKFLOW_EXECUTOR", case_sensitive=False,
        help="process: one process per interview (isolated; a crash or runaway ends one"
             " interview); thread: one thread per interview in the worker (several times"
             " less memory per interview; a crash, an out-of-memory kill or a runaway"
             " interview affects every interview in the worker). Env MOCKFLOW_EXECUTOR;"
             " see docs/deploy.md.")] = Executor.process,
    voice: Annotated[bool, typer.Option(
        "--voice", help="With --console: speak and listen (the local microphone and speakers,"
                        " or --audio-in files) through the file's STT and TTS; with"
                        " voice.stt/tts provider local, no server and no keys.")] = False,
    local_voice: Annotated[bool, typer.Option(
        "--local-voice",
        help="With --console: hear and speak with the local Whisper and Piper voice whatever"
             " the file's voice.stt/tts say: practise by voice with no keys (English"
             " interviews; the local-voice extra; implies --voice).")] = False,
    audio_in: Annotated[str | None, typer.Option(
        "--audio-in", metavar="DIR",
        help="With --console: the candidate's turns are the .wav files in DIR, in name"
             " order, played in real time (implies --voice).")] = None,
    audio_out: Annotated[str | None, typer.Option(
        "--audio-out", metavar="FILE.wav",
        help="With --audio-in: write the interviewer's audio to this wav file.")] = None,
    reply_delay: Annotated[float | None, typer.Option(
        "--reply-delay", metavar="SECONDS",
        help="With --audio-in: seconds between the interviewer finishing and the next"
             " file's turn (default 1.0).")] = None,
    input_device: Annotated[str | None, typer.Option(
        help="With --console --voice: the microphone (a number or a name; default: the"
             " system's).")] = None,
    output_device: Annotated[str | None, typer.Option(
        help="With --console --voice: the speaker (a number or a name; default: the"
             " system's).")] = None,
    idle_processes: Annotated[int | None, typer.Option(
        min=0, max=1000, envvar="MOCKFLOW_IDLE_PROCESSES",
        help="Job runners (processes or threads) kept warm for the next interviews; LiveKit"
             " keeps min(free slots, N) ready. Default: the CPU count (0 with --dev). Env"
             " MOCKFLOW_IDLE_PROCESSES.")] = None,
) -> None:
    """Serve the interview to candidates as a LiveKit Agents worker (or --console)."""

    from mockflow.live.startup import (
        LOCAL_VOICE_INSTALL,
        AgentNameConflict,
        missing_livekit,
        missing_local_voice,
        missing_provider_keys,
        resolve_agent_name,
    )
    voiced = voice or local_voice or audio_in is not None or audio_out is not None
    if (voiced or reply_delay is not None or input_device or output_device) and not console:
        err("mockflow: error: --voice, --local-voice, --audio-in, --audio-out, --reply-delay"
            " and the device options run the interview in this terminal: add --console (the"
            " worker is always voice, in a LiveKit room)")
        raise typer.Exit(ExitCode.USAGE)
    compiled, source = load_source_or_exit(path)
    env = os.environ
    target = _results_target_or_exit(compiled, results, env)
    if console and (voiced or reply_delay is not None or input_device or output_device):
        from mockflow.cli.voice import VoiceOptions, run_voice_console, with_local_voice

        if local_voice:
            compiled = with_local_voice(compiled)
        run_voice_console(compiled, target, offline=offline or not env.get("OPENAI_API_KEY"),
                          judge_offline=offline, candidate_name=candidate_name, seed=seed,
                          source=source, options=VoiceOptions(
                              audio_in=audio_in, audio_out=audio_out, reply_delay=reply_delay,
                              input_device=input_device, output_device=output_device))
        return
    if console:
        _run_console(compiled, target, offline=offline or not env.get(
            "OPENAI_API_KEY"), candidate_name=candidate_name, seed=seed, source=source,
            judge_offline=offline)
        return
    if offline:
        err("mockflow: error: --offline only applies with --console")
        raise typer.Exit(ExitCode.USAGE)
    missing = missing_livekit(env)
    if missing:
        err(
            f"mockflow: error: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not"
            " set; the worker needs a LiveKit server (self-hosted or LiveKit Cloud) to"
            " register with. Set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET, or try"
            f" the interview offline in the terminal: mockflow run {path} --console"
        )
        raise typer.Exit(ExitCode.USAGE)
    try:
        name = resolve_agent_name(compiled.interview.id, agent_name, env)
    except AgentNameConflict as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    keys = missing_provider_keys(compiled.interview.voice, env)
    if keys:
        for key, users in keys.items():
            err(f"mockflow: error: {key} is not set; it is needed by {', '.join(users)}")
        raise typer.Exit(ExitCode.USAGE)
    local = missing_local_voice(compiled.interview.voice)
    if local:
        err(f"mockflow: error: the local voice (voice.stt/tts provider local) needs"
            f" {', '.join(local)}, not installed: {LOCAL_VOICE_INSTALL}")
        raise typer.Exit(ExitCode.USAGE)
    _run_worker(os.path.abspath(path), source, target, name, port=port, devmode=dev,
                simulated_jobs=simulated_jobs, max_jobs=max_jobs,
                url=env.get("LIVEKIT_URL", ""), connect_attempts=connect_attempts,
                file_store=compiled.interview.results.store,
                executor=executor, idle_processes=idle_processes, compiled=compiled)


def _results_target_or_exit(compiled: CompiledInterview, flag: str | None,
                            env: Mapping[str, str]) -> ResultsTarget:
    """Where sessions go (``mockflow.cli.console_start.results_target``); exit 2 on a bad
    spec or without the s3 extra."""
    from mockflow.cli.console_start import results_target

    target = results_target(compiled, flag, env)
    if isinstance(target, ExitCode):
        raise typer.Exit(target)
    return target


def _run_console(compiled: CompiledInterview, target: ResultsTarget, *, offline: bool,
                 candidate_name: str | None, seed: int, source: bytes | None = None,
                 judge_offline: bool = False, shown: Opening | None = None) -> None:
    """``shown``: the first screen, already printed (``mockflow.cli.console_start``)."""
    import asyncio

    from mockflow.cli.console_start import opening, show
    from mockflow.results.store.uploads import UploadWorker

    # The interview's opening is the engine's (no model, no livekit): show it while livekit
    # loads (seconds), instead of a blank terminal. The console won't print it again.
    if shown is None:
        shown = opening(compiled, offline=offline, candidate_name=candidate_name, seed=seed,
                        judge_offline=judge_offline, target=target)
        show(shown)
    judge, candidate, opening_words = shown.judge, shown.candidate, shown.words

    from mockflow.live.console import console  # imports livekit

    if offline:
        from mockflow.live.offline_llm import OfflineInterviewerLLM

        model: Any = OfflineInterviewerLLM()
    else:
        from mockflow.live.plugins import build_llm

        model = build_llm(compiled.interview.voice)

    async def main() -> None:
        try:
            await console(compiled, model=model, results_root=target.directory, seed=seed,
                          candidate=candidate, shown=opening_words, judge=judge,
                          interview_source=source, store=target.store,
                          checkpoint=target.checkpoint)
        finally:
            await model.aclose()

    uploads = UploadWorker(target.directory).start() if target.store else None
    try:
        asyncio.run(main())
    except MockflowError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    finally:
        stop_uploads(uploads, target)


def stop_uploads(uploads: Any, target: ResultsTarget) -> None:
    """A console's uploads, flushed within a bound; what is left is said, with the fix."""
    if uploads is None:
        return
    left = uploads.stop(flush_timeout=30)
    if left.remaining:
        err(f"mockflow: {left.remaining} file(s) saved in {target.directory} but not"
            f" uploaded yet ({left.error}); run: mockflow results flush --results"
            f" {target.directory}")


def _run_worker(path: str, source: bytes, target: ResultsTarget, agent_name: str, *,
                port: int | None, devmode: bool, simulated_jobs: bool = False,
                max_jobs: int | None = None, url: str = "",
                connect_attempts: int = 8, file_store: str | None = None,
                executor: Executor = Executor.process, idle_processes: int | None = None,
                compiled: CompiledInterview | None = None) -> None:
    """Serve ``source`` (the bytes validated at start; job processes compile them)."""
    import asyncio

    from mockflow.live.worker import (  # imports livekit (seconds)
        LiveKitUnreachable,
        WorkerConfig,
        build_server,
        serve,
    )

    def attempt_failed(attempt: int, attempts: int, error: str, delay: float) -> None:
        if attempt < attempts:
            err(f"mockflow: cannot reach LiveKit at {url} (attempt {attempt} of {attempts}):"
                f" {error}; trying again in {delay:g}s")

    results = str(target.directory.resolve())
    config = WorkerConfig(interview_path=path, interview_source=source, results_dir=results,
                          agent_name=agent_name, results_store=target.store,
                          checkpoint=target.checkpoint)
    options: dict[str, Any] = {"port": port, "max_jobs": max_jobs,
                               "connect_attempts": connect_attempts,
                               "executor": executor.value, "idle_processes": idle_processes,
                               "compiled": compiled}
    if simulated_jobs:
        from mockflow.simulate.runner import simulated_job

        options["job"] = simulated_job
    server = build_server(config, **options)
    from mockflow.cli.console_start import destination

    where = destination(target, file_store)
    err(f"mockflow: serving '{agent_name}' from {path} (a {executor.value} per interview);"
        f" results in {where}")
    try:
        asyncio.run(serve(server, devmode=devmode, config=config, url=url,
                          connect_attempts=connect_attempts, on_attempt=attempt_failed))
    except LiveKitUnreachable as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.INTERNAL) from None
    except Exception as exc:  # the worker could not start or lost its server for good
        err(f"mockflow: error: the worker stopped: {exc}")
        raise typer.Exit(ExitCode.INTERNAL) from None
