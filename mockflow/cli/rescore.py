"""``rescore``: score finished or interrupted sessions again, as a new scorecard version."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from mockflow.cli.common import ExitCode, Format, err, out, refuse_store_urls
from mockflow.format.errors import MockflowError


def _fmt(value: float | None) -> str:
    return "not observed" if value is None else f"{value:g}"


def _change(before: float | None, after: float | None) -> str:
    if before == after:
        return ""
    if before is None:
        return "now observed"
    if after is None:
        return "no longer observed"
    return f"{after - before:+.2f}"


def rescore_command(
    sessions: Annotated[list[Path], typer.Argument(help="Session directories"
                                                   " (results/<interview>/<session>).")],
    judge: Annotated[str | None, typer.Option(
        "--judge", help="offline, or llm (an OpenAI-compatible model; needs its API key or"
        " --judge-base-url). Default: what the interview file says.")] = None,
    judge_model: Annotated[str | None, typer.Option(
        "--judge-model", help="The judge's model (replaces the file's).")] = None,
    judge_base_url: Annotated[str | None, typer.Option(
        "--judge-base-url", help="The judge's OpenAI-compatible endpoint.")] = None,
    interview: Annotated[Path | None, typer.Option(
        "--interview", help="The interview file the sessions ran (default: the copy each"
        " session keeps).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """Re-score sessions (finished or interrupted) and write a new scorecard version beside
    the old ones; print what changed per competency."""
    from mockflow.results.notify.events import queue_event
    from mockflow.results.rescore import competency_diff, compiled_for, load_stored, rescore
    from mockflow.results.store.backend import StoreError
    from mockflow.results.store.sync import publish_session_file
    from mockflow.scoring.judge import choose

    refuse_store_urls("rescore", sessions)
    if judge not in (None, "offline", "llm"):
        err(f"mockflow: error: --judge must be offline or llm, not '{judge}'")
        raise typer.Exit(ExitCode.USAGE)
    if judge == "offline" and (judge_model or judge_base_url):
        err("mockflow: error: --judge-model and --judge-base-url need --judge llm")
        raise typer.Exit(ExitCode.USAGE)
    reports = []
    failed = False
    for directory in sessions:
        try:
            stored = load_stored(directory)
            compiled = compiled_for(stored, interview)
            choice = choose(compiled.interview, os.environ,
                            mode=judge or ("llm" if judge_model or judge_base_url else None),
                            model=judge_model, base_url=judge_base_url)
            now = datetime.now(UTC).isoformat(timespec="seconds")
            done = rescore(directory, choice, interview=interview, now=now)
        except MockflowError as exc:
            err(f"mockflow: error: {directory}: {exc}")
            failed = True
            continue
        try:  # in the local copy of an s3:// store: the new version goes up too
            publish_session_file(done.path)
        except StoreError as exc:
            err(f"mockflow: error: {directory}: {exc}")
            failed = True
        try:
            queue_event(directory.parent.parent, directory, "session.rescored")
        except MockflowError as exc:  # the new version stands; only the notice is missing
            err(f"mockflow: warning: {directory}: the webhook was not queued: {exc}")
        rows = competency_diff(done.previous, done.scorecard)
        reports.append({
            "session": str(directory), "version": done.version, "path": str(done.path),
            "previous": None if done.previous_path is None else str(done.previous_path),
            "judge": done.scorecard["judge"], "reused_judgements": done.reused,
            "scored_now": done.scored,
            "review": done.scorecard.get("review", []),
            "competencies": [{"name": n, "before": b, "after": a} for n, b, a in rows],
        })
        if fmt is Format.text:
            source = done.scorecard["judge"]["source"]
            out(f"{directory}: scorecard version {done.version} ({done.path.name}), judge"
                f" {source}; {done.reused} judgement(s) reused, {done.scored} scored now")
            before = "—" if done.previous_path is None else done.previous_path.name
            width = max(len(n) for n, _, _ in rows)
            out(f"  {'competency'.ljust(width)}  {before:>16}  {'now':>12}  change")
            for name, b, a in rows:
                change = _change(b, a)
                out(f"  {name.ljust(width)}  {_fmt(b):>16}  {_fmt(a):>12}  {change}")
            flags = done.scorecard.get("review", [])
            if flags:
                out(f"  for review: {len(flags)} flag(s): " + "; ".join(
                    f"q{f['number']} {f['flag']}" for f in flags))
    if fmt is Format.json:
        out(json.dumps({"sessions": reports}, indent=2, ensure_ascii=False))
    if failed:  # every session that could be re-scored was; the others are named above
        raise typer.Exit(ExitCode.USAGE)
