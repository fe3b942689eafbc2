"""The JSON Schema is the contract: shipped copy == repo copy, complete, matches the model."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from typing import Any

import pytest
from conftest import ROOT
from jsonschema import Draft202012Validator

from mockflow.format import model
from mockflow.format.schema import SCHEMA_FILES, load_schema, schema_text

DATA_KEYWORDS = {"default", "const", "enum", "examples"}  # hold data, not subschemas


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_shipped_schema_is_identical_to_repo_copy(name: str) -> None:
    shipped = ROOT / "mockflow" / "format" / "schemas" / SCHEMA_FILES[name]
    if not shipped.exists():
        pytest.skip(f"{name} schema not shipped yet")
    copy = ROOT / "schemas" / SCHEMA_FILES[name]
    assert copy.read_bytes() == shipped.read_bytes(), (
        f"schemas/{copy.name} is stale: cp {shipped.relative_to(ROOT)} schemas/"
    )
    Draft202012Validator.check_schema(json.loads(shipped.read_text()))


def _properties(node: Any, path: str = "#") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            found.append((f"{path}/properties/{key}", value))
        for key, value in node.items():
            if key not in DATA_KEYWORDS:
                found += _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _properties(value, f"{path}/{i}")
    return found


def test_every_property_has_a_description() -> None:
    missing = [p for p, v in _properties(load_schema()) if "description" not in v]
    assert missing == []


def test_every_object_forbids_unknown_keys() -> None:
    def objects(node: Any, path: str = "#") -> list[str]:
        out = []
        if isinstance(node, dict):
            if "properties" in node and node.get("additionalProperties") is not False:
                out.append(path)
            for key, value in node.items():
                if key not in DATA_KEYWORDS:
                    out += objects(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                out += objects(value, f"{path}/{i}")
        return out

    assert objects(load_schema()) == []


def test_version_key() -> None:
    schema = load_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["properties"]["mockflow"]["const"] == 1
    assert "mockflow" in schema["required"]


def _schema_defaults(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every ``default`` under the schema's properties, with its property path."""
    found: list[tuple[tuple[str, ...], Any]] = []
    if not isinstance(node, dict):
        return found
    if "default" in node and path:
        found.append((path, node["default"]))
    for name, sub in node.get("properties", {}).items():
        found += _schema_defaults(sub, (*path, name))
    if isinstance(node.get("items"), dict):
        found += _schema_defaults(node["items"], (*path, "[]"))
    return found


MINIMAL = """\
mockflow: 1
id: minimal
title: Minimal
role: {title: Engineer, level: mid}
interviewer: {name: Alex, greeting: Hi., closing: Bye.}
scale: {min: 1, max: 5}
competencies:
  - {id: c, name: C, anchors: [{score: 1, behaviour: a}, {score: 5, behaviour: b}]}
ladder: {levels: [mid], start: mid}
stages: [{id: s, questions: [q]}]
questions:
  - {id: q, competency: c, level: mid, text: Why?, key_points: [because]}
tools:
  - {name: look_up, description: Look it up, http: {url: "https://ats.example.com/x"}}
judge: {model: m}
results: {webhook: {url: "https://ats.example.com/hook", secret_env: HOOK_SECRET}}
"""


def _model_value(interview: Any, path: tuple[str, ...]) -> Any:
    obj = interview
    for i, step in enumerate(path):
        if step == "[]":
            obj = obj[0]
        elif step == "http" and path[:i] == ("tools", "[]"):
            continue  # HttpTool keeps the http settings flat
        else:
            obj = getattr(obj, step)
            if path[: i + 1] == ("voice", "llm") and path[i + 1:] != ("timeout_s",):
                obj = obj.primary  # the model's settings; timeout_s is the chain's
    return obj


def test_every_schema_default_is_the_model_default() -> None:
    """One source: a file that leaves a key out gets the schema's default, for every key
    that has one (the builder and the dataclasses read them from the schema)."""
    from mockflow.format.validate import check_bytes

    result = check_bytes(MINIMAL.encode(), "minimal.yaml")
    assert result.compiled is not None, [p.message for p in result.errors]
    interview = result.compiled.interview
    defaults = _schema_defaults(load_schema())
    assert len(defaults) >= 20
    for path, value in defaults:
        got = _model_value(interview, path)
        if dataclasses.is_dataclass(got) and not isinstance(got, type):
            got = dataclasses.asdict(got)  # an object default, e.g. an endpointing pair
        assert (list(got) if isinstance(got, tuple) else got) == value, "/".join(path)
    assert model.TurnConfig() == interview.voice.turn
    assert model.LlmModel() == interview.voice.llm.primary
    assert model.VoiceConfig() == interview.voice
    assert model.Timing() == interview.timing


def test_schema_command_prints_the_shipped_schema() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mockflow", "schema"], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0
    assert proc.stdout == schema_text()
    bad = subprocess.run(
        [sys.executable, "-m", "mockflow", "schema", "nope"],
        capture_output=True, text=True, timeout=30,
    )
    assert bad.returncode == 2 and "unknown schema 'nope'" in bad.stderr


def test_shipped_examples_point_editors_at_the_schema() -> None:
    for path in sorted((ROOT / "interviews").glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/interview.schema.json"


def test_shipped_schemas_have_no_duplicate_keys() -> None:
    """json.loads keeps the last of two equal keys silently: a merge that leaves two
    ``results`` sections would drop one without an error anywhere else."""
    import json

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    for path in sorted((ROOT / "mockflow" / "format" / "schemas").glob("*.json")):
        json.loads(path.read_text("utf-8"), object_pairs_hook=no_duplicates)
