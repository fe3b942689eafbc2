"""``schema_quick.surely_valid`` never vouches for data the schema rejects.

The pass decides whether ``validate`` needs the compiled validator at all, so a wrong
True would let an invalid file through. Compared with the compiled validator
(``jsonschema_rs``): on every test case and shipped file (where they agree both ways, so
valid files really take the quick path), on mutated files, and on the places where JSON
Schema and Python disagree.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from test_fuzz import structurally_mutated

from mockflow.format.schema import fast_validator, load_schema, schema_errors
from mockflow.format.schema_quick import Unsupported, build, surely_valid
from mockflow.format.yaml_io import load_bytes

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*(ROOT / "interviews").glob("*.yaml"), *(ROOT / "tests" / "cases").rglob("*.yaml")])


def _data(path: Path) -> Any:
    return load_bytes(path.read_bytes()).data


def test_the_whole_shipped_schema_is_supported() -> None:
    build(load_schema("interview"))  # every part at once: raises Unsupported otherwise


def test_it_agrees_with_the_compiled_validator_on_every_case_file() -> None:
    checked = 0
    for path in FILES:
        data = _data(path)
        if data is None:
            continue
        checked += 1
        assert surely_valid(data) == fast_validator().is_valid(data), path
    assert checked > 200


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structurally_mutated())
def test_it_never_vouches_for_a_mutated_file_the_schema_rejects(raw: bytes) -> None:
    doc = load_bytes(raw)
    if doc.data is not None and surely_valid(doc.data):
        assert fast_validator().is_valid(doc.data)


def _changed(path: tuple[str | int, ...], value: Any) -> Any:
    data = copy.deepcopy(_data(ROOT / "interviews" / "backend.yaml"))
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "value"), [
    (("mockflow",), True),  # const 1: true == 1 in Python, not in JSON
    (("mockflow",), 1.0),  # the same number to JSON: left to the validator
    (("ladder", "levels"), ["junior", "mid", "junior"]),  # uniqueItems
    (("glossary",), [1, True]),  # uniqueItems: 1 and true differ in JSON, not in Python
    (("id",), "backend\n"),  # a pattern's $: Python's matches before a final newline
    (("scale", "min"), True),  # integer: a bool is not one
    (("scale", "min"), 1.0),  # an integer to JSON Schema: left to the validator
    (("interviewer", "language"), "en\ufeff"),  # U+FEFF is white space to ECMA-262
    (("timing", "nudge_at"), 1),  # exclusiveMaximum
    (("questions", 0, "key_points", 0), []),  # oneOf: neither branch
    (("stages", 0, "pick"), 1),  # oneOf: both branches (questions and pick)
])
def test_where_json_schema_and_python_disagree_it_is_never_looser(
        path: tuple[str | int, ...], value: Any) -> None:
    data = _changed(path, value)
    if surely_valid(data):
        assert fast_validator().is_valid(data)
    assert not surely_valid(data) or schema_errors(data) == []


def test_a_valid_file_it_does_not_vouch_for_is_still_valid() -> None:
    data = _changed(("scale", "min"), 1.0)  # 1.0 is an integer to JSON Schema
    assert not surely_valid(data)
    assert fast_validator().is_valid(data) and schema_errors(data) == []


def test_what_it_cannot_decide_exactly_is_refused_when_built() -> None:
    with pytest.raises(Unsupported, match="multipleOf"):
        build({"type": "number", "multipleOf": 3})
    with pytest.raises(Unsupported, match="oneOf"):
        build({"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]})
    with pytest.raises(Unsupported, match="'\\$' only at the end"):
        build({"type": "string", "pattern": "^a$|^b$"})
    with pytest.raises(Unsupported, match=r"\$ref"):
        build({"$ref": "https://example.com/schema.json"})
    lazy = build({"properties": {"odd": {"not": {}}}}, lazy=True)  # raises on first use
    assert lazy({"other": 1})
    with pytest.raises(Unsupported, match="not"):
        lazy({"odd": 1})
