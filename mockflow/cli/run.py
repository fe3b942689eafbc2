"""``run`` (the LiveKit worker, or ``--console``) and ``invite`` (a candidate token)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mockflow.cli.common import (
    ExitCode,
    Format,
    err,
    load_or_exit,
    load_source_or_exit,
    out,
)
from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import MockflowError


def invite(
    path: Annotated[str, typer.Argument(help="Interview file.")],
    room: Annotated[str, typer.Option(help="Room the candidate may join.")],
    identity: Annotated[str, typer.Option(help="Candidate identity (unique per room).")],
    name: Annotated[str | None, typer.Option(help="Candidate name, shown to templates.")] = None,
    attribute: Annotated[
        list[str] | None,
        typer.Option("--attribute", "-a", help="KEY=VALUE for candidate.attributes; repeat."),
    ] = None,
    agent_name: Annotated[
        str | None, typer.Option(help="Agent to dispatch (default: the interview id).")
    ] = None,
    ttl: Annotated[str, typer.Option(help="Lifetime, e.g. 10m, 1h (at most 24h).")] = "10m",
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """Mint a least-privilege candidate token that dispatches this interview's agent."""
    import os

    from mockflow.live.invite import InviteError, mint_invite, parse_ttl
    from mockflow.live.startup import AgentNameConflict, missing_livekit, resolve_agent_name

    compiled = load_or_exit(path)
    env = os.environ
    missing = [v for v in missing_livekit(env) if v != "LIVEKIT_URL"]
    if missing:
        err(f"mockflow: error: {' and '.join(missing)} must be set to sign invites (the"
             " same credentials the worker uses)")
        raise typer.Exit(ExitCode.USAGE)
    attributes: dict[str, str] = {}
    for item in attribute or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            err(f"mockflow: error: --attribute '{item}' must look like KEY=VALUE")
            raise typer.Exit(ExitCode.USAGE)
        attributes[key] = value
    try:
        resolved = resolve_agent_name(compiled.interview.id, agent_name, env)
        issued = mint_invite(
            api_key=env["LIVEKIT_API_KEY"],
            api_secret=env["LIVEKIT_API_SECRET"],
            agent_name=resolved,
            room=room,
            identity=identity,
            name=name,
            attributes=attributes,
            ttl=parse_ttl(ttl),
        )
    except (InviteError, AgentNameConflict) as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    data = issued.to_dict(env.get("LIVEKIT_URL") or None)
    if fmt is Format.json:
        out(json.dumps(data, indent=2))
        return
    out(f"room:       {data['room']}")
    out(f"identity:   {data['identity']}")
    out(f"agent:      {data['agent_name']}")
    out(f"expires at: {data['expires_at']}")
    if "join_url" in data:
        out(f"join:       {data['join_url']}")
    out(f"token:      {data['token']}")


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
        str | None, typer.Option(help="Results directory (env MOCKFLOW_RESULTS, default"
                                      " ./results).")
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
) -> None:
    """Serve the interview to candidates as a LiveKit Agents worker (or --console)."""
    import os

    from mockflow.live.startup import (
        AgentNameConflict,
        missing_livekit,
        missing_provider_keys,
        resolve_agent_name,
    )
    from mockflow.results.files import results_root

    compiled, source = load_source_or_exit(path)
    env = os.environ
    if console:
        _run_console(compiled, results_root(results, env), offline=offline or not env.get(
            "OPENAI_API_KEY"), candidate_name=candidate_name, seed=seed)
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
    root = results_root(results, env)
    _run_worker(os.path.abspath(path), source, str(root.resolve()), name, port=port,
                devmode=dev)


def _run_console(compiled: CompiledInterview, results: Path, *, offline: bool,
                 candidate_name: str | None, seed: int) -> None:
    import asyncio

    from mockflow.format.templates import Candidate
    from mockflow.interview.engine import InterviewEngine

    candidate = Candidate(name=candidate_name)
    if offline:
        who = "offline (built in, deterministic; set OPENAI_API_KEY for the file's model)"
    else:
        primary = compiled.interview.voice.llm.primary
        who = f"{primary.provider} {primary.model}"
    # The interview's opening is the engine's (no model, no livekit): show it while livekit
    # loads (seconds), instead of a blank terminal. The console won't print it again.
    opening = InterviewEngine(compiled, seed=seed, candidate=candidate).propose_start().speech
    out(f"mockflow console — {compiled.interview.title}")
    out(f"interviewer: {who}. Type /help for commands.")
    out()
    out(f"{compiled.interview.interviewer.name}: {opening}")
    sys.stdout.flush()

    from mockflow.live.console import console  # imports livekit

    if offline:
        from mockflow.live.offline_llm import OfflineInterviewerLLM

        model: Any = OfflineInterviewerLLM()
    else:
        from mockflow.live.plugins import build_llm

        model = build_llm(compiled.interview.voice)

    async def main() -> None:
        try:
            await console(compiled, model=model, results_root=results, seed=seed,
                          candidate=candidate, shown=opening)
        finally:
            await model.aclose()

    try:
        asyncio.run(main())
    except MockflowError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None


def _run_worker(path: str, source: bytes, results: str, agent_name: str, *,
                port: int | None, devmode: bool) -> None:
    """Serve ``source`` (the bytes validated at start; job processes compile them)."""
    import asyncio

    from mockflow.live.worker import WorkerConfig, build_server, serve  # imports livekit (seconds)

    config = WorkerConfig(interview_path=path, interview_source=source, results_dir=results,
                          agent_name=agent_name)
    server = build_server(config, port=port)
    err(f"mockflow: serving '{agent_name}' from {path}; results in {results}")
    try:
        asyncio.run(serve(server, devmode=devmode))
    except Exception as exc:  # the worker could not start or lost its server for good
        err(f"mockflow: error: the worker stopped: {exc}")
        raise typer.Exit(ExitCode.INTERNAL) from None
