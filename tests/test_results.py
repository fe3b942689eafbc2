"""Results on disk: appended, durable transcript; atomic scorecard; crash survival."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from mockflow.format.schema import validator as load_validator
from mockflow.interview.clock import VirtualClock
from mockflow.results.files import (
    ResultsError,
    SessionRecorder,
    new_session_id,
    read_transcript,
    results_root,
    write_json_atomic,
)


def test_layout_and_transcript_lines(tmp_path: Path) -> None:
    clock = VirtualClock(100.0)
    rec = SessionRecorder(tmp_path, "backend-engineer", "s1", clock=clock)
    rec.mark_start(100.0)
    clock.advance(2.0)
    rec.append_turn("interviewer", "Hi, ready?", kind="greet", started=101.0)
    clock.advance(2.0)
    rec.append_turn("candidate", "Yes.", kind="answer", question=1, question_id="q1",
                    started=103.0, ended=104.0)
    rec.close()
    assert rec.directory == tmp_path / "backend-engineer" / "s1"
    turns = read_transcript(rec.transcript_path)
    assert [t["seq"] for t in turns] == [1, 2]
    validator = load_validator("transcript")
    for turn in turns:
        validator.validate(turn)
    assert {k: turns[1][k] for k in ("role", "text", "question", "question_id", "kind",
                                     "request", "start_s", "end_s", "format")} == {
        "role": "candidate", "text": "Yes.", "question": 1, "question_id": "q1",
        "kind": "answer", "request": None, "start_s": 3.0, "end_s": 4.0, "format": 1}
    # one clock: wall times are the session clock's readings on one anchor
    wall = [datetime.fromisoformat(t[k].replace("Z", "+00:00")) for t in turns
            for k in ("started_at", "ended_at")]
    assert [(w - wall[0]).total_seconds() for w in wall] == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(ResultsError, match="already closed"):
        rec.append_turn("candidate", "late")


def test_transcript_survives_a_crash_mid_interview(tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from mockflow.results.files import SessionRecorder\n"
        "rec = SessionRecorder(Path(sys.argv[1]), 'iv', 'crash')\n"
        "rec.append_turn('interviewer', 'Question one?')\n"
        "rec.append_turn('candidate', 'My answer.')\n"
        "os._exit(9)  # no close, no flush at exit\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], timeout=60)
    assert proc.returncode == 9
    turns = read_transcript(tmp_path / "iv" / "crash" / "transcript.jsonl")
    assert [t["text"] for t in turns] == ["Question one?", "My answer."]


def test_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "transcript.jsonl"
    path.write_text('{"seq": 1, "text": "ok"}\n{"seq": 2, "te')
    assert read_transcript(path) == [{"seq": 1, "text": "ok"}]


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "scorecard.json"
    write_json_atomic(target, {"overall": 3.5})
    write_json_atomic(target, {"overall": 4.0, "b": [1]})
    assert json.loads(target.read_text()) == {"b": [1], "overall": 4.0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scorecard.json"]


def test_atomic_write_failure_keeps_old_content(tmp_path: Path) -> None:
    target = tmp_path / "scorecard.json"
    write_json_atomic(target, {"overall": 3.5})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"overall": 3.5}


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_results_dir_is_a_typed_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ResultsError, match="cannot create results directory"):
            SessionRecorder(tmp_path / "x", "iv")
    finally:
        tmp_path.chmod(0o700)


def test_results_dir_that_is_a_file_is_a_typed_error(tmp_path: Path) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("not a directory")
    with pytest.raises(ResultsError, match="cannot create results directory"):
        SessionRecorder(blocker, "iv")


def test_results_root_resolution() -> None:
    assert results_root("out", {"MOCKFLOW_RESULTS": "env"}) == Path("out")
    assert results_root(None, {"MOCKFLOW_RESULTS": "env"}) == Path("env")
    assert results_root(None, {}) == Path("results")


def test_session_ids_sort_by_time_and_are_unique() -> None:
    ids = {new_session_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i.split("-")[0]) == 16 for i in ids)


def test_unsafe_path_parts_are_cleaned(tmp_path: Path) -> None:
    rec = SessionRecorder(tmp_path, "../../etc", "a/b")
    assert rec.directory.parent.parent == tmp_path
    rec.close()
