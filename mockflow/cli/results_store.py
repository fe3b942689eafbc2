"""``mockflow results flush`` and ``mockflow results sync``: the results store by hand.

``flush`` uploads what a results directory still has queued (after an outage of the
store, or a worker that was killed); ``sync`` brings the local copy of an s3:// store up
to date and prints its directory, so any command or tool can read it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mockflow.cli.common import ExitCode, err, out, plural

results_app = typer.Typer(
    name="results",
    help="The results store: upload what is queued, sync an s3:// store to a local copy.",
    no_args_is_help=True,
)

_RESULTS_HELP = ("Results directory, or s3://bucket/prefix (env MOCKFLOW_RESULTS, default"
                 " ./results).")


@results_app.command("flush")
def flush_command(
    results: Annotated[str | None, typer.Option(help=_RESULTS_HELP)] = None,
) -> None:
    """Upload every file still queued for the store; exit 2 if some are still queued."""
    from mockflow.results.store.backend import StoreError, is_remote, results_target
    from mockflow.results.store.sync import cache_directory
    from mockflow.results.store.uploads import flush_uploads

    try:
        target = results_target(results, os.environ)
        # an s3:// spec: what commands wrote into its local copy (reviews) goes up
        directory = (cache_directory(target.store) if results and is_remote(results)
                     and target.store else target.directory)
        result = flush_uploads(Path(directory))
    except (StoreError, OSError) as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    if result.remaining:
        err(f"mockflow: uploaded {plural(result.uploaded, 'file')} from {directory};"
            f" {result.remaining} still queued: {result.error}")
        raise typer.Exit(ExitCode.USAGE)
    out(f"uploaded {plural(result.uploaded, 'file')} from {directory}; nothing left queued")


@results_app.command("sync")
def sync_command(
    results: Annotated[str, typer.Option(help="s3://bucket/prefix to copy from.")],
) -> None:
    """Copy a store's new and changed session files into a local cache; print its path."""
    from mockflow.results.store.backend import StoreError
    from mockflow.results.store.sync import StoreCorrupt, resolve_results

    try:
        directory = resolve_results(results)
    except StoreCorrupt as exc:
        for problem in exc.problems:
            err(f"mockflow: error: {problem}")
        out(str(exc.directory))
        raise typer.Exit(ExitCode.PROBLEMS) from None
    except StoreError as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    out(str(directory))
