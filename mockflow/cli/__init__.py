"""The ``mockflow`` command line. Nothing imports this package.

``run`` is the console script. The typer app (``mockflow.cli.commands``, one module per command
group) is imported only when needed: a plain ``mockflow validate`` command line goes
straight to its report (``mockflow.cli.check``) without typer, the command people run most
starting in about the time it takes to import its own libraries; a plain ``run FILE
--console`` shows its first screen before typer loads (``mockflow.cli.console_start``).
"""

from __future__ import annotations

import sys
from typing import Any


def run() -> None:
    """Console-script entry point."""
    argv = sys.argv[1:]
    if argv[:1] == ["validate"]:
        # Python's cyclic garbage collector is paused while the checker is imported (the
        # objects imports create are not garbage, and the passes over them cost about 5 %
        # of the command) and again for the exit; each file's check pauses it itself
        import gc

        gc.disable()
        from mockflow.cli.check import plain_arguments, report

        gc.enable()
        plain = plain_arguments(argv[1:])
        if plain is not None:
            paths, fmt, strict = plain
            try:
                code = report(paths, fmt, strict=strict)
            except Exception as exc:  # the same guard as every typer command
                from mockflow.cli.errors import report_failure

                code = report_failure(exc)
            gc.disable()
            raise SystemExit(int(code))
    if argv[:1] == ["run"]:
        # the console's first screen before typer, pydantic and livekit load
        from mockflow.cli.console_start import plain_console, start

        console = plain_console(argv[1:])
        if console is not None:
            try:
                status = start(console)
            except Exception as exc:  # the same guard as every typer command
                from mockflow.cli.errors import report_failure

                status = report_failure(exc)
            raise SystemExit(int(status))
    from mockflow.cli.commands import app

    app()


def __getattr__(name: str) -> Any:
    """The typer app as ``mockflow.cli.app`` (tests drive it)."""
    if name == "app":
        from mockflow.cli.commands import app

        return app
    raise AttributeError(f"module 'mockflow.cli' has no attribute {name!r}")
