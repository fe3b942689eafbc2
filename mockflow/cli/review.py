"""``mockflow review``: a reviewer's scores and note, appended beside the session."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Annotated

import typer

from mockflow.cli.common import ExitCode, err, out, refuse_store_urls
from mockflow.format.errors import MockflowError
from mockflow.results.load import load_session
from mockflow.results.notify.events import queue_event
from mockflow.results.notify.flush import INTERACTIVE_DEADLINE, flush_all
from mockflow.results.reviews import append_review, make_review, parse_score
from mockflow.results.store.backend import StoreError
from mockflow.results.store.sync import publish_session_file


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
    note; the original scores are never changed. In the local copy of an s3:// store
    (`sessions --results s3://…`), the review is uploaded to the store too."""
    refuse_store_urls("review", [session])
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
    failed = False
    try:
        store = publish_session_file(path)
        if store is not None:
            out(f"uploaded to {store}")
    except StoreError as exc:  # saved and queued: a later flush uploads it
        err(f"mockflow: error: {exc}")
        failed = True
    root = loaded.directory.parent.parent
    try:
        queued = queue_event(root, loaded.directory, "session.reviewed")
    except MockflowError as exc:
        err(f"mockflow: warning: the webhook was not queued: {exc}")
        queued = None
    if queued is not None:  # bounded: a hung receiver never holds the reviewer up
        for q in asyncio.run(flush_all(root, deadline=INTERACTIVE_DEADLINE)):
            if q.report.errors or queued.exists():
                why = q.report.errors[0] if q.report.errors else "no answer in time"
                err(f"mockflow: warning: webhook not delivered yet ({why}); it stays"
                    f" queued: mockflow sessions --results {root} --flush")
    if failed:
        raise typer.Exit(ExitCode.PROBLEMS)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
