"""The part of a file with schema errors that can still be checked for meaning.

``validate`` reports every problem in one run: when some parts of a file have the wrong
shape, the parts whose shape is valid still get the semantic and template checks. This
module cuts the damaged parts out:

- an unknown key is dropped (it is reported as MF203 and means nothing);
- an item of ``questions``, ``competencies``, ``stages``, ``tools`` or ``facts`` with any
  other schema error is dropped whole; its id, when it can be read, is remembered, so
  a reference to it is not reported as unknown;
- any other section with a schema error (``scale``, ``ladder``, ``timing``, ...) is
  replaced by a placeholder (required sections) or removed (optional ones).

``Damage`` records what was cut. The checks skip what depends on a cut part (the pool
sizes of a stage when a question was dropped, the ladder levels when the ladder is
broken, ...), so the author never gets a follow-on error; the cut parts get their full
checks in the run after their schema errors are fixed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockflow.format.yaml_io import Path, node_at

if TYPE_CHECKING:  # jsonschema loads only when a file has schema errors
    from jsonschema.exceptions import ValidationError

LISTS = {"questions": "id", "competencies": "id", "stages": "id", "tools": "name",
         "facts": ""}
# Required sections get a placeholder of the right shape (never checked, never reported).
PLACEHOLDERS: dict[str, Any] = {
    "mockflow": 1,
    "id": "placeholder",
    "title": "placeholder",
    "role": {"title": "placeholder", "level": "placeholder"},
    "interviewer": {"name": "placeholder", "greeting": "placeholder",
                    "closing": "placeholder"},
    "scale": {"min": 1, "max": 5},
    "ladder": {"levels": ["placeholder"], "start": "placeholder"},
    "competencies": [],
    "stages": [],
    "questions": [],
}
MAX_ROUNDS = 4


@dataclass(slots=True)
class Damage:
    """What was cut out of a file before its semantic checks."""

    sections: set[str] = field(default_factory=set)  # replaced or removed whole
    dropped: dict[str, list[int]] = field(default_factory=dict)  # list -> file indexes
    ids: dict[str, set[str]] = field(default_factory=dict)  # ids of dropped items
    unnamed: set[str] = field(default_factory=set)  # lists with a dropped item without id
    kept: dict[str, list[int]] = field(default_factory=dict)  # list -> kept file indexes

    def intact(self, *sections: str) -> bool:
        """Nothing of these sections was cut."""
        return not any(s in self.sections or self.dropped.get(s) for s in sections)

    def known_ids(self, section: str) -> set[str] | None:
        """Ids of dropped items (they exist, so a reference to them is no error); None when
        a dropped item had no readable id (any unknown reference may be to it)."""
        if section in self.sections or section in self.unnamed:
            return None
        return self.ids.get(section, set())

    def file_path(self, path: Path) -> Path:
        """A path into the checked data as a path into the file."""
        if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
            kept = self.kept.get(path[0])
            if kept is not None and path[1] < len(kept):
                return (path[0], kept[path[1]], *path[2:])
        return path


def _unit(path: Path) -> tuple[str, int | None] | None:
    if not path or not isinstance(path[0], str):
        return None
    if path[0] in LISTS and len(path) >= 2 and isinstance(path[1], int):
        return path[0], path[1]
    return path[0], None


def usable_part(data: Mapping[str, Any], errors: Iterable[ValidationError],
                revalidate: Callable[[Any], list[ValidationError]]
                ) -> tuple[dict[str, Any], Damage] | None:
    """The file's data with its damaged parts cut out, and what was cut; None when no
    usable part is left (then only the schema problems are reported).

    ``revalidate(data)`` returns the schema errors of the cut data.
    """
    work: dict[str, Any] = copy.deepcopy(dict(data))
    damage = Damage()
    items: dict[str, set[int]] = {}
    for error in errors:
        path: Path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            node = node_at(work, path)
            schema = error.schema if isinstance(error.schema, dict) else {}
            allowed = schema.get("properties", {})
            if isinstance(node, dict):
                for key in [k for k in node if k not in allowed]:
                    del node[key]
            continue
        if not path:
            damage.sections.update(_missing(error))
            continue
        unit = _unit(path)
        if unit is None:
            return None
        section, index = unit
        if index is None:
            damage.sections.add(section)
        else:
            items.setdefault(section, set()).add(index)
    _cut(work, damage, items)
    for _ in range(MAX_ROUNDS):
        left = [e for e in revalidate(work) if not _tolerated(e, damage)]
        if not left:
            return work, damage
        for error in left:  # what the cut left broken: cut its whole section
            path = tuple(error.absolute_path)
            if not path:
                damage.sections.update(_missing(error))
                continue
            unit = _unit(path)
            if unit is None:
                return None
            damage.sections.add(unit[0])
        _cut(work, damage, {})
    return None


def _missing(error: ValidationError) -> list[str]:
    """The keys a ``required`` error says are missing."""
    wanted = error.validator_value
    if error.validator != "required" or not isinstance(wanted, list) or \
            not isinstance(error.instance, dict):
        return []
    return [str(k) for k in wanted if k not in error.instance]


def _cut(work: dict[str, Any], damage: Damage, items: dict[str, set[int]]) -> None:
    for section, indexes in items.items():
        values = work.get(section)
        if section in damage.sections or not isinstance(values, list):
            damage.sections.add(section)
            continue
        key = LISTS[section]
        kept = [i for i in range(len(values)) if i not in indexes]
        for i in sorted(indexes):
            damage.dropped.setdefault(section, []).append(i)
            item = values[i] if i < len(values) else None
            item_id = item.get(key) if key and isinstance(item, dict) else None
            if isinstance(item_id, str):
                damage.ids.setdefault(section, set()).add(item_id)
            elif key:
                damage.unnamed.add(section)
        work[section] = [values[i] for i in kept]
        damage.kept[section] = kept
    for section in damage.sections:
        damage.kept.pop(section, None)
        if section in PLACEHOLDERS:
            work[section] = copy.deepcopy(PLACEHOLDERS[section])
        else:
            work.pop(section, None)


def _tolerated(error: ValidationError, damage: Damage) -> bool:
    """Errors the cut itself causes: a list left too short, a placeholder's own limits."""
    path = tuple(error.absolute_path)
    section = path[0] if path and isinstance(path[0], str) else None
    if section is None:
        missing = _missing(error)
        return bool(missing) and all(k in damage.sections for k in missing)
    return error.validator == "minItems" and not damage.intact(section)
