"""``mockflow run FILE --console``: the first screen, before typer, pydantic and livekit.

The console's header and the interviewer's opening words come from the file and the
engine alone (no model, no livekit), so they can be on screen at once while the rest
loads. A plain console command line (the path, ``--console``, ``--offline``, ``--results
DIR``, ``--candidate-name NAME``, ``--seed N``) is started here without typer, the way
``mockflow validate`` is (``mockflow.cli.run()``); anything else (help, another option,
a value typer must check, an option set through the environment) goes through the typer
app. Both paths run the same ``mockflow.cli.run._run_console`` after the first screen.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockflow.cli.common import ExitCode, err, load_source, out

if TYPE_CHECKING:
    from mockflow.format.compile import CompiledInterview
    from mockflow.format.templates import Candidate
    from mockflow.results.store.backend import ResultsTarget
    from mockflow.scoring.judge import JudgeChoice

# `run` options read from the environment: when one is set, typer checks it (even for
# --console), so such a command line takes the typer path
_RUN_ENVIRONMENT = ("MOCKFLOW_CONNECT_ATTEMPTS", "MOCKFLOW_EXECUTOR", "MOCKFLOW_IDLE_PROCESSES")


@dataclass(frozen=True, slots=True)
class ConsoleArgs:
    path: str
    offline: bool = False
    results: str | None = None
    candidate_name: str | None = None
    seed: int = 0


def plain_console(args: Sequence[str], env: Mapping[str, str] = os.environ
                  ) -> ConsoleArgs | None:
    """A plain ``run ... --console`` command line's arguments (after ``run``), or None for
    anything the typer app should see."""
    if any(env.get(name) for name in _RUN_ENVIRONMENT):
        return None
    paths: list[str] = []
    values: dict[str, str] = {}
    flags: set[str] = set()
    items = iter(args)
    for arg in items:
        name, eq, value = arg.partition("=")
        if name in ("--results", "--candidate-name", "--seed"):
            given = value if eq else next(items, None)
            if given is None:
                return None
            values[name] = given
        elif arg in ("--console", "--offline") and not eq:
            flags.add(arg)
        elif arg == "--":
            paths.extend(items)
        elif arg.startswith("-") and arg != "-":
            return None
        else:
            paths.append(arg)
    if "--console" not in flags or len(paths) != 1:
        return None
    try:
        seed = int(values.get("--seed", "0"))
    except ValueError:
        return None  # typer says what is wrong with it
    return ConsoleArgs(paths[0], offline="--offline" in flags, results=values.get("--results"),
                       candidate_name=values.get("--candidate-name"), seed=seed)


@dataclass(frozen=True, slots=True)
class Opening:
    """The console's first screen."""

    judge: JudgeChoice
    candidate: Candidate
    words: str  # the interviewer's opening words
    lines: tuple[str, ...]


def opening(compiled: CompiledInterview, *, offline: bool, candidate_name: str | None,
            seed: int, judge_offline: bool, target: ResultsTarget) -> Opening:
    """The header and the interviewer's opening: the engine's words, no model needed."""
    from mockflow.format.templates import Candidate
    from mockflow.interview.engine import InterviewEngine
    from mockflow.scoring.judge import choose

    # --offline: no network at all; else the judge the file asks for (offline without a key)
    judge = choose(compiled.interview, os.environ, mode="offline" if judge_offline else None)
    candidate = Candidate(name=candidate_name)
    if offline:
        who = "offline (built in, deterministic; set OPENAI_API_KEY for the file's model)"
    else:
        primary = compiled.interview.voice.llm.primary
        who = f"{primary.provider} {primary.model}"
    words = InterviewEngine(compiled, seed=seed, candidate=candidate).propose_start().speech
    models = ", ".join(judge.models)
    return Opening(judge, candidate, words, (
        f"mockflow console — {compiled.interview.title}",
        f"interviewer: {who}. Type /help for commands.",
        f"judge: {judge.kind}{f' ({models})' if models else ''} — {judge.reason}",
        f"results: {destination(target, compiled.interview.results.store)}",
        "",
        f"{compiled.interview.interviewer.name}: {words}",
    ))


def show(first: Opening) -> None:
    for line in first.lines:
        out(line)
    sys.stdout.flush()


def results_target(compiled: CompiledInterview, flag: str | None,
                   env: Mapping[str, str]) -> ResultsTarget | ExitCode:
    """Where sessions go: ``--results``/``MOCKFLOW_RESULTS`` (a directory or s3://) and
    the file's ``results`` section; having printed why, exit code 2 on a bad spec or
    without the s3 extra."""
    from mockflow.results.store.backend import (
        CheckpointPolicy,
        StoreError,
        require_client,
    )
    from mockflow.results.store.backend import (
        results_target as target_of,
    )

    settings = compiled.interview.results
    try:
        target = target_of(flag, env, file_store=settings.store,
                           checkpoint=CheckpointPolicy(settings.checkpoint_turns,
                                                       settings.checkpoint_seconds))
        if target.store is not None:
            require_client()
    except StoreError as exc:
        err(f"mockflow: error: {exc}")
        return ExitCode.USAGE
    if settings.store and target.store and target.store != settings.store:
        given = "--results" if flag and flag == target.store else "MOCKFLOW_RESULTS"
        err(f"mockflow: warning: the interview file's results.store {settings.store} is"
            f" overridden by {given}: sessions are uploaded to {target.store} only")
    return target


def destination(target: ResultsTarget, file_store: str | None) -> str:
    """Where a session's files go, said before the first candidate word is written."""
    where = str(target.directory.resolve())
    if target.store is None:
        return where
    origin = " (the interview file's results.store)" if target.store == file_store else ""
    return f"{where}, uploaded to {target.store}{origin}"


def start(args: ConsoleArgs) -> int:
    """The console from a plain command line: the first screen, then the interview."""
    loaded = load_source(args.path)
    if isinstance(loaded, ExitCode):
        return loaded
    compiled, source = loaded
    target = results_target(compiled, args.results, os.environ)
    if isinstance(target, ExitCode):
        return target
    offline = args.offline or not os.environ.get("OPENAI_API_KEY")
    first = opening(compiled, offline=offline, candidate_name=args.candidate_name,
                    seed=args.seed, judge_offline=args.offline, target=target)
    show(first)

    import typer

    from mockflow.cli.run import _run_console

    try:
        _run_console(compiled, target, offline=offline, candidate_name=args.candidate_name,
                     seed=args.seed, source=source, judge_offline=args.offline, shown=first)
    except typer.Exit as exc:
        return int(exc.exit_code)
    return ExitCode.OK
