"""Model, compiled interview and rendered instructions of the shipped examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import INTERVIEWS, ROOT

from mockflow.format.compile import content_hash
from mockflow.format.errors import InterviewInvalid
from mockflow.format.templates import Candidate
from mockflow.format.validate import check_bytes, load_interview
from mockflow.interview.render import instructions, render_document


@pytest.mark.parametrize("path", INTERVIEWS, ids=lambda p: p.name)
def test_shipped_examples_compile_without_problems(path: Path) -> None:
    result = check_bytes(path.read_bytes(), str(path))
    assert result.problems == []
    compiled = result.compiled
    assert compiled is not None
    iv = compiled.interview
    assert compiled.ref.startswith(f"{iv.id}@sha256:") and len(compiled.content_hash) == 64
    for q in iv.questions:
        for stage in iv.stages:
            assert compiled.question_text(q.id, stage_id=stage.id, number=1,
                                          candidate=Candidate())
    text = instructions(compiled, Candidate())
    assert iv.interviewer.name in text and "candidate_request" in text


def test_hash_ignores_layout_and_key_order() -> None:
    a = {"b": [1, 2], "a": {"y": "é", "x": 1.5}}
    b = {"a": {"x": 1.5, "y": "é"}, "b": [1, 2]}
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash({**a, "c": None})


def test_hash_is_stable_under_reformatting(tmp_path: Path) -> None:
    import yaml

    source = ROOT / "interviews" / "backend.yaml"
    data = yaml.safe_load(source.read_text())
    reformatted = tmp_path / "backend.yaml"
    reformatted.write_text(yaml.safe_dump(data, sort_keys=True, width=60))
    assert load_interview(source).ref == load_interview(reformatted).ref


def test_load_interview_raises_typed_error_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("mockflow: 1\nid: Bad Id\n")
    with pytest.raises(InterviewInvalid) as info:
        load_interview(bad)
    assert info.value.problems
    assert str(info.value).startswith(f"{bad}:")


def test_render_document_has_no_scoring_material() -> None:
    """What the interviewer gets holds no key points or examples (the judge's part does:
    ``render`` shows it separately, and the judge never talks to the candidate)."""
    compiled = load_interview(ROOT / "interviews" / "backend.yaml")
    doc = render_document(compiled, Candidate("Sam"))
    # what the interviewer model gets; the judge's own section (shown apart) has the rubric
    text = json.dumps({k: v for k, v in doc.items() if k != "judge"})
    assert "other correct ideas count as much" in doc["judge"]["example_question_message"]
    assert "Sam" not in json.dumps(doc["judge"])
    assert doc["judge"]["tool"]["function"]["name"] == "submit_score"
    iv = compiled.interview
    for q in iv.questions:
        for point in q.key_points:
            for phrase in point.phrases:
                assert f'"{phrase}"' not in text
        for example in (q.examples.strong, q.examples.weak):
            assert example is None or example not in text
    assert "Sam" in doc["greeting"]
    assert [t["name"] for t in doc["tools"]][0] == "candidate_request"
    names = {t["name"] for t in doc["tools"]}
    assert not names & {"end_interview", "score", "record_response"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockflow", *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


def test_render_cli_text_and_json() -> None:
    text = _run("render", "interviews/backend.yaml", "--candidate-name", "Priya")
    assert text.returncode == 0, text.stderr
    assert "## Instructions" in text.stdout and "## Tools" in text.stdout
    assert "Priya" in text.stdout
    js = _run("render", "interviews/backend.yaml", "--format", "json")
    doc = json.loads(js.stdout)
    assert set(doc) == {"interview", "candidate", "instructions", "greeting", "closing",
                        "example_turn_message", "tools", "judge"}
    assert doc["example_turn_message"].startswith("[mockflow] NEXT MOVE:")
    assert set(doc["judge"]) == {"configured", "instructions", "example_question_message",
                                 "tool"}
    assert doc["judge"]["tool"]["function"]["name"] == "submit_score"
    assert "## Judge" in text.stdout and '"name": "submit_score"' in text.stdout
    assert "OPENAI_API_KEY is set, else the offline key-point scorer" in text.stdout
    assert doc["candidate"] == {"attributes": {}}


def test_render_cli_invalid_file_prints_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("mockflow: 2\n")
    proc = _run("render", str(bad))
    assert proc.returncode == 1
    assert f"{bad}:1:11: error[MF209]" in proc.stderr
    assert _run("render", str(tmp_path / "missing.yaml")).returncode == 2


_NO_LIVEKIT = """
import sys
from mockflow.cli import app
for argv in (["validate", "interviews/backend.yaml"], ["render", "interviews/backend.yaml"],
             ["schema"]):
    try:
        app(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), (argv, exc.code)
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "livekit")
assert not loaded, loaded
"""


def test_validate_and_render_never_import_livekit() -> None:
    proc = subprocess.run([sys.executable, "-c", _NO_LIVEKIT], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_python_dash_m_and_version() -> None:
    proc = _run("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("mockflow ")
