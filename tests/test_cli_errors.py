"""One exception hierarchy, one exit-code map: what escapes any command.

The commands are enumerated from the typer app itself, so a command added later is
covered without touching this file. A planted exception in a command's implementation
exits 3 with one line (no traceback unless ``--debug`` or ``MOCKFLOW_DEBUG=1``); a typed
library error escaping a command exits with the code ``mockflow.cli.errors.EXIT_CODES``
gives its class.
"""

from __future__ import annotations

import asyncio
import enum
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import ROOT
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.cli.common import ExitCode
from mockflow.cli.errors import DEBUG_ENV, EXIT_CODES, exit_code, message
from mockflow.format.errors import InputError, MockflowError
from mockflow.format.templates import Candidate
from mockflow.format.validate import check_file
from mockflow.results.files import ResultsError, SessionFileError

BACKEND = ROOT / "interviews" / "backend.yaml"


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    commands = getattr(command, "commands", None)
    if commands is None:
        yield path, command
        return
    for name, sub in sorted(commands.items()):
        yield from _leaves(sub, (*path, name))


COMMANDS = [path for path, _ in _leaves(typer.main.get_command(app))]


def _value(param: Any, tmp_path: Path) -> str:
    """Something the parser accepts for a required parameter (the callback never runs):
    an enum's first value, a number, else a path."""
    described = getattr(param, "type_descriptor", None)  # typer >= 0.20's own parameters
    kind = getattr(described, "annotation", None) or getattr(param, "type", None)
    choices = getattr(kind, "choices", None)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return str(next(iter(kind)).value)
    if choices:
        return str(next(iter(choices)))
    if kind in (int, float) or getattr(kind, "name", "") in ("integer", "float"):
        return "1"
    return str(tmp_path / "input")


def _arguments(command: Any, tmp_path: Path) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        value = _value(param, tmp_path)
        if param.param_type_name == "option":
            args += [param.opts[0], value]
        else:
            args.append(value)
    return args


def _invoke(path: tuple[str, ...], tmp_path: Path, error: BaseException, *,
            debug: bool = False, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``mockflow [--debug] <path> <required args>`` with the command's own callback
    (its implementation) replaced by one that raises ``error``."""
    group = typer.main.get_command(app)  # built afresh: the patch stays in this object
    command = group
    for name in path:
        command = command.commands[name]

    def planted(**_: Any) -> None:
        raise error

    command.callback = planted
    argv = [*(["--debug"] if debug else []), *path, *_arguments(command, tmp_path)]
    with pytest.raises(SystemExit) as done:
        group.main(args=argv, prog_name="mockflow")
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.err


def test_the_app_has_the_commands_we_know() -> None:
    """The enumeration is not vacuous: it finds every command, nested ones included."""
    names = {" ".join(p) for p in COMMANDS}
    assert {"validate", "render", "run", "report", "results flush", "results sync"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_a_planted_exception_in_any_command_exits_3_with_one_line(
        path: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    code, err = _invoke(path, tmp_path, KeyError("overall"), capsys=capsys)
    assert code == ExitCode.INTERNAL == 3
    assert err.splitlines() == [
        "mockflow: internal error: KeyError: 'overall' (a bug in mockflow: please report it;"
        f" `mockflow --debug ...` or {DEBUG_ENV}=1 shows the traceback)"]


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    code, err = _invoke(("report",), tmp_path, ZeroDivisionError("division by zero"),
                        debug=True, capsys=capsys)
    assert code == 3
    assert err.startswith("Traceback (most recent call last):")
    assert "in planted" in err  # where it was raised
    assert err.splitlines()[-1].startswith(
        "mockflow: internal error: ZeroDivisionError: division by zero")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_mockflow_debug_env_shows_the_traceback(value: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEBUG_ENV, value)
    code, err = _invoke(("sessions",), tmp_path, RuntimeError("boom"), capsys=capsys)
    assert code == 3
    assert "Traceback (most recent call last):" in err
    assert err.splitlines()[-1].startswith("mockflow: internal error: RuntimeError: boom")


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off"])
def test_mockflow_debug_off_values(value: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEBUG_ENV, value)
    code, err = _invoke(("sessions",), tmp_path, RuntimeError("boom"), capsys=capsys)
    assert code == 3
    assert "Traceback" not in err


@pytest.mark.parametrize(("error", "code", "line"), [
    (InputError("cannot read x.yaml: no such file; check the path"), ExitCode.USAGE,
     "mockflow: error: cannot read x.yaml: no such file; check the path"),
    (SessionFileError(Path("s/session.json"), "not valid JSON"), ExitCode.PROBLEMS,
     "mockflow: error: s/session.json: not valid JSON"),
    (ResultsError("cannot write out.html: Permission denied"), ExitCode.USAGE,
     "mockflow: error: cannot write out.html: Permission denied"),
    (MockflowError("a problem\nover two lines"), ExitCode.PROBLEMS,
     "mockflow: error: a problem over two lines"),
])
def test_a_library_error_escaping_a_command_exits_with_its_code(
        error: MockflowError, code: ExitCode, line: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    got, err = _invoke(("review",), tmp_path, error, capsys=capsys)
    assert (got, err.splitlines()) == (code, [line])


def test_a_commands_own_exit_and_usage_errors_pass_through(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _invoke(("report",), tmp_path, typer.Exit(2), capsys=capsys) == (2, "")
    group = typer.main.get_command(app)
    with pytest.raises(SystemExit) as done:
        group.main(args=["report", "--format", "pdf", "x"], prog_name="mockflow")
    assert done.value.code == 2
    assert "Invalid value for '--format'" in capsys.readouterr().err


def test_the_exit_code_table_names_real_mockflow_errors() -> None:
    """Every class the table names exists where it says and derives from MockflowError
    (a class moved or renamed would silently fall back to its base's code)."""
    for dotted in EXIT_CODES:
        module, _, name = dotted.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        assert issubclass(cls, MockflowError), dotted
        assert f"{cls.__module__}.{cls.__qualname__}" == dotted


def test_the_nearest_listed_class_decides() -> None:
    from mockflow.results.store.sync import StoreCorrupt

    corrupt = StoreCorrupt.__new__(StoreCorrupt)
    assert exit_code(corrupt) is ExitCode.PROBLEMS  # not StoreError's USAGE
    assert exit_code(ValueError("x")) is ExitCode.INTERNAL
    assert exit_code(MockflowError("x")) is ExitCode.PROBLEMS
    assert message(OSError(28, "No space left on device")).startswith(
        "mockflow: internal error: OSError: [Errno 28] No space left on device (a bug")


def test_the_fast_validate_path_has_the_same_guard() -> None:
    """``mockflow validate FILE`` runs without typer (the console script's fast path); a
    bug there also exits 3 with one line."""
    code = ("import sys, mockflow.cli.check as check\n"
            "def broken(path, **options):\n"
            "    raise AttributeError(\"'NoneType' object has no attribute 'line'\")\n"
            "check.check_file = broken\n"
            f"sys.argv = ['mockflow', 'validate', {str(BACKEND)!r}]\n"
            "from mockflow.cli import run\n"
            "run()\n")
    env = {k: v for k, v in os.environ.items() if k != DEBUG_ENV}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 3
    assert done.stderr.splitlines() == [
        "mockflow: internal error: AttributeError: 'NoneType' object has no attribute"
        " 'line' (a bug in mockflow: please report it; `mockflow --debug ...` or"
        f" {DEBUG_ENV}=1 shows the traceback)"]


def test_a_bug_in_the_markdown_renderer_exits_3_not_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's case, end to end on a real session: today's exit was 1 ("problems in
    the input") with a traceback."""
    from mockflow.simulate.runner import simulate

    compiled = check_file(str(BACKEND)).compiled
    assert compiled is not None
    outcome = asyncio.run(simulate(compiled, "average", seed=3, results_root=tmp_path,
                                   candidate=Candidate(name=None)))
    directory = outcome.recorder.directory

    def broken(text: str) -> str:
        raise IndexError("list index out of range")

    monkeypatch.delenv(DEBUG_ENV, raising=False)
    monkeypatch.setattr("mockflow.results.report.md.md", broken)
    result = CliRunner().invoke(app, ["report", str(directory), "--format", "md"])
    assert result.exit_code == 3, result.output
    assert result.output.splitlines() == [
        "mockflow: internal error: IndexError: list index out of range (a bug in mockflow:"
        f" please report it; `mockflow --debug ...` or {DEBUG_ENV}=1 shows the traceback)"]
    assert CliRunner().invoke(app, ["report", str(directory), "--format", "html"]
                              ).exit_code == 0
