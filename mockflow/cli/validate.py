"""``validate``, ``render`` and ``schema``: the interview file as a compiler sees it."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from mockflow.cli.common import (
    ExitCode,
    Format,
    err,
    load_or_exit,
    out,
    plural,
    problem_lines,
)
from mockflow.format.errors import INTERNAL, InputError, MockflowError
from mockflow.format.validate import CheckResult, check_file


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
        out(json.dumps({"files": files}, indent=2, ensure_ascii=False))
    else:
        for r in results:
            for line in problem_lines(r):
                out(line)
        for _, message in io_errors:
            err(f"mockflow: error: {message}")
        errors = sum(len(r.errors) for r in results)
        warnings = sum(len(r.warnings) for r in results)
        bad = sum(not r.ok(strict=strict) for r in results)
        summary = (
            f"{plural(len(results), 'file')} checked: {len(results) - bad} valid,"
            f" {bad} with problems ({plural(errors, 'error')}, {plural(warnings, 'warning')})"
        )
        if strict and warnings:
            summary += "; --strict counts warnings as problems"
        err(summary) if bad or io_errors else out(summary)
    if io_errors:
        raise typer.Exit(ExitCode.USAGE)
    if any(p.code == INTERNAL for r in results for p in r.problems):
        raise typer.Exit(ExitCode.INTERNAL)
    if any(not r.ok(strict=strict) for r in results):
        raise typer.Exit(ExitCode.PROBLEMS)


def render(
    path: Annotated[str, typer.Argument(help="Interview file; '-' reads stdin.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    candidate_name: Annotated[
        str | None, typer.Option(help="Sample candidate name (default: none given).")
    ] = None,
) -> None:
    """Show exactly what the interviewer model receives: instructions and tool schemas."""
    from mockflow.format.templates import Candidate
    from mockflow.interview.render import render_document

    compiled = load_or_exit(path)
    try:
        doc = render_document(compiled, Candidate(name=candidate_name))
    except MockflowError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.PROBLEMS) from None
    if fmt is Format.json:
        out(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    out(f"# {doc['interview']}")
    out()
    out("## Instructions")
    out(str(doc["instructions"]))
    out()
    out("## Per-turn message (example: the first answer)")
    out(str(doc["example_turn_message"]))
    out()
    out("## Tools")
    for tool in doc["tools"]:
        out(json.dumps(tool, indent=2, ensure_ascii=False))
    judge = doc["judge"]
    out()
    out("## Judge (scores answers; separate from the interviewer)")
    out(f"Judge: {judge['configured']}")
    out()
    out("### Judge instructions")
    out(str(judge["instructions"]))
    out()
    out("### Per-question message (example: the first question)")
    out(str(judge["example_question_message"]))
    out()
    out("### Judge tool")
    out(json.dumps(judge["tool"], indent=2, ensure_ascii=False))


def schema(
    name: Annotated[str, typer.Argument(
        help="interview (default), scorecard, session, transcript or review.")] = "interview",
) -> None:
    """Print the JSON Schema of the interview format (for editors and CI)."""
    from mockflow.format.schema import SCHEMA_FILES, schema_text

    if name not in SCHEMA_FILES:
        err(f"mockflow: error: unknown schema '{name}'; choose: {', '.join(SCHEMA_FILES)}")
        raise typer.Exit(ExitCode.USAGE)
    try:
        sys.stdout.write(schema_text(name))
    except FileNotFoundError:
        err(f"mockflow: error: schema '{name}' is not shipped in this version")
        raise typer.Exit(ExitCode.USAGE) from None
