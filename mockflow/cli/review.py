"""``mockflow review``: a reviewer's scores and note, appended beside the session."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Annotated

import typer

from mockflow.cli.common import ExitCode, err, out
from mockflow.format.errors import MockflowError
from mockflow.results.flush import flush_all
from mockflow.results.load import load_session
from mockflow.results.notify import queue_event
from mockflow.results.reviews import append_review, make_review, parse_score


def review_command(
    session: Annotated[Path, typer.Argument(help="The session directory.",
                                            show_default=False)],
    score: Annotated[list[str] | None, typer.Option(
        "--score", help="COMPETENCY=N on the interview's scale; repeat for several.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="What the reviewer saw.")] = None,
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="Who reviewed (default: your user name).")] = None,
    question: Annotated[list[str] | None, typer.Option(
        "--question", help="QUESTION=N: a question's raw score (QUESTION is its number or"
                           " id); its level adjustment and hint penalty still apply.")] = None,
    resolve: Annotated[list[str] | None, typer.Option(
        "--resolve", help="QUESTION or QUESTION:FLAG: review flags you looked at and"
                          " resolved (needs --note saying why).")] = None,
) -> None:
    """Record a reviewer's overrides (per competency or per question), resolved flags and
    note; the original scores are never changed."""
    try:
        loaded = load_session(session)
        scores = [parse_score(s) for s in score or []]
        per_question = [parse_score(q, option="--question") for q in question or []]
        who = reviewer if reviewer is not None else _user()
        review = make_review(loaded.scorecard, scores, note, who, questions=per_question,
                             resolve=resolve or ())
        path = append_review(loaded.directory, review)
    except MockflowError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.PROBLEMS) from None
    out(f"review {review.id} recorded in {path}")
    root = loaded.directory.parent.parent
    try:
        queued = queue_event(root, loaded.directory, "session.reviewed")
    except MockflowError as exc:
        err(f"mockflow: warning: the webhook was not queued: {exc}")
        return
    if queued is not None:
        for q in asyncio.run(flush_all(root)):
            if q.report.errors:
                err(f"mockflow: warning: webhook not delivered yet ({q.report.errors[0]});"
                    f" it stays queued: mockflow sessions --results {root} --flush")


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
