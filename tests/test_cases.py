"""The validator's case matrix: every error code has a file that triggers it.

``tests/cases/valid/*.yaml`` must check clean (no errors and no warnings).
``tests/cases/invalid/*.yaml`` each hold one defect; their first line says what the
validator must report first::

    # expect: MF101 23:17 unknown competency 'sys_design'

(code, ``line:col`` of the first problem, and a substring of its message). Inputs too
big to commit (over 2 MB, over 200,000 values) are built in memory below as
``GENERATED`` cases with the same kind of expectation.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

from mockflow.format.errors import CODES, INTERNAL, Problem
from mockflow.format.validate import CheckResult, check_bytes
from mockflow.format.yaml_io import MAX_BYTES, MAX_NODES

CASES = ROOT / "tests" / "cases"
VALID = sorted((CASES / "valid").glob("*.yaml"))
INVALID = sorted((CASES / "invalid").glob("*.yaml"))
MINIMAL = CASES / "valid" / "minimal.yaml"

HEADER = re.compile(rb"^# expect: (MF\d{3}) (\d+):(\d+) (.+?)\r?$")
LINE = re.compile(
    r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)"
    r"\[(?P<code>MF\d{3})\] (?P<message>.+)$"
)

TIMEOUT_S = 10


@dataclass(frozen=True)
class Expect:
    code: str
    line: int
    column: int
    text: str

    def check(self, result: CheckResult) -> None:
        assert result.problems, f"expected {self}, got no problems"
        first = result.problems[0]
        got = (first.code, first.line, first.column)
        assert got == (self.code, self.line, self.column), (
            f"expected {self.code} at {self.line}:{self.column}, first problem is"
            f" {first.code} at {first.line}:{first.column}: {first.message}"
            f"\nall: {_listing(result.problems)}"
        )
        assert self.text in first.message, f"{self.text!r} not in {first.message!r}"
        assert first.pointer == "" or first.pointer.startswith("/"), first.pointer
        if CODES[self.code].severity == "warning":
            assert not result.errors, f"a warning case has errors: {_listing(result.errors)}"


def _listing(problems: list[Problem]) -> str:
    return "; ".join(f"{p.code} {p.line}:{p.column} {p.message}" for p in problems)


def read_expectation(path: Path) -> Expect:
    """Parse the ``# expect:`` header (read as bytes: some cases are not UTF-8)."""
    first_line = path.read_bytes().split(b"\n", 1)[0]
    match = HEADER.match(first_line)
    assert match, f"{path.name}: first line must be '# expect: CODE LINE:COL TEXT'"
    code, line, column, text = match.groups()
    return Expect(code.decode(), int(line), int(column), text.decode("ascii"))


def check_in_time(raw: bytes, path: str = "<generated>") -> CheckResult:
    """check_bytes under a timeout, so a pathological input fails instead of hanging."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(check_bytes, raw, path).result(timeout=TIMEOUT_S)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


# ------------------------------------------------------------------ valid and invalid files


def test_case_directories_are_populated() -> None:
    assert {p.name for p in VALID} >= {"minimal.yaml", "full.yaml"}
    assert INVALID


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_case_has_no_problems(path: Path) -> None:
    result = check_in_time(path.read_bytes(), str(path))
    assert result.problems == [], _listing(result.problems)
    assert result.ok(strict=True)
    assert result.compiled is not None


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_case_reports_its_problem_first(path: Path) -> None:
    expect = read_expectation(path)
    assert path.name.startswith(f"{expect.code}-"), "name a case file after its code"
    result = check_in_time(path.read_bytes(), str(path))
    expect.check(result)
    assert all(p.code in CODES for p in result.problems)
    assert result.compiled is None or not result.errors
    repeated = [p for i, p in enumerate(result.problems) if p in result.problems[:i]]
    assert not repeated, f"problem reported more than once: {_listing(repeated)}"


# ------------------------------------------------------------------ several problems at once

MULTI = sorted((CASES / "multi").glob("*.yaml"))


def read_expectations(path: Path) -> list[Expect]:
    """Every ``# expect:`` line at the top of a multi-problem case."""
    found: list[Expect] = []
    for raw in path.read_bytes().split(b"\n"):
        match = HEADER.match(raw)
        if match is None:
            break
        code, line, column, text = match.groups()
        found.append(Expect(code.decode(), int(line), int(column), text.decode("ascii")))
    return found


@pytest.mark.parametrize("path", MULTI, ids=lambda p: p.stem)
def test_multi_problem_case_reports_every_problem_in_one_run(path: Path) -> None:
    """Mistakes in different parts of a file are all reported at once, each at its place,
    with nothing more (no follow-on problems from a part with a schema error)."""
    expected = read_expectations(path)
    assert len(expected) >= 3, f"{path.name}: list every expected problem"
    result = check_in_time(path.read_bytes(), str(path))
    got = [(p.code, p.line, p.column) for p in result.problems]
    assert got == [(e.code, e.line, e.column) for e in expected], _listing(result.problems)
    for problem, expect in zip(result.problems, expected, strict=True):
        assert expect.text in problem.message, (expect, problem.message)
    assert result.compiled is None


def test_four_independent_mistakes_in_one_run() -> None:
    """The issue's example: a typo'd key, a bad reference, a bad template variable and a
    missing required key, all in one run (before: the schema errors only)."""
    result = check_in_time((CASES / "multi" / "four-independent-mistakes.yaml").read_bytes())
    assert sorted(p.code for p in result.problems) == ["MF102", "MF202", "MF203", "MF303"]


# ------------------------------------------------------------------ generated inputs


@dataclass(frozen=True)
class Generated:
    name: str
    build: Callable[[], bytes]
    expect: Expect


def _too_large() -> bytes:
    return b"mockflow: 1\n# " + b"x" * MAX_BYTES + b"\n"


def _too_many_nodes() -> bytes:
    # Values counted: the top mapping, the key 'facts', the list, then the items; the
    # item that makes MAX_NODES + 1 is reported.
    return b"facts: [" + b", ".join([b"0"] * (MAX_NODES + 1)) + b"]\n"


_FIRST_OVER = MAX_NODES + 1 - 3 - 1  # index of the reported item in the flow list
GENERATED: list[Generated] = [
    Generated("MF003-over-2mb", _too_large, Expect("MF003", 1, 1, f"{MAX_BYTES:,} bytes")),
    Generated(
        "MF012-too-many-values",
        _too_many_nodes,
        Expect("MF012", 1, len("facts: [") + 1 + 3 * _FIRST_OVER, f"{MAX_NODES:,}"),
    ),
    Generated(
        "MF002-utf16-bom",
        lambda: MINIMAL.read_text("utf-8").encode("utf-16"),
        Expect("MF002", 1, 1, "UTF-16"),
    ),
    Generated(
        "MF002-utf16le-no-bom",
        lambda: MINIMAL.read_text("utf-8").encode("utf-16-le"),
        Expect("MF002", 1, 1, "UTF-8"),
    ),
]


@pytest.mark.parametrize("case", GENERATED, ids=lambda g: g.name)
def test_generated_case(case: Generated) -> None:
    result = check_in_time(case.build())
    case.expect.check(result)


def test_every_code_has_a_case() -> None:
    covered = {read_expectation(p).code for p in INVALID} | {g.expect.code for g in GENERATED}
    missing = sorted(set(CODES) - covered - {INTERNAL})  # a bug has no case file
    assert not missing, f"codes without a case under tests/cases/invalid/: {missing}"
    unknown = sorted(covered - set(CODES))
    assert not unknown, f"cases expect unregistered codes: {unknown}"


# ------------------------------------------------------------------ template guards


@pytest.mark.parametrize(
    "greeting",
    [
        "Hi {{ candidate.name | default('there') }}.",
        "Hi{% if candidate.name %} {{ candidate.name }}{% endif %}.",
        "Hi{{ ' ' ~ candidate.name if candidate.name }}.",
        "Hi{% if candidate.name is defined %} {{ candidate.name }}{% endif %}.",
        "Hi{% if not candidate.name %} there{% else %} {{ candidate.name }}{% endif %}.",
    ],
    ids=["default-filter", "if-test", "inline-if", "is-defined", "if-not-else"],
)
def test_guarded_candidate_field_is_accepted(greeting: str) -> None:
    text = MINIMAL.read_text("utf-8").replace(
        "greeting: Hi, I'm Alex. Shall we start?", f"greeting: {json.dumps(greeting)}"
    )
    result = check_in_time(text.encode("utf-8"))
    assert result.problems == [], _listing(result.problems)


# ------------------------------------------------------------------ the command line

# One case per category, run through the real CLI.
CLI_CASES = {
    "loader": "MF004-duplicate-key.yaml",
    "semantic": "MF101-unknown-competency.yaml",
    "schema": "MF203-optional-key-typo.yaml",
    "template": "MF303-unknown-variable.yaml",
    "warning": "MF507-question-never-asked.yaml",
}


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "mockflow", "validate", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )


def _problem_lines(output: str) -> list[re.Match[str]]:
    return [m for line in output.splitlines() if (m := LINE.match(line))]


@pytest.mark.parametrize("category", sorted(CLI_CASES))
def test_cli_text_output(category: str) -> None:
    path = CASES / "invalid" / CLI_CASES[category]
    expect = read_expectation(path)
    severity = CODES[expect.code].severity
    done = run_cli(str(path))
    assert done.returncode == (0 if severity == "warning" else 1), done.stderr
    lines = _problem_lines(done.stdout)
    assert lines, done.stdout
    first = lines[0]
    assert first["path"] == str(path)
    assert (first["code"], int(first["line"]), int(first["col"])) == (
        expect.code, expect.line, expect.column,
    )
    assert first["severity"] == severity
    assert expect.text in first["message"]
    if severity == "warning":
        strict = run_cli("--strict", str(path))
        assert strict.returncode == 1
        assert _problem_lines(strict.stdout)[0]["code"] == expect.code
        assert "strict" in strict.stderr


@pytest.mark.parametrize("category", sorted(CLI_CASES))
def test_cli_json_output(category: str) -> None:
    path = CASES / "invalid" / CLI_CASES[category]
    expect = read_expectation(path)
    is_warning = CODES[expect.code].severity == "warning"
    done = run_cli("--format", "json", str(path))
    assert done.returncode == (0 if is_warning else 1), done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"files"}
    [entry] = report["files"]
    assert set(entry) == {"path", "valid", "problems"}
    assert entry["path"] == str(path)
    assert entry["valid"] is is_warning
    assert entry["problems"], entry
    for problem in entry["problems"]:
        assert set(problem) == {"code", "severity", "message", "line", "column", "pointer"}
        assert problem["code"] in CODES
        assert problem["severity"] == CODES[problem["code"]].severity
        assert isinstance(problem["message"], str) and problem["message"]
        assert isinstance(problem["line"], int) and problem["line"] >= 1
        assert isinstance(problem["column"], int) and problem["column"] >= 1
        assert isinstance(problem["pointer"], str)
    first = entry["problems"][0]
    assert (first["code"], first["line"], first["column"]) == (
        expect.code, expect.line, expect.column,
    )
    assert expect.text in first["message"]
    if is_warning:
        strict = json.loads(run_cli("--strict", "--format", "json", str(path)).stdout)
        assert strict["files"][0]["valid"] is False


def test_cli_valid_files_exit_zero_even_strict() -> None:
    done = run_cli("--strict", *map(str, VALID))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _problem_lines(done.stdout) == []
    assert f"{len(VALID)} files checked" in done.stdout


def test_cli_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-interview.yaml"
    done = run_cli(str(missing))
    assert done.returncode == 2
    assert str(missing) in done.stderr
    assert _problem_lines(done.stdout) == []


def test_cli_reads_stdin() -> None:
    ok = run_cli("-", stdin=MINIMAL.read_bytes())
    assert ok.returncode == 0, ok.stdout + ok.stderr
    path = CASES / "invalid" / CLI_CASES["semantic"]
    expect = read_expectation(path)
    bad = run_cli("-", stdin=path.read_bytes())
    assert bad.returncode == 1
    first = _problem_lines(bad.stdout)[0]
    assert (first["code"], int(first["line"]), int(first["col"])) == (
        expect.code, expect.line, expect.column,
    )
    assert first["path"] in {"-", "<stdin>"}
