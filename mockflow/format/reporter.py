"""Where a semantic check reports: a problem at a path of the document, located in the
file even when parts were cut out for schema errors (``format.partial``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

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


# A did-you-mean compares the word with every choice: with thousands of unknown references
# into thousands of ids that is quadratic (1,000 x 1,000 took 12 s). Each file gets this
# many comparisons; references beyond it get the message's plain fix instead of a guess.
MAX_HINT_COMPARISONS = 20_000
_hint_budget: ContextVar[list[int] | None] = ContextVar("mockflow_hint_budget", default=None)


@contextlib.contextmanager
def hint_budget(comparisons: int = MAX_HINT_COMPARISONS) -> Iterator[None]:
    """Bound the did-you-mean work of one file's checks."""
    token = _hint_budget.set([comparisons])
    try:
        yield
    finally:
        _hint_budget.reset(token)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """"did you mean 'x'?" for the closest of ``choices``, or nothing (also when the
    file's comparison budget is spent)."""
    options = list(choices)
    budget = _hint_budget.get()
    if budget is not None:
        if budget[0] < len(options):
            return ""
        budget[0] -= len(options)
    close = close_matches(word, options, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else ""
