"""The front-end pipeline: bytes → loader → schema → model → checks → compiled interview.

Problems are values: every stage that can run does, and all of its problems are reported
at once. A later stage only runs when the earlier ones found no errors (their output
would be meaningless otherwise), so a file never gets a cascade of follow-on errors.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mockflow.format.checks import semantic_problems
from mockflow.format.compile import CompiledInterview, compile_interview
from mockflow.format.errors import INTERNAL, InputError, InterviewInvalid, Problem
from mockflow.format.model import Interview, build_interview
from mockflow.format.partial import usable_part
from mockflow.format.schema import schema_errors, translate
from mockflow.format.yaml_io import MAX_BYTES, load_bytes

if TYPE_CHECKING:
    from pathlib import Path as FsPath


@dataclass(slots=True)
class CheckResult:
    """One file's problems and, when it has no errors, its model and compiled form."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    interview: Interview | None = None
    compiled: CompiledInterview | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def ok(self, *, strict: bool = False) -> bool:
        return not (self.problems if strict else self.errors)


def check_bytes(raw: bytes, path: str = "<stdin>", *, compile: bool = True) -> CheckResult:
    """Run the whole front end on a file's bytes. Never raises: bad input is reported as
    problems, and a failure inside mockflow itself as one ``MF000`` problem for the file.
    ``compile=False`` stops after the checks (``compiled`` stays None): what ``mockflow
    validate`` needs, which reports problems only.

    Python's cyclic garbage collector is paused meanwhile: the loaded data holds no
    cycles, and collections triggered by building it walk every object loaded so far
    again and again (about 30 % of the time for a 500-question file, more for larger
    ones). It runs again, as it was, when the check returns."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _check(raw, path, compile)
    except Exception as exc:  # a bug in mockflow: reported for this file, never a traceback
        import logging  # only here: `validate` starts without it

        logging.getLogger("mockflow.format.validate").debug(
            "mockflow: internal error checking %s", path, exc_info=True)
        message = f"{type(exc).__name__}: {exc}"
        message = message if len(message) <= 200 else message[:197] + "..."
        return CheckResult(path, [Problem(
            INTERNAL, f"mockflow failed while checking this file ({message}); this is a bug"
            " in mockflow, please report it with the file", 1, 1)])
    finally:
        if collecting:
            gc.enable()


def _check(raw: bytes, path: str, compile: bool) -> CheckResult:
    result = CheckResult(path)
    doc = load_bytes(raw)
    if doc.problems or doc.data is None:
        result.problems = sorted(doc.problems, key=Problem.sort_key)
        return result
    errors = schema_errors(doc.data)
    if errors:
        # Every problem in one run: the parts whose shape is valid still get the semantic
        # and template checks; what depends on a damaged part is skipped (format.partial).
        problems = translate(errors, doc)
        usable = usable_part(doc.data, errors, schema_errors)
        if usable is not None:
            data, damage = usable
            more = semantic_problems(build_interview(data), doc, damage,
                                     skip_templates=[tuple(e.absolute_path) for e in errors])
            problems = sorted(set(problems) | set(more), key=Problem.sort_key)
        result.problems = problems
        return result
    interview = build_interview(doc.data)
    result.interview = interview
    result.problems = sorted(semantic_problems(interview, doc), key=Problem.sort_key)
    if compile and not result.errors:
        result.compiled = compile_interview(interview, doc.data)
    return result


def read_source(path: str) -> bytes:
    """Read an interview file (``-`` is stdin), capped at the loader's size limit."""
    import sys

    try:
        if path == "-":
            return sys.stdin.buffer.read(MAX_BYTES + 1)
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(f"cannot read '{path}': {reason}") from exc


def check_file(path: str, *, compile: bool = True) -> CheckResult:
    """Check one file; raises ``InputError`` when it can't be read."""
    return check_bytes(read_source(path), path, compile=compile)


def load_interview(path: str | FsPath) -> CompiledInterview:
    """Load and compile an interview; raises ``InterviewInvalid`` when it has errors."""
    result = check_file(str(path))
    if result.compiled is None:
        raise InterviewInvalid(str(path), result.problems)
    return result.compiled
