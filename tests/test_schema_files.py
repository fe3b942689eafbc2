"""The JSON Schema is the contract: shipped copy == repo copy, complete, matches the model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockflow import model
from mockflow.schema import SCHEMA_FILES, load_schema, schema_text

ROOT = Path(__file__).resolve().parent.parent
DATA_KEYWORDS = {"default", "const", "enum", "examples"}  # hold data, not subschemas


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_shipped_schema_is_identical_to_repo_copy(name: str) -> None:
    shipped = ROOT / "mockflow" / "schemas" / SCHEMA_FILES[name]
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


def _default(*path: str) -> Any:
    node: Any = load_schema()
    for step in path:
        node = node["properties"][step] if "properties" in node else node[step]
        if "$ref" in node and "default" not in node:
            ref = node["$ref"].split("/")[-1]
            node = {**load_schema()["$defs"][ref], **node}
    return node["default"]


def test_model_defaults_match_schema_defaults() -> None:
    turn = model.TurnConfig()
    assert _default("voice", "turn", "detector") == turn.detector
    assert _default("voice", "turn", "min_endpointing_delay") == turn.min_endpointing_delay
    assert _default("voice", "turn", "max_endpointing_delay") == turn.max_endpointing_delay
    assert _default("voice", "turn", "allow_interruptions") == turn.allow_interruptions
    assert _default("voice", "turn", "preemptive_generation") == turn.preemptive_generation
    assert _default("voice", "turn", "move_on_grace_seconds") == turn.move_on_grace_seconds
    assert _default("voice", "max_tool_steps") == model.VoiceConfig().max_tool_steps
    assert _default("voice", "record") is model.VoiceConfig().record is False
    assert _default("voice", "vad") == model.VoiceConfig().vad
    assert _default("voice", "stt", "provider") == model.SttConfig().provider
    assert _default("voice", "tts", "provider") == model.TtsConfig().provider
    assert _default("voice", "llm", "temperature") == model.LlmModel().temperature
    assert _default("timing", "total_minutes") == model.DEFAULT_TOTAL_MINUTES
    assert _default("timing", "wrap_up_minutes") == model.DEFAULT_WRAP_UP_MINUTES
    assert _default("timing", "default_answer_seconds") == model.DEFAULT_ANSWER_SECONDS
    assert _default("timing", "nudge_at") == model.DEFAULT_NUDGE_AT
    assert _default("ladder", "level_adjustment") == model.DEFAULT_LEVEL_ADJUSTMENT
    assert _default("interviewer", "language") == model.DEFAULT_LANGUAGE
    assert _default("questions", "items", "max_follow_ups") == model.DEFAULT_MAX_FOLLOW_UPS
    assert _default("competencies", "items", "weight") == model.DEFAULT_WEIGHT


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
