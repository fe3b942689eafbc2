"""Start-up: ``mockflow validate`` without typer, pydantic or the reference validator when
it needn't; ``mockflow run --console`` shows the opening before livekit loads.

No timings here (benchmarks/startup.py measures them): these check what is imported and
in which order, and that the fast path says exactly what the full command line says.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.cli.check import plain_arguments
from mockflow.cli.common import Format

ROOT = Path(__file__).resolve().parent.parent
VALID = [str(p) for p in sorted((ROOT / "interviews").glob("*.yaml"))]
CASES = ROOT / "tests" / "cases" / "invalid"
INVALID = str(next(CASES.glob("MF203-typo*.yaml")))
# a broken file from every stage of the front end: YAML, encoding, loader limits, schema,
# cross-references, templates, fairness and readiness lints
BROKEN = [str(CASES / name) for name in (
    "MF001-unclosed-quote.yaml", "MF002-latin1.yaml", "MF009-empty-file.yaml",
    "MF013-nan.yaml", "MF101-unknown-competency.yaml", "MF115-metadata-address.yaml",
    "MF202-missing-top-level-key.yaml", "MF301-missing-endif.yaml", "MF303-unknown-variable.yaml",
    "MF505-hint-religion.yaml", "MF509-drafted-not-reviewed.yaml")]
MODULES = ("import sys; from mockflow.cli import run; sys.argv = ['mockflow', *{argv!r}]\n"
           "try:\n    run()\nexcept SystemExit as exc:\n    code = exc.code\n"
           "print('MODULES', sorted({{m.split('.')[0] for m in sys.modules}}"
           " & {{'typer', 'pydantic', 'jsonschema', 'livekit'}}), code)")


def _imported(argv: list[str]) -> tuple[list[str], int]:
    out = subprocess.run([sys.executable, "-c", MODULES.format(argv=argv)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    line = next(x for x in out.stdout.splitlines() if x.startswith("MODULES"))
    names, code = line.removeprefix("MODULES ").rsplit(" ", 1)
    return eval(names), int(code)  # a list literal of module names printed above


def test_validating_valid_files_imports_neither_typer_nor_the_reference_validator() -> None:
    names, code = _imported(["validate", *VALID])
    assert code == 0
    assert names == []


def test_an_invalid_file_loads_the_reference_validator_for_its_messages() -> None:
    names, code = _imported(["validate", INVALID])
    assert code == 1
    assert names == ["jsonschema"]


# what validate left behind (benchmarks/startup.py): the schema is read beside its module,
# not through importlib.resources (which imports zipfile, tempfile, shutil ...), and
# pathlib is only a type on the way (a file with schema errors loads the reference validator,
# jsonschema, which imports them itself: MF2xx, and MF115 whose check is in the schema);
# a file the quick schema pass vouches for never loads the compiled validator, jsonschema_rs,
# which imports email, socket and decimal as it loads
NOT_ON_VALIDATE = ("importlib.resources", "zipfile", "pathlib", "jsonschema_rs", "email",
                   "socket", "decimal")
LOADED = ("import sys; from mockflow.cli import run; sys.argv = ['mockflow', *{argv!r}]\n"
          "try:\n    run()\nexcept SystemExit:\n    pass\n"
          "print('LOADED', sorted(m for m in {names!r} if m in sys.modules))")


@pytest.mark.parametrize("argv", [
    [*VALID], ["--format", "json", *(b for b in BROKEN if "MF2" not in b and "MF115" not in b)]])
def test_validate_leaves_out_what_it_does_not_need(argv: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", LOADED.format(argv=["validate", *argv],
                                             names=NOT_ON_VALIDATE)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    line = next(x for x in out.stdout.splitlines() if x.startswith("LOADED"))
    assert line == "LOADED []"


def test_help_and_unusual_arguments_go_to_the_full_command_line() -> None:
    names, _ = _imported(["validate", "--help"])
    assert "typer" in names
    assert plain_arguments(["--help"]) is None
    assert plain_arguments(["--format", "yaml", "a.yaml"]) is None
    assert plain_arguments(["--format"]) is None
    assert plain_arguments([]) is None
    assert plain_arguments(["-x", "a.yaml"]) is None
    assert plain_arguments(["--strict", "--format=json", "a.yaml", "-"]) == (
        ["a.yaml", "-"], Format.json, True)
    assert plain_arguments(["--", "--odd-name.yaml"]) == (["--odd-name.yaml"], Format.text,
                                                           False)


@pytest.mark.parametrize("argv", [
    [*VALID],
    ["--format", "json", *VALID],
    [INVALID, VALID[0]],
    ["--format=json", INVALID],
    ["--strict", VALID[0]],
    ["missing-file.yaml", VALID[0]],
    [*BROKEN, VALID[0]],
    ["--format", "json", *BROKEN],
    ["--strict", "--format=json", *BROKEN[-2:], *VALID],
    ["--", *BROKEN[:3]],
])
def test_the_fast_path_says_exactly_what_the_full_command_line_says(argv: list[str]) -> None:
    fast = subprocess.run([sys.executable, "-m", "mockflow", "validate", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    full = CliRunner().invoke(app, ["validate", *argv])
    assert fast.returncode == full.exit_code
    assert fast.stdout + fast.stderr == full.output


def test_console_shows_the_opening_once_and_before_livekit_loads(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OPENAI_API_KEY": ""}
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mockflow", "run", "interviews/backend.yaml",
         "--console", "--offline", "--results", str(tmp_path)],
        cwd=ROOT, input="/quit\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=env, timeout=180)
    lines = out.stdout.splitlines()
    opening = [i for i, line in enumerate(lines) if line.startswith("Alex: Hi")]
    livekit = next(i for i, line in enumerate(lines)
                   if line.startswith("import time:")
                   and line.split("|")[-1].strip() == "livekit.agents")
    assert len(opening) == 1, [x for x in lines if not x.startswith("import time:")]
    assert opening[0] < livekit
    assert lines.index(next(x for x in lines if x.startswith("mockflow console —"))) < opening[0]
