"""``mockflow report``: a session's report as HTML, Markdown or JSON; several sessions
of one interview as a comparison."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from mockflow.cli.common import ExitCode, err, refuse_store_urls
from mockflow.format.errors import MockflowError
from mockflow.results.durable import write_output
from mockflow.results.load import load_session
from mockflow.results.record_schemas import check_record
from mockflow.results.report.compare import render_compare_html, render_compare_md
from mockflow.results.report.html import render_html
from mockflow.results.report.md import render_md
from mockflow.results.report.model import build_report


class ReportFormat(StrEnum):
    html = "html"
    md = "md"
    json = "json"


def report_command(
    sessions: Annotated[list[Path], typer.Argument(
        help="Session directories (or a file in one); several of one interview compare.",
        show_default=False)],
    format: Annotated[ReportFormat, typer.Option("--format", "-f",
                                                 help="html, md or json.")] = ReportFormat.html,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write here instead of standard output (a new or regular"
        " file: replaced atomically, 0600; a FIFO, device or link: written through).")
    ] = None,
) -> None:
    """A session's report: scores with their evidence, the transcript, review flags."""
    refuse_store_urls("report", sessions)
    try:
        loaded = [load_session(path) for path in sessions]
        if format is ReportFormat.json:
            cards: list[Any] = []
            for item in loaded:
                check_record("scorecard", item.scorecard_path or item.directory,
                             item.scorecard)
                # the reviewed view when reviewed: overrides and resolved flags, who and why
                cards.append(item.current.card if item.reviews else item.scorecard)
            text = json.dumps(cards[0] if len(cards) == 1 else cards, indent=2,
                              sort_keys=True, ensure_ascii=False) + "\n"
        else:
            reports = [build_report(item) for item in loaded]
            if len(reports) == 1:
                text = (render_html if format is ReportFormat.html else render_md)(reports[0])
            elif format is ReportFormat.html:
                text = render_compare_html(reports)
            else:
                text = render_compare_md(reports)
    except MockflowError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.PROBLEMS) from None
    if output is None:
        sys.stdout.write(text)
        return
    try:  # a FIFO, a terminal, /dev/null or a link is written through, never replaced
        write_output(output, text.encode("utf-8"))
    except MockflowError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    err(f"wrote {output}")
