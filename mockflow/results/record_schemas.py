"""Check a record against its shipped JSON Schema (``mockflow schema --name NAME``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mockflow.format.schema import validator
from mockflow.results.files import SessionFileError


def record_problems(name: str, data: Any) -> list[str]:
    """Every schema problem, as ``/json/pointer: message`` lines (empty when valid)."""
    out = []
    for error in sorted(validator(name).iter_errors(data), key=lambda e: list(e.path)):
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        out.append(f"{pointer}: {error.message[:300]}")
    return out


def check_record(name: str, path: Path, data: Any) -> None:
    """Raise ``SessionFileError`` naming the file and its first problems."""
    problems = record_problems(name, data)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise SessionFileError(path, f"does not match {name}.schema.json: "
                               + "; ".join(problems[:3]) + more)
