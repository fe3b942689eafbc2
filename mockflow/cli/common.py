"""What every command shares: exit codes, output helpers, loading an interview or exiting.

Importing it does not import typer (``mockflow validate`` runs without it).

The CLI is the only code that prints and picks exit codes; library code raises typed
errors (``mockflow.format.errors``).
"""

from __future__ import annotations

import sys
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import InputError
from mockflow.format.validate import CheckResult, check_bytes, read_source

if TYPE_CHECKING:
    from pathlib import Path


class ExitCode(IntEnum):
    """mockflow's exit codes (README, "Exit codes")."""

    OK = 0  # all valid / done
    PROBLEMS = 1  # problems found in the input (validation errors, failed expectations)
    USAGE = 2  # usage or environment error: a bad option, a missing file or credential
    INTERNAL = 3  # an internal failure: the worker crashed or lost its server for good


class Format(StrEnum):
    text = "text"
    json = "json"


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(text + "\n")


def problem_lines(result: CheckResult) -> list[str]:
    return [
        f"{result.path}:{p.line}:{p.column}: {p.severity}[{p.code}] {p.message}"
        for p in result.problems
    ]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def load_or_exit(path: str) -> CompiledInterview:
    """The compiled interview, or validate's output and exit 1 (2 if unreadable)."""
    return load_source_or_exit(path)[0]


def load_source_or_exit(path: str) -> tuple[CompiledInterview, bytes]:
    """Like ``_load_or_exit``, also returning the bytes that were checked."""
    import typer  # this module stays importable without typer (the fast `validate` path)

    loaded = load_source(path)
    if isinstance(loaded, ExitCode):
        raise typer.Exit(loaded)
    return loaded


def load_source(path: str) -> tuple[CompiledInterview, bytes] | ExitCode:
    """The compiled interview and the bytes that were checked; or, having printed why,
    the exit code (validate's problems: 1; unreadable: 2). No typer."""
    try:
        source = read_source(path)
    except InputError as exc:
        err(f"mockflow: error: {exc}")
        return ExitCode.USAGE
    result = check_bytes(source, path)
    if result.compiled is None:
        for line in problem_lines(result):
            err(line)
        err(f"{path}: fix the {plural(len(result.errors), 'error')} above first")
        return ExitCode.PROBLEMS
    return result.compiled, source


def refuse_store_urls(command: str, paths: list[Path]) -> None:
    """``report``, ``review`` and ``rescore`` read a session *directory*: an s3:// URL in
    their place is refused with the way to get one (never read as a local path)."""
    import typer

    for path in paths:
        text = str(path)
        if text.startswith("s3:/"):
            shown = "s3://" + text[len("s3:/"):].lstrip("/")
            err(f"mockflow: error: {command} reads a session directory, not the store URL"
                f" {shown}; run `mockflow sessions --results s3://BUCKET/PREFIX` (it syncs"
                " the store to a local copy and lists each session's directory) and pass"
                " that directory")
            raise typer.Exit(ExitCode.USAGE)
