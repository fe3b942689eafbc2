"""``mockflow sessions``: the sessions under a results directory, newest first."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from mockflow.cli.common import ExitCode, Format, err, out, plural
from mockflow.format.errors import MockflowError
from mockflow.results.index import SessionIndex, SessionRow
from mockflow.results.notify.flush import flush_all
from mockflow.results.notify.webhook import retry_dead as retry_dead_webhooks
from mockflow.results.session_record import STATUSES
from mockflow.results.store.backend import StoreError, is_remote
from mockflow.results.store.sync import StoreCorrupt, reading_spec, resolve_results

FLUSH_DEADLINE = 60.0  # seconds one --flush may spend sending (deliveries run in parallel)
COLUMNS = ("DATE", "CANDIDATE", "INTERVIEW", "STATUS", "OVERALL", "FLAGS", "PATH")


def clean(text: str, limit: int = 40) -> str:
    """Candidate-controlled text made safe for a terminal: no control or format
    characters (escape sequences), one line, at most ``limit`` characters."""
    shown = "".join("?" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
                    for ch in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        err(f"mockflow: error: --since '{clean(value)}' is not a date; use YYYY-MM-DD or"
            " an ISO 8601 time such as 2026-11-29T09:00Z")
        raise typer.Exit(ExitCode.USAGE) from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def _overall(row: SessionRow) -> str:
    shown = "–" if row.overall is None else f"{row.overall:g}"
    if row.reviewed_overall is not None:
        shown += f" (rev {row.reviewed_overall:g})"
    return shown


def _table(rows: list[SessionRow], root: Path) -> list[str]:
    cells = [COLUMNS]
    for row in rows:
        date = (row.started_at or "")[:16].replace("T", " ")
        cells.append((date or "–", clean(row.candidate or "–"), clean(row.interview, 30),
                      row.status + (" ⚠" if row.problem else ""), _overall(row),
                      str(len(row.flags)) + (f" +{row.reviews}rv" if row.reviews else ""),
                      str(root / row.path)))
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
            for line in cells]


def _when(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local_copy(spec: str) -> tuple[Path, list[StoreError]]:
    """The directory to list: ``spec`` itself, or the synced copy of an s3:// store (with
    the objects that could not be synced); exit 2 if the store can't be read at all."""
    if not is_remote(spec):
        return Path(spec), []
    try:
        return resolve_results(spec), []
    except StoreCorrupt as exc:  # everything else was synced: list it, name the rest
        return exc.directory, list(exc.problems)
    except StoreError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None


def sessions_command(
    results: Annotated[str | None, typer.Option(
        "--results", help="Results directory or s3://bucket/prefix (synced to a local copy"
        " first; default: $MOCKFLOW_RESULTS or ./results).", show_default=False)] = None,
    interview: Annotated[str | None, typer.Option(
        "--interview", help="Only this interview id (or id@sha256:...).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Only sessions started at or after this UTC date/time.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help=f"Only this status: {', '.join(STATUSES)}.")] = None,
    format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    flush: Annotated[bool, typer.Option(
        "--flush", help="Also send what is due in the outbox (webhooks), each delivery on"
        " its retry schedule; exit 1 while any is overdue or undeliverable (for cron).")
    ] = False,
    retry_dead: Annotated[bool, typer.Option(
        "--retry-dead", help="With --flush: put undeliverable webhooks back in the outbox"
        " (attempts reset) first, once the receiver is fixed.")] = False,
) -> None:
    """List sessions, newest first (the index is rebuilt from the files when stale)."""
    if status is not None and status not in STATUSES:
        err(f"mockflow: error: --status '{clean(status)}' is not a status; use one of"
            f" {', '.join(STATUSES)}")
        raise typer.Exit(ExitCode.USAGE)
    after = _since(since)
    root, store_problems = _local_copy(reading_spec(results))
    if not root.is_dir():
        err(f"mockflow: error: no results directory at {root} (use --results DIR or set"
            " MOCKFLOW_RESULTS)")
        raise typer.Exit(ExitCode.USAGE)
    try:
        with SessionIndex(root) as index:
            rows = index.query(interview=interview, since=after, status=status)
    except MockflowError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    failed = bool(store_problems)
    for problem in store_problems:
        err(f"mockflow: error: {problem}")
    if retry_dead and not flush:
        err("mockflow: error: --retry-dead needs --flush")
        raise typer.Exit(ExitCode.USAGE)
    revived = retry_dead_webhooks(root) if retry_dead else 0
    queues = asyncio.run(flush_all(root, deadline=FLUSH_DEADLINE)) if flush else []
    if format is Format.json:
        doc: dict[str, Any] = {"results": str(root), "sessions": [r.to_dict() for r in rows]}
        if flush:
            doc["flush"] = {q.name: {"sent": q.report.sent, "waiting": q.report.waiting,
                                     "overdue": q.report.overdue,
                                     "next_retry": _when(q.report.next_retry),
                                     "dead": q.report.dead_total, "revived": revived,
                                     "errors": q.report.errors}
                            for q in queues}
        out(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        if rows:
            for line in _table(rows, root):
                out(line)
        out(f"{plural(len(rows), 'session')} in {root}")
    for q in queues:
        r = q.report
        line = f"{q.name}: {r.sent} sent, {r.waiting} waiting"
        if revived:
            line += f" ({revived} put back from dead/)"
        if r.overdue:
            line += (f", {r.overdue} overdue (failed before; next retry"
                     f" {_when(r.next_retry) or 'now'})")
        if r.dead_total:
            line += (f", {r.dead_total} undeliverable (in {root}/.outbox/{q.name}/dead;"
                     " fix the receiver, then --flush --retry-dead)")
        err(line)
        for failure in r.errors:
            err(f"  {failure}")
        failed = failed or not q.ok
    if failed:
        raise typer.Exit(ExitCode.PROBLEMS)
