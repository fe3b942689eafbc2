"""``mockflow run FILE --console``'s fast start: a plain command line shows the first screen
before typer, pydantic and livekit load, and behaves exactly as the typer path (output,
errors, exit codes); anything else goes to typer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from mockflow.cli.console_start import ConsoleArgs, plain_console

BACKEND = str(ROOT / "interviews" / "backend.yaml")
MOCKFLOW = [sys.executable, "-c", "from mockflow.cli import run; run()"]


@pytest.mark.parametrize(("args", "expected"), [
    (["f.yaml", "--console"], ConsoleArgs("f.yaml")),
    (["--console", "--offline", "f.yaml"], ConsoleArgs("f.yaml", offline=True)),
    (["f.yaml", "--console", "--results", "out", "--seed", "7", "--candidate-name", "Sam"],
     ConsoleArgs("f.yaml", results="out", seed=7, candidate_name="Sam")),
    (["f.yaml", "--console", "--results=s3://b/p", "--seed=-3"],
     ConsoleArgs("f.yaml", results="s3://b/p", seed=-3)),
    (["--console", "--", "-odd.yaml"], ConsoleArgs("-odd.yaml")),
])
def test_a_plain_console_command_line_is_started_without_typer(
        args: list[str], expected: ConsoleArgs) -> None:
    assert plain_console(args, {}) == expected


@pytest.mark.parametrize("args", [
    ["f.yaml"],  # the worker
    ["f.yaml", "--console", "--help"],
    ["f.yaml", "--console", "--dev"],
    ["f.yaml", "--console", "--voice"],  # an option this path doesn't know
    ["f.yaml", "g.yaml", "--console"],
    ["--console"],
    ["f.yaml", "--console", "--seed", "seven"],  # typer says what is wrong
    ["f.yaml", "--console", "--results"],
    ["f.yaml", "--console=yes"],
])
def test_anything_else_goes_to_typer(args: list[str]) -> None:
    assert plain_console(args, {}) is None


def test_run_options_set_in_the_environment_go_to_typer() -> None:
    """typer checks MOCKFLOW_CONNECT_ATTEMPTS and the like even for --console."""
    assert plain_console(["f.yaml", "--console"], {"MOCKFLOW_CONNECT_ATTEMPTS": "x"}) is None
    assert plain_console(["f.yaml", "--console"], {"MOCKFLOW_EXECUTOR": "thread"}) is None


def test_the_first_screen_needs_no_typer_pydantic_or_livekit() -> None:
    code = (
        "import sys\n"
        "from mockflow.cli.console_start import opening, results_target, show\n"
        "from mockflow.cli.common import load_source\n"
        f"compiled, _ = load_source({BACKEND!r})\n"
        "target = results_target(compiled, None, {})\n"
        "show(opening(compiled, offline=True, candidate_name=None, seed=0,"
        " judge_offline=True, target=target))\n"
        "print(sorted(m for m in ('typer', 'pydantic', 'livekit', 'click')"
        " if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "mockflow console — Backend Engineer (mid)"
    assert lines[3].startswith("results: ")  # said before the first candidate word
    assert lines[5].startswith("Alex: Hi there, I'm Alex.")
    assert lines[-1] == "[]"


def _run(args: list[str], tmp_path: Path, *, typer_path: bool, stdin: str = "Yes\n/quit\n"
         ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "MOCKFLOW_", "LIVEKIT_"))}
    if typer_path:
        env["MOCKFLOW_IDLE_PROCESSES"] = "1"  # an environment option: the typer path
    return subprocess.run([*MOCKFLOW, "run", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


def _without_results_line(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("results: ")]


@pytest.mark.slow
def test_both_paths_run_the_same_interview(tmp_path: Path) -> None:
    fast = _run([BACKEND, "--console", "--offline", "--results", str(tmp_path / "a")],
                tmp_path, typer_path=False)
    typed = _run([BACKEND, "--console", "--offline", "--results", str(tmp_path / "b")],
                 tmp_path, typer_path=True)
    assert fast.returncode == typed.returncode == 0, (fast.stderr, typed.stderr)
    assert _without_results_line(fast.stdout) == _without_results_line(typed.stdout)
    assert fast.stdout.splitlines()[0] == "mockflow console — Backend Engineer (mid)"
    assert any(line.startswith("Alex: Great, let's begin.") for line in fast.stdout.splitlines())
    assert list((tmp_path / "a" / "backend-engineer").iterdir())  # the session's files


def test_both_paths_report_a_broken_file_and_a_bad_store_alike(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("mockflow: 1\nid: [\n")
    for args, code in (([str(broken), "--console"], 1),
                       ([str(tmp_path / "missing.yaml"), "--console"], 2),
                       ([BACKEND, "--console", "--results", "s3://x"], 2)):
        fast = _run(args, tmp_path, typer_path=False, stdin="")
        typed = _run(args, tmp_path, typer_path=True, stdin="")
        assert fast.returncode == typed.returncode == code, (args, fast.stderr, typed.stderr)
        assert fast.stderr == typed.stderr, args
        assert fast.stdout == typed.stdout == ""
