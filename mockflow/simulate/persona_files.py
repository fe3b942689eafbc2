"""Persona files (YAML): their format, located errors, and resolving ``--persona``.

A persona file names a grade (the example answers it draws from) and behaviours; see
docs/simulate.md. Problems are reported all at once, ``path:line:col``, like interview
files, through the same safe loader.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path as FsPath
from typing import Any

from mockflow.format.model import Grade
from mockflow.simulate.personas import (
    DEFAULT_VARIATION,
    GRADES,
    PersonaError,
    PersonaSpec,
    Variation,
    When,
    builtin,
)

PERSONA_FORMAT = 1


@dataclass(frozen=True, slots=True)
class PersonaProblem:
    line: int
    column: int
    message: str


class PersonaFileError(PersonaError):
    """A persona file has problems; ``problems`` holds all of them, located."""

    def __init__(self, path: str, problems: Sequence[PersonaProblem]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.path}:{p.line}:{p.column}: error: {p.message}" for p in self.problems]


_WHEN_SCHEMA: dict[str, Any] = {
    "x-message": "a probability per question (a number from 0 to 1) or a list of question"
                 " numbers (1 is the first question)",
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 1},
        {"type": "array", "items": {"type": "integer", "minimum": 1}, "uniqueItems": True},
    ],
}
_PROBABILITY: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}

PERSONA_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "mockflow persona",
    "type": "object",
    "additionalProperties": False,
    "required": ["persona", "name", "grade"],
    "properties": {
        "persona": {"const": PERSONA_FORMAT, "x-message": f"the persona format version; write"
                    f" 'persona: {PERSONA_FORMAT}'"},
        "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$",
                 "x-message": "a short name: letters, digits, spaces, '.', '_' and '-'"},
        "description": {"type": "string", "maxLength": 2000},
        "grade": {"enum": list(GRADES),
                  "x-message": "the example answers it draws from: " + ", ".join(GRADES)},
        "variation": {
            "type": "object",
            "additionalProperties": False,
            "properties": dict.fromkeys(Variation.__dataclass_fields__, _PROBABILITY),
        },
        "behaviours": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "ask_repeat": _WHEN_SCHEMA,
                "ask_hint": _WHEN_SCHEMA,
                "silent": _WHEN_SCHEMA,
                "ramble": _WHEN_SCHEMA,
                "negotiate": _WHEN_SCHEMA,
                "stop_after": {"type": "integer", "minimum": 0,
                               "x-message": "the number of questions to answer before"
                                            " leaving (0 or more)"},
                "wrap_up_question": _PROBABILITY,
            },
        },
    },
}


def _problems(doc: Any) -> list[PersonaProblem]:
    from jsonschema import Draft202012Validator

    from mockflow.format.schema import describe, short

    out: list[PersonaProblem] = []
    validator = Draft202012Validator(PERSONA_SCHEMA)
    for error in validator.iter_errors(doc.data):
        path = tuple(error.absolute_path)
        where = describe(path, doc.data)
        line, column = doc.position(path)
        schema = error.schema if isinstance(error.schema, dict) else {}
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = list(schema.get("properties", {}))
            for key in error.instance:
                if key in allowed:
                    continue
                near = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean '{near[0]}'?" if near else \
                    f"; allowed keys here: {', '.join(allowed)}"
                kl, kc = doc.key_position((*path, key))
                out.append(PersonaProblem(kl, kc, f"unknown key '{key}' in {where}{hint}"))
            continue
        if error.validator == "required":
            missing = [k for k in error.validator_value if k not in error.instance]
            for key in missing:
                out.append(PersonaProblem(line, column, f"{where} is missing '{key}'"))
            continue
        message = schema.get("x-message")
        if message:
            out.append(PersonaProblem(line, column, f"{where}: {short(error.instance)} is not"
                                                    f" {message}"))
        else:
            out.append(PersonaProblem(line, column, f"{where}: {error.message}"))
    return sorted(set(out), key=lambda p: (p.line, p.column, p.message))


def _when(value: Any) -> When:
    if isinstance(value, list):
        return When(questions=frozenset(int(v) for v in value))
    return When(probability=float(value))


def parse_persona(raw: bytes, path: str = "<persona>") -> PersonaSpec:
    """A persona from a file's bytes; raises ``PersonaFileError`` listing every problem."""
    from mockflow.format.yaml_io import load_bytes

    doc = load_bytes(raw)
    if doc.problems or doc.data is None:
        raise PersonaFileError(path, [PersonaProblem(p.line, p.column, p.message)
                                      for p in doc.problems] or
                               [PersonaProblem(1, 1, "the file is empty")])
    problems = _problems(doc)
    if problems:
        raise PersonaFileError(path, problems)
    data: dict[str, Any] = doc.data
    grade: Grade = data["grade"]
    variation = replace(DEFAULT_VARIATION[grade], **{
        k: float(v) for k, v in data.get("variation", {}).items()})
    b = data.get("behaviours", {})
    return PersonaSpec(
        name=data["name"], grade=grade, variation=variation,
        description=data.get("description", ""),
        ask_repeat=_when(b.get("ask_repeat", 0)), ask_hint=_when(b.get("ask_hint", 0)),
        silent=_when(b.get("silent", 0)), ramble=_when(b.get("ramble", 0)),
        negotiate=_when(b.get("negotiate", 0)), stop_after=b.get("stop_after"),
        wrap_up_question=float(b.get("wrap_up_question", 0.5)), source=path,
    )


def load_persona(path: str | FsPath) -> PersonaSpec:
    """A persona file; raises ``PersonaError`` if unreadable, ``PersonaFileError`` if bad."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(256 * 1024 + 1)
    except OSError as exc:
        raise PersonaError(f"cannot read persona file '{path}': {exc.strerror or exc}"
                           ) from exc
    if len(raw) > 256 * 1024:
        raise PersonaFileError(str(path), [PersonaProblem(1, 1, "the file is larger than"
                                                                " 256 KiB")])
    return parse_persona(raw, str(path))


def resolve_persona(value: str) -> PersonaSpec:
    """``strong``, ``average``, ``weak``, or the path of a persona file."""
    if value in GRADES:
        return builtin(value)
    if not value.endswith((".yaml", ".yml")) and not FsPath(value).exists():
        raise PersonaError(f"unknown persona '{value}'; use one of {', '.join(GRADES)} or"
                           " the path of a persona file (.yaml)")
    return load_persona(value)
