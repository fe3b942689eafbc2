"""``validate``, ``render`` and ``schema``: the interview file as a compiler sees it."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from mockflow.cli.check import report
from mockflow.cli.common import ExitCode, Format, err, load_or_exit, out
from mockflow.format.errors import MockflowError


def validate(
    paths: Annotated[list[str], typer.Argument(help="Interview files; '-' reads stdin.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    strict: Annotated[bool, typer.Option(help="Treat warnings as problems (exit 1).")] = False,
) -> None:
    """Check interview files like a compiler: every problem at once, file:line:col."""
    code = report(paths, fmt, strict=strict)
    if code is not ExitCode.OK:
        raise typer.Exit(code)


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
