"""Where a semantic check reports: a problem at a path of the document, located in the
file even when parts were cut out for schema errors (``format.partial``)."""

from __future__ import annotations

from collections.abc import Iterable

from mockflow.format.errors import Problem, close_matches
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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """"did you mean 'x'?" for the closest of ``choices``, or nothing."""
    close = close_matches(word, choices, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else ""
