"""Exceptions to exit codes: the one place, for every command.

Every command runs inside one guard (``mockflow.cli.commands``: the app's group class; and
``mockflow.cli.run`` for the fast ``validate`` path), so a new command gets it without
code of its own. What escapes a command is mapped here:

- ``typer.Exit``/click's own exits and usage errors pass through untouched (a command
  that printed its message and chose its code);
- a ``MockflowError`` (library code's typed errors; every mockflow error derives from it)
  prints ``mockflow: error: <message>`` and exits with the code ``EXIT_CODES`` gives its
  class, the nearest base class counting;
- anything else is a bug in mockflow: one line, ``mockflow: internal error: <type>:
  <message>``, and exit 3. ``mockflow --debug`` or ``MOCKFLOW_DEBUG=1`` prints the
  traceback first.

The commands still catch the library errors they expect at each step and pick that step's
code (``report`` exits 1 for a session it can't read, 2 for an ``-o`` file it can't
write; a persona file's problems are printed one per line); whatever they don't catch
falls through to this map, so a new command can simply let errors escape.

Importing this module imports neither typer nor the modules that define the errors (the
worker's would bring livekit): the table names classes by their dotted path, and
``tests/test_cli_errors.py`` checks that each one exists and derives from
``MockflowError``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping

from mockflow.cli.common import ExitCode, err
from mockflow.format.errors import MockflowError

DEBUG_ENV = "MOCKFLOW_DEBUG"
MAX_MESSAGE_CHARS = 500

_OFF = ("", "0", "false", "no", "off")

# The exit code of each library error that can reach the command line, by class (the
# nearest listed base class applies). 1: the input has problems; 2: usage or environment
# (a path, a spec, a credential, a service); 3: mockflow failed.
EXIT_CODES: Mapping[str, ExitCode] = {
    "mockflow.format.errors.MockflowError": ExitCode.PROBLEMS,
    "mockflow.format.errors.InputError": ExitCode.USAGE,
    "mockflow.format.errors.InterviewInvalid": ExitCode.PROBLEMS,
    "mockflow.format.errors.TemplateRenderError": ExitCode.PROBLEMS,
    "mockflow.interview.errors.EngineError": ExitCode.INTERNAL,
    "mockflow.scoring.judge.JudgeUnavailable": ExitCode.USAGE,
    "mockflow.scoring.calibration.CalibrationFileError": ExitCode.USAGE,
    "mockflow.results.durable.ResultsError": ExitCode.USAGE,
    "mockflow.results.files.SessionFileError": ExitCode.PROBLEMS,
    "mockflow.results.reviews.ReviewError": ExitCode.PROBLEMS,
    "mockflow.results.report.compare.CompareError": ExitCode.PROBLEMS,
    "mockflow.results.store.backend.StoreError": ExitCode.USAGE,
    "mockflow.results.store.sync.StoreCorrupt": ExitCode.PROBLEMS,
    "mockflow.results.store.uploads.QueueError": ExitCode.USAGE,
    "mockflow.live.invite.InviteError": ExitCode.USAGE,
    "mockflow.live.startup.AgentNameConflict": ExitCode.USAGE,
    "mockflow.live.worker.LiveKitUnreachable": ExitCode.INTERNAL,
    "mockflow.simulate.personas.PersonaError": ExitCode.USAGE,
    "mockflow.simulate.persona_files.PersonaFileError": ExitCode.PROBLEMS,
    "mockflow.authoring.errors.ScaffoldError": ExitCode.USAGE,
    "mockflow.authoring.errors.TargetExists": ExitCode.USAGE,
    "mockflow.authoring.errors.DraftUnavailable": ExitCode.USAGE,
    "mockflow.authoring.errors.DraftFailed": ExitCode.USAGE,
    "mockflow.authoring.errors.DraftEditError": ExitCode.USAGE,
    "mockflow.authoring.errors.AcceptError": ExitCode.USAGE,
    "mockflow.results.invites.InviteStoreError": ExitCode.USAGE,
    "mockflow.web.assets.AssetsMissing": ExitCode.USAGE,
    "mockflow.web.origins.AddressError": ExitCode.USAGE,
    "mockflow.live.local_voice.errors.LocalVoiceUnavailable": ExitCode.USAGE,
    "mockflow.live.console_audio.SoundDeviceUnavailable": ExitCode.USAGE,
}


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def exit_code(exc: BaseException) -> ExitCode:
    """The exit code for an exception that escaped a command."""
    for cls in type(exc).__mro__:
        code = EXIT_CODES.get(_qualified(cls))
        if code is not None:
            return code
    return ExitCode.INTERNAL


def debug_enabled(flag: bool = False) -> bool:
    """``--debug`` or ``MOCKFLOW_DEBUG`` set to anything but empty/0/false/no/off."""
    return flag or os.environ.get(DEBUG_ENV, "").strip().lower() not in _OFF


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (bounded)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS - 1] + "…"


def message(exc: BaseException) -> str:
    """What the user reads: the error's own message, or a bug report's first line."""
    if isinstance(exc, MockflowError):
        return f"mockflow: error: {one_line(exc)}"
    what = type(exc).__qualname__
    text = one_line(exc)
    return (f"mockflow: internal error: {what}{': ' + text if text else ''} (a bug in"
            f" mockflow: please report it; `mockflow --debug ...` or {DEBUG_ENV}=1 shows the"
            " traceback)")


def report_failure(exc: BaseException, *, debug: bool = False) -> ExitCode:
    """Print what the user needs to know about ``exc`` (the traceback first with
    ``debug``) and return the exit code."""
    if debug_enabled(debug):
        sys.stderr.flush()
        traceback.print_exception(exc, file=sys.stderr)
    err(message(exc))
    return exit_code(exc)
