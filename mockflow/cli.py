"""The ``mockflow`` command line. The only module that prints and picks exit codes:
0 ok, 1 problems found, 2 usage or environment error.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from . import __version__
from .compile import CompiledInterview
from .errors import InputError, MockflowError
from .validate import CheckResult, check_bytes, check_file, read_source

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

app = typer.Typer(
    name="mockflow",
    help="Structured, fair voice interviews from plain YAML.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    text = "text"
    json = "json"


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _problem_lines(result: CheckResult) -> list[str]:
    return [
        f"{result.path}:{p.line}:{p.column}: {p.severity}[{p.code}] {p.message}"
        for p in result.problems
    ]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _version(value: bool) -> None:
    if value:
        _out(f"mockflow {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """mockflow: validate, render and run structured interviews."""


@app.command()
def validate(
    paths: Annotated[list[str], typer.Argument(help="Interview files; '-' reads stdin.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    strict: Annotated[bool, typer.Option(help="Treat warnings as problems (exit 1).")] = False,
) -> None:
    """Check interview files like a compiler: every problem at once, file:line:col."""
    results: list[CheckResult] = []
    io_errors: list[tuple[str, str]] = []
    for path in paths:
        try:
            results.append(check_file(path))
        except InputError as exc:
            io_errors.append((path, str(exc)))
    if fmt is Format.json:
        files: list[dict[str, object]] = [
            {
                "path": r.path,
                "valid": r.ok(strict=strict),
                "problems": [p.to_dict() for p in r.problems],
            }
            for r in results
        ]
        files += [{"path": p, "valid": False, "problems": [], "error": e} for p, e in io_errors]
        _out(json.dumps({"files": files}, indent=2, ensure_ascii=False))
    else:
        for r in results:
            for line in _problem_lines(r):
                _out(line)
        for _, message in io_errors:
            _err(f"mockflow: error: {message}")
        errors = sum(len(r.errors) for r in results)
        warnings = sum(len(r.warnings) for r in results)
        bad = sum(not r.ok(strict=strict) for r in results)
        summary = (
            f"{_plural(len(results), 'file')} checked: {len(results) - bad} valid,"
            f" {bad} with problems ({_plural(errors, 'error')}, {_plural(warnings, 'warning')})"
        )
        if strict and warnings:
            summary += "; --strict counts warnings as problems"
        _err(summary) if bad or io_errors else _out(summary)
    if io_errors:
        raise typer.Exit(EXIT_USAGE)
    if any(not r.ok(strict=strict) for r in results):
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def render(
    path: Annotated[str, typer.Argument(help="Interview file; '-' reads stdin.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    candidate_name: Annotated[
        str | None, typer.Option(help="Sample candidate name (default: none given).")
    ] = None,
) -> None:
    """Show exactly what the interviewer model receives: instructions and tool schemas."""
    from .render import render_document
    from .templates import Candidate

    compiled = _load_or_exit(path)
    try:
        doc = render_document(compiled, Candidate(name=candidate_name))
    except MockflowError as exc:
        _err(f"mockflow: error: {exc}")
        raise typer.Exit(EXIT_PROBLEMS) from None
    if fmt is Format.json:
        _out(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    _out(f"# {doc['interview']}")
    _out()
    _out("## Instructions")
    _out(str(doc["instructions"]))
    _out()
    _out("## Per-turn message (example: the first answer)")
    _out(str(doc["example_turn_message"]))
    _out()
    _out("## Tools")
    for tool in doc["tools"]:
        _out(json.dumps(tool, indent=2, ensure_ascii=False))


@app.command()
def schema(
    name: Annotated[str, typer.Argument(help="interview (default) or scorecard.")] = "interview",
) -> None:
    """Print the JSON Schema of the interview format (for editors and CI)."""
    from .schema import SCHEMA_FILES, schema_text

    if name not in SCHEMA_FILES:
        _err(f"mockflow: error: unknown schema '{name}'; choose: {', '.join(SCHEMA_FILES)}")
        raise typer.Exit(EXIT_USAGE)
    try:
        sys.stdout.write(schema_text(name))
    except FileNotFoundError:
        _err(f"mockflow: error: schema '{name}' is not shipped in this version")
        raise typer.Exit(EXIT_USAGE) from None


def _load_or_exit(path: str) -> CompiledInterview:
    """The compiled interview, or validate's output and exit 1 (2 if unreadable)."""
    return _load_source_or_exit(path)[0]


def _load_source_or_exit(path: str) -> tuple[CompiledInterview, bytes]:
    """Like ``_load_or_exit``, also returning the bytes that were checked."""
    try:
        source = read_source(path)
    except InputError as exc:
        _err(f"mockflow: error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    result = check_bytes(source, path)
    if result.compiled is None:
        for line in _problem_lines(result):
            _err(line)
        _err(f"{path}: fix the {_plural(len(result.errors), 'error')} above first")
        raise typer.Exit(EXIT_PROBLEMS)
    return result.compiled, source


@app.command()
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

    from .invite import InviteError, mint_invite, parse_ttl
    from .startup import AgentNameConflict, missing_livekit, resolve_agent_name

    compiled = _load_or_exit(path)
    env = os.environ
    missing = [v for v in missing_livekit(env) if v != "LIVEKIT_URL"]
    if missing:
        _err(f"mockflow: error: {' and '.join(missing)} must be set to sign invites (the"
             " same credentials the worker uses)")
        raise typer.Exit(EXIT_USAGE)
    attributes: dict[str, str] = {}
    for item in attribute or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _err(f"mockflow: error: --attribute '{item}' must look like KEY=VALUE")
            raise typer.Exit(EXIT_USAGE)
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
        _err(f"mockflow: error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    data = issued.to_dict(env.get("LIVEKIT_URL") or None)
    if fmt is Format.json:
        _out(json.dumps(data, indent=2))
        return
    _out(f"room:       {data['room']}")
    _out(f"identity:   {data['identity']}")
    _out(f"agent:      {data['agent_name']}")
    _out(f"expires at: {data['expires_at']}")
    if "join_url" in data:
        _out(f"join:       {data['join_url']}")
    _out(f"token:      {data['token']}")


@app.command("run")
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

    from .results import results_root
    from .startup import (
        AgentNameConflict,
        missing_livekit,
        missing_provider_keys,
        resolve_agent_name,
    )

    compiled, source = _load_source_or_exit(path)
    env = os.environ
    if console:
        _run_console(compiled, results_root(results, env), offline=offline or not env.get(
            "OPENAI_API_KEY"), candidate_name=candidate_name, seed=seed)
        return
    if offline:
        _err("mockflow: error: --offline only applies with --console")
        raise typer.Exit(EXIT_USAGE)
    missing = missing_livekit(env)
    if missing:
        _err(
            f"mockflow: error: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not"
            " set; the worker needs a LiveKit server (self-hosted or LiveKit Cloud) to"
            " register with. Set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET, or try"
            f" the interview offline in the terminal: mockflow run {path} --console"
        )
        raise typer.Exit(EXIT_USAGE)
    try:
        name = resolve_agent_name(compiled.interview.id, agent_name, env)
    except AgentNameConflict as exc:
        _err(f"mockflow: error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    keys = missing_provider_keys(compiled.interview.voice, env)
    if keys:
        for key, users in keys.items():
            _err(f"mockflow: error: {key} is not set; it is needed by {', '.join(users)}")
        raise typer.Exit(EXIT_USAGE)
    root = results_root(results, env)
    _run_worker(os.path.abspath(path), source, str(root.resolve()), name, port=port,
                devmode=dev)


def _run_console(compiled: CompiledInterview, results: Path, *, offline: bool,
                 candidate_name: str | None, seed: int) -> None:
    import asyncio

    from .console import console
    from .templates import Candidate

    if offline:
        from .offline_llm import OfflineInterviewerLLM

        model: Any = OfflineInterviewerLLM()
        who = "offline (built in, deterministic; set OPENAI_API_KEY for the file's model)"
    else:
        from .plugins import build_llm

        model = build_llm(compiled.interview.voice)
        primary = compiled.interview.voice.llm.primary
        who = f"{primary.provider} {primary.model}"

    async def main() -> None:
        try:
            await console(compiled, model=model, interviewer=who, results_root=results,
                          seed=seed, candidate=Candidate(name=candidate_name))
        finally:
            await model.aclose()

    try:
        asyncio.run(main())
    except MockflowError as exc:
        _err(f"mockflow: error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None


def _run_worker(path: str, source: bytes, results: str, agent_name: str, *,
                port: int | None, devmode: bool) -> None:
    """Serve ``source`` (the bytes validated at start; job processes compile them)."""
    import asyncio

    from .worker import WorkerConfig, build_server, serve  # imports livekit (seconds)

    config = WorkerConfig(interview_path=path, interview_source=source, results_dir=results,
                          agent_name=agent_name)
    server = build_server(config, port=port)
    _err(f"mockflow: serving '{agent_name}' from {path}; results in {results}")
    try:
        asyncio.run(serve(server, devmode=devmode))
    except Exception as exc:  # the worker could not start or lost its server for good
        _err(f"mockflow: error: the worker stopped: {exc}")
        raise typer.Exit(EXIT_USAGE) from None


# simulate and test: their commands live in cli_simulate (registered here, at the end).


def run() -> None:
    """Console-script entry point."""
    app()


from .cli_simulate import simulate_command, test_command  # noqa: E402 - needs the helpers above

app.command("simulate")(simulate_command)
app.command("test")(test_command)
