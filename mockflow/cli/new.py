"""``mockflow new``: write a commented interview scaffold that validates.

With ``--role``, ``--level`` and ``--competency`` it writes straight away; run in a
terminal with none of them, it asks for each. It never overwrites a file without
``--force``. Exit 0 written, 2 for a bad option or a file it may not write, 3 when the
scaffold it built doesn't validate (a bug in mockflow).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mockflow.authoring.errors import ScaffoldError, TargetExists
from mockflow.authoring.scaffold import (
    DEFAULT_INTERVIEWER,
    DEFAULT_LEVELS,
    ScaffoldOptions,
    default_minutes,
    minutes_needed,
    scaffold,
    slug,
)
from mockflow.cli.common import ExitCode, err, out, plural, problem_lines
from mockflow.format.validate import check_bytes
from mockflow.results.durable import replace_atomic


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _ask(interview_id: str | None, path: str | None) -> tuple[ScaffoldOptions, str]:
    """The interactive mode: every option asked for, each checked as it is given (an
    answer that doesn't fit is explained and asked again)."""
    out("A new interview: answer each question (Enter keeps the suggestion in brackets).")

    def need(text: str) -> str:
        if not text.strip():
            raise typer.BadParameter("this one is needed")
        return text.strip()

    role = typer.prompt("Role you are hiring for (e.g. Data engineer)", value_proc=need)
    levels_text = typer.prompt("Ladder levels, easiest first", default=",".join(DEFAULT_LEVELS))
    levels = tuple(_split(levels_text)) or DEFAULT_LEVELS

    def one_of(text: str) -> str:
        if text.strip() not in levels:
            raise typer.BadParameter(f"'{text.strip()}' is not one of {', '.join(levels)}")
        return text.strip()

    level = typer.prompt("Level you are hiring at", default=levels[len(levels) // 2],
                         value_proc=one_of)

    def competencies(text: str) -> list[str]:
        names = _split(text)
        if not names:
            raise typer.BadParameter("name at least one thing you assess")
        return names

    comps = typer.prompt("Competencies to assess, separated by commas (e.g. Pipelines,"
                         " Data modelling)", value_proc=competencies)
    company = typer.prompt("Company (optional)", default="", show_default=False)
    interviewer = typer.prompt("Interviewer's name", default=DEFAULT_INTERVIEWER)
    least = minutes_needed(len(comps))

    def length(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise typer.BadParameter(f"'{text}' is not a whole number of minutes") from None
        if not least <= value <= 240:
            n = len(comps)
            raise typer.BadParameter(f"give {least} to 240 minutes for {n}"
                                     f" competenc{'y' if n == 1 else 'ies'}")
        return value

    minutes = typer.prompt("Length in minutes", default=str(default_minutes(len(comps))),
                           value_proc=length)
    if path is None:
        path = typer.prompt("File to write", default=f"interviews/{slug(role, '-')}.yaml")
    return ScaffoldOptions(role=role, level=level, competencies=tuple(comps), levels=levels,
                           company=company or None, interviewer=interviewer,
                           minutes=minutes, interview_id=interview_id), path


def write_new(path: str, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path`` atomically (parents created); ``TargetExists`` unless
    ``force``."""
    target = Path(path)
    if target.is_dir():
        raise TargetExists(f"'{path}' is a directory; give the interview file's path, e.g."
                           f" {path.rstrip('/')}/my-interview.yaml")
    if target.exists() and not force:
        raise TargetExists(f"'{path}' exists already; choose another path, or pass --force to"
                           " overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_atomic(target, text.encode("utf-8"), mode=0o644)  # an interview, not candidate data


def new_command(
    path: Annotated[str | None, typer.Argument(
        help="The interview file to write ('-' prints it).", show_default=False)] = None,
    role: Annotated[str | None, typer.Option(help="The job title, e.g. 'Data engineer'.")]
    = None,
    level: Annotated[str | None, typer.Option(help="The level you hire at: one of --levels.")]
    = None,
    competency: Annotated[list[str] | None, typer.Option(
        "--competency", help="A competency to assess, by name; repeat for each.")] = None,
    levels: Annotated[str, typer.Option(
        help="The ladder's levels, easiest first, separated by commas.")]
    = ",".join(DEFAULT_LEVELS),
    company: Annotated[str | None, typer.Option(help="The hiring company's name.")] = None,
    interviewer: Annotated[str, typer.Option(help="The interviewer's name.")]
    = DEFAULT_INTERVIEWER,
    minutes: Annotated[int | None, typer.Option(
        help="Interview length (default: 30, or 4 per competency + 5).")] = None,
    interview_id: Annotated[str | None, typer.Option(
        "--id", help="The interview's id (default: the file's name).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite the file if it exists.")] = False,
) -> None:
    """Write a small, commented interview to fill in (validate lists what is left)."""
    given = role is not None or level is not None or bool(competency)
    try:
        if not given and sys.stdin.isatty() and sys.stdout.isatty():
            options, path = _ask(interview_id, path)
        else:
            missing = [flag for flag, value in (("--role", role), ("--level", level),
                                                ("--competency", competency)) if not value]
            if missing or path is None:
                what = ", ".join(missing + ([] if path is not None else ["the file's path"]))
                err(f"mockflow: error: mockflow new needs {what}, e.g. mockflow new"
                    " interviews/data-engineer.yaml --role 'Data engineer' --level mid"
                    " --competency Pipelines --competency 'Data modelling' (or run it in a"
                    " terminal with no options to be asked)")
                raise typer.Exit(ExitCode.USAGE)
            options = ScaffoldOptions(
                role=role or "", level=level or "", competencies=tuple(competency or ()),
                levels=tuple(_split(levels)), company=company, interviewer=interviewer,
                minutes=minutes, interview_id=interview_id)
        plan, text = scaffold(options, path)
    except ScaffoldError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    checked = check_bytes(text.encode("utf-8"), path or "<new>")
    if checked.errors:  # the scaffold must always validate: a bug if it doesn't
        for line in problem_lines(checked):
            err(line)
        err("mockflow: internal error: the scaffold above does not validate; nothing was"
            " written (please report it with the options you gave)")
        raise typer.Exit(ExitCode.INTERNAL)
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        write_new(path, text, force=force)
    except TargetExists as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    except OSError as exc:
        err(f"mockflow: error: cannot write '{path}': {exc.strerror or exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    n = len(plan.questions)
    comps = len(plan.competencies)
    out(f"wrote {path}: {comps} competenc{'y' if comps == 1 else 'ies'} x"
        f" {plural(len(plan.levels), 'level')}, {plural(n, 'question')} to write")
    out(f"next: replace the {n} TODO question texts with your questions, then")
    out(f"  mockflow draft {path}      # key points, example answers, follow-ups: for review")
    out(f"  mockflow validate {path}   # {plural(len(checked.warnings), 'warning')} list"
        " what is left to write")
