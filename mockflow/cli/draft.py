"""``mockflow draft``: model-drafted examples, key points, follow-ups and clarifications,
written into the file for review; ``--accept`` marks a question's drafts as reviewed.

Exit 0 done (or nothing to draft), 1 when the file has errors (or every question that
lacks parts still has placeholder text), 2 for a usage or environment problem: no model
reachable, the optional extra missing, the model failing or timing out, a file that
can't be edited without changing other lines. Nothing is written unless the whole run
succeeds.
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from mockflow.authoring.errors import (
    AcceptError,
    DraftEditError,
    DraftFailed,
    DraftUnavailable,
)
from mockflow.cli.common import ExitCode, err, out, plural
from mockflow.format.errors import InputError, InterviewInvalid
from mockflow.format.validate import read_source
from mockflow.results.durable import replace_atomic


def _read(path: str) -> str:
    try:
        raw = read_source(path)
    except InputError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        err(f"mockflow: error: '{path}' is not UTF-8 text; run mockflow validate on it")
        raise typer.Exit(ExitCode.PROBLEMS) from None


def replace_file(path: str, text: str) -> None:
    """Write ``text`` over ``path`` atomically, keeping the file's permissions."""
    target = Path(path)
    replace_atomic(target, text.encode("utf-8"), mode=target.stat().st_mode & 0o777)


def _fail(exc: Exception, code: ExitCode) -> typer.Exit:
    err(f"mockflow: error: {exc}")
    return typer.Exit(code)


def draft_command(
    path: Annotated[str, typer.Argument(help="The interview file to draft into.")],
    question: Annotated[list[str] | None, typer.Option(
        "--question", help="Draft only this question (repeat for several).")] = None,
    part: Annotated[list[str] | None, typer.Option(
        "--part", help="Draft only this part: examples, key_points, follow_ups or"
                       " clarification (repeat for several).")] = None,
    model: Annotated[str | None, typer.Option(
        help="The model (default: the file's judge model, else its voice.llm model).")]
    = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="An OpenAI-compatible endpoint (default: the file's).")] = None,
    timeout: Annotated[float, typer.Option(
        min=0.01, max=900, help="Seconds to wait for each answer of the model.")] = 120.0,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print what would be added (a diff); write nothing.")] = False,
    accept: Annotated[list[str] | None, typer.Option(
        "--accept", help="Mark this question's drafts as reviewed (repeat for several);"
                         " calls no model.")] = None,
    accept_all: Annotated[bool, typer.Option(
        "--accept-all", help="Mark every question's drafts as reviewed.")] = False,
) -> None:
    """Have a model draft what each question lacks, marked for your review.

    Graded example answers, key points with the phrasings people use, follow-ups with
    probes and a clarification; --accept marks a question's drafts as reviewed.
    """
    text = _read(path)
    if accept or accept_all:
        if question or part or model or base_url:
            err("mockflow: error: --accept takes no --question, --part, --model or"
                " --base-url: it only removes the drafted marks")
            raise typer.Exit(ExitCode.USAGE)
        _accept(path, text, None if accept_all else list(accept or []), dry_run)
        return
    from mockflow.authoring import drafting, yaml_edit

    try:
        yaml_edit.ruamel()
    except DraftUnavailable as exc:
        raise _fail(exc, ExitCode.USAGE) from None
    from mockflow.format.validate import check_bytes

    checked = check_bytes(text.encode("utf-8"), path)
    if checked.interview is None or checked.errors:
        _print_invalid(InterviewInvalid(path, checked.problems))
        raise typer.Exit(ExitCode.PROBLEMS)
    try:
        choice = drafting.choose_model(checked.interview, os.environ, model=model,
                                       base_url=base_url, timeout_s=timeout)
        plan = drafting.plan_drafts(checked.interview, question or (), part or ())
    except DraftUnavailable as exc:
        raise _fail(exc, ExitCode.USAGE) from None
    for qid, reason in plan.skipped:
        err(f"skipped {qid}: {reason}")
    if not plan.todo:
        if plan.skipped:
            err(f"{path}: nothing drafted; {plural(len(plan.skipped), 'question')} skipped")
            raise typer.Exit(ExitCode.PROBLEMS)
        out(f"{path}: nothing to draft: every question has key points, example answers,"
            " follow-ups and a clarification")
        return
    err(f"drafting {plural(len(plan.todo), 'question')} with {choice.where} (from"
        f" {choice.origin})")

    def progress(qid: str, _: object, draft: object) -> None:
        err(f"  {qid}: {', '.join(getattr(draft, 'parts', ()))}")

    try:
        result = drafting.draft_text(text, path, drafting.Drafter(choice),
                                     only=question or (), parts=part or (),
                                     progress=progress)
    except InterviewInvalid as exc:  # checked above; kept for a file changed meanwhile
        _print_invalid(exc)
        raise typer.Exit(ExitCode.PROBLEMS) from None
    except (DraftFailed, DraftEditError) as exc:
        raise _fail(exc, ExitCode.USAGE) from None
    if dry_run:
        sys.stdout.writelines(difflib.unified_diff(
            text.splitlines(keepends=True), result.text.splitlines(keepends=True),
            fromfile=path, tofile=f"{path} (drafted)"))
        return
    if _read(path) != text:
        err(f"mockflow: error: {path} changed while drafting; nothing was written: run"
            " mockflow draft again")
        raise typer.Exit(ExitCode.USAGE)
    replace_file(path, result.text)
    n = len(result.drafted)
    first = next(iter(result.drafted))
    out(f"wrote {path}: drafted {plural(n, 'question')}, marked 'drafted:' for review")
    out("review every drafted part (mockflow validate --strict lists them, MF509), correct"
        " what is wrong, then accept:")
    out(f"  mockflow draft {path} --accept {first}    # one question (or --accept-all)")


def _accept(path: str, text: str, ids: list[str] | None, dry_run: bool) -> None:
    from mockflow.authoring.drafting import accept_text

    try:
        new_text, accepted = accept_text(text, path, ids)
    except DraftUnavailable as exc:
        raise _fail(exc, ExitCode.USAGE) from None
    except (AcceptError, DraftEditError) as exc:
        raise _fail(exc, ExitCode.USAGE) from None
    if not accepted:
        out(f"{path}: no question has drafted parts waiting for review")
        return
    if dry_run:
        sys.stdout.writelines(difflib.unified_diff(
            text.splitlines(keepends=True), new_text.splitlines(keepends=True),
            fromfile=path, tofile=f"{path} (accepted)"))
        return
    replace_file(path, new_text)
    out(f"{path}: accepted the drafts of {', '.join(accepted)}")


def _print_invalid(exc: InterviewInvalid) -> None:
    for p in exc.problems:
        err(f"{exc.path}:{p.line}:{p.column}: {p.severity}[{p.code}] {p.message}")
    errors = sum(p.severity == "error" for p in exc.problems)
    err(f"{exc.path}: fix the {plural(errors, 'error')} above before drafting; nothing was"
        " written")
