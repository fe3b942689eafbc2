"""``mockflow validate``'s report, and its fast path: no typer on the way.

``validate`` is the command people run most (CI, editors, pre-commit). Typer coerces every
non-flag parameter through pydantic, which costs more to import than checking three
interview files; so the console script (``mockflow.cli.run()``) hands a plain ``validate``
command line (paths, ``--format``, ``--strict``) straight to :func:`report`, and anything
else (``--help``, an unknown option) to the typer app, which calls the same :func:`report`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from mockflow.cli.common import ExitCode, Format, err, out, plural, problem_lines
from mockflow.format.errors import INTERNAL, InputError
from mockflow.format.validate import CheckResult, check_file


def report(paths: Sequence[str], fmt: Format, *, strict: bool) -> ExitCode:
    """Check every file, print the problems and the summary; the exit code to use."""
    results: list[CheckResult] = []
    io_errors: list[tuple[str, str]] = []
    for path in paths:
        try:
            results.append(check_file(path, compile=False))  # problems are all it reports
        except InputError as exc:
            io_errors.append((path, str(exc)))
    if fmt is Format.json:
        files: list[dict[str, object]] = [
            {
                "path": r.path,
                "valid": r.ok(strict=strict),
                "problems": [p.to_dict() for p in r.problems],
            }
            for r in results
        ]
        files += [{"path": p, "valid": False, "problems": [], "error": e} for p, e in io_errors]
        out(json.dumps({"files": files}, indent=2, ensure_ascii=False))
    else:
        for r in results:
            for line in problem_lines(r):
                out(line)
        for _, message in io_errors:
            err(f"mockflow: error: {message}")
        errors = sum(len(r.errors) for r in results)
        warnings = sum(len(r.warnings) for r in results)
        bad = sum(not r.ok(strict=strict) for r in results)
        summary = (
            f"{plural(len(results), 'file')} checked: {len(results) - bad} valid,"
            f" {bad} with problems ({plural(errors, 'error')}, {plural(warnings, 'warning')})"
        )
        if strict and warnings:
            summary += "; --strict counts warnings as problems"
        err(summary) if bad or io_errors else out(summary)
    if io_errors:
        return ExitCode.USAGE
    if any(p.code == INTERNAL for r in results for p in r.problems):
        return ExitCode.INTERNAL  # a bug in mockflow, reported per file (MF000)
    if any(not r.ok(strict=strict) for r in results):
        return ExitCode.PROBLEMS
    return ExitCode.OK


def plain_arguments(args: Sequence[str]) -> tuple[list[str], Format, bool] | None:
    """``validate``'s arguments when they are plain (paths, ``--format text|json``,
    ``--strict``/``--no-strict``, ``--``); None for anything the full parser should see
    (help, an unknown option, a missing value, no paths)."""
    paths: list[str] = []
    fmt, strict = Format.text, False
    items = iter(args)
    for arg in items:
        if arg == "--":
            paths.extend(items)
            break
        if arg in ("--strict", "--no-strict"):
            strict = arg == "--strict"
        elif arg == "--format" or arg.startswith("--format="):
            value = arg.partition("=")[2] if "=" in arg else next(items, None)
            if value not in (Format.text.value, Format.json.value):
                return None
            fmt = Format(value)
        elif arg.startswith("-") and arg != "-":
            return None
        else:
            paths.append(arg)
    return (paths, fmt, strict) if paths else None
