"""Where a semantic check reports: a problem at a path of the document, located in the
file even when parts were cut out for schema errors (``format.partial``)."""

from __future__ import annotations

from mockflow.format.errors import Problem
from mockflow.format.partial import Damage
from mockflow.format.yaml_io import Document, Path, pointer


class Reporter:
    def __init__(self, doc: Document, damage: Damage | None = None) -> None:
        self.doc = doc
        self.damage = damage if damage is not None else Damage()
        self.problems: list[Problem] = []

    def intact(self, *sections: str) -> bool:
        """Nothing of these sections was cut out for schema errors (see format.partial)."""
        return self.damage.intact(*sections)

    def at(self, path: Path, code: str, message: str, *, key: bool = False) -> None:
        path = self.damage.file_path(path)
        line, column = self.doc.key_position(path) if key else self.doc.position(path)
        self.problems.append(Problem(code, message, line, column, pointer(path)))
