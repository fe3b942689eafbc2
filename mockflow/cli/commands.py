"""The typer app: every command group, assembled here (``mockflow.cli.run()`` starts it).

Each command module imports only ``cli.common`` and the library. Exit codes:
``mockflow.cli.common.ExitCode``; every command runs inside ``Guarded``, which maps what
escapes it to one (``mockflow.cli.errors``), so a command added here needs no code for it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from mockflow import __version__
from mockflow.cli.calibrate import calibrate_command
from mockflow.cli.common import ExitCode, out
from mockflow.cli.draft import draft_command
from mockflow.cli.errors import DEBUG_ENV, report_failure
from mockflow.cli.invite import invite, serve
from mockflow.cli.new import new_command
from mockflow.cli.report import report_command
from mockflow.cli.rescore import rescore_command
from mockflow.cli.results_store import results_app
from mockflow.cli.review import review_command
from mockflow.cli.run import run_command
from mockflow.cli.sessions import sessions_command
from mockflow.cli.simulate import simulate_command, test_command
from mockflow.cli.validate import render, schema, validate


class Guarded(TyperGroup):
    """The app's group: runs the chosen command (and any sub-app's) and maps an exception
    that escapes it to a message and an exit code (``mockflow.cli.errors``)."""

    def invoke(self, ctx: Any) -> Any:  # typer's (vendored) click Context
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if _signal(exc):
                raise
            code = report_failure(exc, debug=bool(ctx.params.get("debug")))
            raise typer.Exit(code) from None


def _signal(exc: Exception) -> bool:
    """A command's own exit (``typer.Exit``), an abort, or a usage error the command line
    parser reports itself: everything typer (and the click inside it) raises."""
    return type(exc).__module__.split(".")[0] in ("typer", "click")


app = typer.Typer(
    cls=Guarded,
    name="mockflow",
    help="Structured, fair voice interviews from plain YAML.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        out(f"mockflow {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help=f"Show the traceback of an internal error (or set"
                                            f" {DEBUG_ENV}=1).")
    ] = False,
) -> None:
    """mockflow: validate, render and run structured interviews."""


app.command()(validate)
app.command()(render)
app.command()(schema)
app.command()(invite)
app.command()(serve)
app.command("new")(new_command)
app.command("draft")(draft_command)
app.command("run")(run_command)
app.command("simulate")(simulate_command)
app.command("test")(test_command)
app.command("calibrate")(calibrate_command)
app.command("rescore")(rescore_command)
app.command("sessions")(sessions_command)
app.command("report")(report_command)
app.command("review")(review_command)
app.add_typer(results_app, name="results")
