"""Problems, stable error codes and the typed errors library code raises.

Every code mockflow can report is registered in ``CODES`` (one table: the README's
error-code table is checked against it, and every code has a case file under
``tests/cases/invalid/``). Library code never prints and never exits: validation
returns ``Problem`` values, and failures that stop work raise a ``MockflowError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Literal

from mockflow.format.frozen import frozen

Severity = Literal["error", "warning"]


@frozen
class CodeInfo:
    """What a code means (the README's error-code table) and whether it is an error."""

    title: str
    severity: Severity


INTERNAL = "MF000"  # a failure inside mockflow, reported per file (no case file can show it)

CODES: dict[str, CodeInfo] = {
    INTERNAL: CodeInfo("internal error in mockflow (a bug: please report it)", "error"),
    # -- the file and its YAML (MF0xx): the loader stops at the first fatal one
    "MF001": CodeInfo("YAML syntax error", "error"),
    "MF002": CodeInfo("file is not UTF-8 text", "error"),
    "MF003": CodeInfo("file too large", "error"),
    "MF004": CodeInfo("duplicate key", "error"),
    "MF005": CodeInfo("YAML tag not allowed", "error"),
    "MF006": CodeInfo("YAML anchor or alias not allowed", "error"),
    "MF007": CodeInfo("YAML merge key not allowed", "error"),
    "MF008": CodeInfo("more than one YAML document", "error"),
    "MF009": CodeInfo("top level is not a mapping", "error"),
    "MF010": CodeInfo("mapping key is not a string", "error"),
    "MF011": CodeInfo("nesting too deep", "error"),
    "MF012": CodeInfo("too many nodes", "error"),
    "MF013": CodeInfo("number out of range or not finite", "error"),
    # -- meaning (MF1xx): references, ids, ladder, budgets, tools
    "MF101": CodeInfo("unknown competency", "error"),
    "MF102": CodeInfo("unknown question", "error"),
    "MF103": CodeInfo("unknown ladder level", "error"),
    "MF104": CodeInfo("duplicate id", "error"),
    "MF105": CodeInfo("ladder thresholds out of order or off the scale", "error"),
    "MF106": CodeInfo("anchor score off the scale or repeated", "error"),
    "MF107": CodeInfo("anchors miss the scale's min or max", "error"),
    "MF108": CodeInfo("stage pool smaller than its pick", "error"),
    "MF109": CodeInfo("stage budgets exceed the total", "error"),
    "MF110": CodeInfo("question used by more than one stage", "error"),
    "MF111": CodeInfo("scale min not below max", "error"),
    "MF112": CodeInfo("wrap-up leaves no time for questions", "error"),
    "MF113": CodeInfo("reserved tool name", "error"),
    "MF114": CodeInfo("tool parameters are not an object JSON Schema", "error"),
    "MF115": CodeInfo("tool URL host not allowed", "error"),
    "MF116": CodeInfo("expected score range invalid", "error"),
    "MF117": CodeInfo("expectation for an unknown competency", "error"),
    "MF118": CodeInfo("endpointing delays out of order", "error"),
    "MF119": CodeInfo("follow-up probes an unknown key point", "error"),
    "MF125": CodeInfo("tool URL carries user info", "error"),
    "MF126": CodeInfo("tool URL contains a backslash", "error"),
    "MF130": CodeInfo("webhook URL host not allowed", "error"),
    "MF131": CodeInfo("webhook URL uses plain http", "error"),
    # -- schema (MF2xx): shape of the file
    "MF201": CodeInfo("wrong type", "error"),
    "MF202": CodeInfo("missing required key", "error"),
    "MF203": CodeInfo("unknown key", "error"),
    "MF204": CodeInfo("value not allowed", "error"),
    "MF205": CodeInfo("number out of range", "error"),
    "MF206": CodeInfo("text does not match the expected form", "error"),
    "MF207": CodeInfo("too short, too long, too few or too many", "error"),
    "MF208": CodeInfo("duplicate list item", "error"),
    "MF209": CodeInfo("unsupported format version", "error"),
    "MF210": CodeInfo("conflicting or missing alternative keys", "error"),
    "MF211": CodeInfo("key needs a companion key", "error"),
    # -- templates (MF3xx)
    "MF301": CodeInfo("template syntax error", "error"),
    "MF302": CodeInfo("template syntax not allowed", "error"),
    "MF303": CodeInfo("unknown template variable", "error"),
    "MF304": CodeInfo("candidate field used without a default", "error"),
    "MF305": CodeInfo("template may cost too much to render", "error"),
    # -- warnings (MF5xx): exit 0 unless --strict
    "MF501": CodeInfo("question without key points", "warning"),
    "MF502": CodeInfo("question without example answers", "warning"),
    "MF503": CodeInfo("competency without questions at a level", "warning"),
    "MF504": CodeInfo("expected answer time exceeds the budget", "warning"),
    "MF505": CodeInfo("topic not related to the job", "warning"),
    "MF506": CodeInfo("level cannot fill a stage on its own", "warning"),
    "MF507": CodeInfo("competency or question never asked", "warning"),
    "MF508": CodeInfo("placeholder text not filled in", "warning"),
    "MF509": CodeInfo("drafted content not reviewed", "warning"),
    "MF520": CodeInfo("session files go to an object store", "warning"),
    "MF521": CodeInfo("URL host is a name that is probably not public", "warning"),
}


@frozen
class Problem:
    """One finding, located in the source file (1-based line and column)."""

    code: str
    message: str
    line: int
    column: int
    pointer: str = ""

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        return {
            "code": data["code"],
            "severity": self.severity,
            "message": data["message"],
            "line": data["line"],
            "column": data["column"],
            "pointer": data["pointer"],
        }


class MockflowError(Exception):
    """Base of every error mockflow's library code raises."""


class InputError(MockflowError):
    """A path can't be read (missing, a directory, no permission): a usage/IO error."""


class InterviewInvalid(MockflowError):
    """An interview file has errors; ``problems`` holds all of them."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        first = errors[0] if errors else problems[0]
        super().__init__(
            f"{path}:{first.line}:{first.column}: error[{first.code}] {first.message}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
        )


class TemplateRenderError(MockflowError):
    """A template failed at render time (should be prevented by the static checks)."""


def close_matches(word: str, choices: Iterable[str], *, n: int = 1,
                  cutoff: float = 0.6) -> list[str]:
    """The choices closest to a misspelt ``word`` (difflib loads only when a file has a
    problem: valid files, the common case, never import it)."""
    import difflib

    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)
