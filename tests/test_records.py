"""What a session leaves for a reviewer: complete, schema-valid records from the console
and from simulations (the worker path: tests/test_worker.py), requests recorded and
marked, the right status for every way a session ends, one clock, private files, and a
transcript that survives a corrupt line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from test_console import ANSWER, clean_env, session_dir

from mockflow.format.schema import validator
from mockflow.format.validate import load_interview
from mockflow.interview.clock import VirtualClock
from mockflow.results.files import (
    SessionRecorder,
    read_transcript,
    read_transcript_report,
    write_json_atomic,
)
from mockflow.results.index import SessionIndex
from mockflow.results.notify.webhook import enqueue
from mockflow.results.reviews import append_review, make_review
from mockflow.simulate.runner import simulate

TIMEOUT = 120


def _console(stdin: str, results: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockflow", "run", "interviews/backend.yaml", "--console",
         "--results", str(results), *extra],
        input=stdin, cwd=ROOT, env=clean_env(), capture_output=True, text=True,
        timeout=TIMEOUT, check=False)


def _records(directory: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """session.json, transcript lines and scorecard.json, each checked against its
    shipped schema."""
    session = json.loads((directory / "session.json").read_text())
    turns, skipped = read_transcript_report(directory / "transcript.jsonl")
    card = json.loads((directory / "scorecard.json").read_text())
    assert not skipped
    validator("session").validate(session)
    validator("scorecard").validate(card)
    for turn in turns:
        validator("transcript").validate(turn)
    return session, turns, card


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_console_records_a_skip_and_the_candidate(tmp_path: Path) -> None:
    result = _console(f"Yes\n{ANSWER}\n/skip\n/quit\n", tmp_path, "--candidate-name", "Alex")
    assert result.returncode == 0, result.stderr
    session, turns, card = _records(session_dir(tmp_path))
    assert session["candidate"] == {"name": "Alex", "identity": None, "attributes": {}}
    assert session["kind"] == "console" and session["status"] == "candidate_ended"
    assert session["interview"]["ref"] == card["interview"]
    assert session["models"]["llm"][0]["provider"] == "mockflow"
    assert _when(session["started_at"]) <= _when(session["ended_at"])
    assert any(h["type"] == "message" and h["role"] == "user" for h in session["history"])
    assert card["timestamps"]["created_at"] is not None
    skip = [t for t in turns if t["role"] == "candidate" and t["text"] == "/skip"]
    assert len(skip) == 1 and skip[0]["request"] == "skip" and skip[0]["kind"] == "request"
    assert skip[0]["question"] == 1 and skip[0]["question_id"] == card["questions"][0]["id"]
    after = turns[turns.index(skip[0]) + 1]
    assert after["role"] == "interviewer" and after["request"] == "skip"
    assert after["question"] == 2 and card["questions"][0]["outcome"] == "skipped"
    answer = next(t for t in turns if t["text"] == ANSWER)
    assert answer["question"] == 1 and answer["kind"] == "answer"
    # one clock: offsets and wall times agree, and nothing runs backwards
    origin, origin_s = _when(turns[0]["started_at"]), turns[0]["start_s"]
    for turn in turns:
        assert turn["start_s"] <= turn["end_s"]
        for key, offset in (("started_at", "start_s"), ("ended_at", "end_s")):
            seconds = (_when(turn[key]) - origin).total_seconds() + origin_s
            # both are written to the millisecond (the wall time truncated, the
            # offset rounded): they agree within that, never by a clock's drift
            assert abs(seconds - turn[offset]) <= 0.0025, turn
    ends = [t["end_s"] for t in turns]
    assert ends == sorted(ends)
    assert [t["seq"] for t in turns] == list(range(1, len(turns) + 1))


def test_quit_before_answering_is_candidate_ended(tmp_path: Path) -> None:
    result = _console("/quit\n", tmp_path)
    assert result.returncode == 0, result.stderr
    session, turns, card = _records(session_dir(tmp_path))
    assert session["status"] == "candidate_ended"
    assert session["end_reason"] == "candidate_stop"
    assert [t["request"] for t in turns if t["role"] == "candidate"] == ["stop"]
    assert card["overall"]["score"] is None
    assert card["status"] == "ended_early"  # not "complete": no question was answered


def test_simulated_records_are_schema_valid(tmp_path: Path) -> None:
    compiled = load_interview(ROOT / "interviews" / "backend.yaml")
    outcome = asyncio.run(simulate(compiled, "average", seed=3, results_root=tmp_path))
    session, turns, _ = _records(outcome.recorder.directory)
    assert session["kind"] == "simulation"
    assert session["simulation"] == {"persona": "average", "seed": 3}
    assert session["status"] in ("complete", "candidate_ended", "time_up")
    # the persona's speaking time is on the session's (virtual) clock
    assert any(t["end_s"] > t["start_s"] for t in turns if t["role"] == "candidate")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_closes_the_console_session_with_its_records(tmp_path: Path,
                                                              sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockflow", "run", "interviews/backend.yaml", "--console",
         "--results", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=clean_env())
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(f"Yes\n{ANSWER}\n")
        proc.stdin.flush()
        seen = ""
        while ANSWER not in seen:  # the answer was taken; the stdin pipe stays open
            line = proc.stdout.readline()
            assert line, "the console ended early"
            seen += line
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "— scorecard —" in out
    session, turns, card = _records(session_dir(tmp_path))
    assert session["close_reason"] == sig.name
    assert session["status"] == ("candidate_ended" if sig == signal.SIGINT else "dropped")
    assert any(t["text"] == ANSWER for t in turns)
    assert card["questions"][0]["outcome"] in ("stopped", "answered")


def test_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        root = tmp_path / "results"
        rec = SessionRecorder(root, "iv", "s1", clock=VirtualClock())
        rec.append_turn("candidate", "private words")
        rec.write_scorecard({"competencies": [{"id": "c", "score": 3}], "scale": {
            "min": 1, "max": 5}})
        rec.write_session({"status": "running"})
        rec.close()
        review = make_review({"competencies": [{"id": "c"}], "scale": {"min": 1, "max": 5}},
                             [("c", 4.0)], "ok", "rev")
        append_review(rec.directory, review)
        enqueue(root, url="http://127.0.0.1:9/", secret_env="S", event="session.ended",
                payload={})
        write_json_atomic(root / "x.json", {})
        with SessionIndex(root) as index:
            assert len(index.query()) == 1
    finally:
        os.umask(old)
    modes = {p.relative_to(tmp_path): p.stat().st_mode & 0o777
             for p in [root, *root.rglob("*")]}
    assert modes and all(mode == (0o700 if (tmp_path / p).is_dir() else 0o600)
                         for p, mode in modes.items()), modes


def test_a_corrupt_line_skips_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "transcript.jsonl"
    lines = [json.dumps({"seq": n, "text": f"turn {n}"}) for n in range(1, 36)]
    lines[2] = '{"seq": 3, "text": "tu\x00rn'  # a corrupt line in the middle
    lines[20] = "[1, 2]"
    path.write_text("\n".join(lines) + "\n" + '{"seq": 36, "te')  # and a torn last line
    turns, skipped = read_transcript_report(path)
    assert [t["seq"] for t in turns] == [n for n in range(1, 36) if n not in (3, 21)]
    assert [s.line for s in skipped] == [3, 21, 36]
    assert "not valid JSON" in skipped[0].reason and "not a JSON object" in skipped[1].reason
    assert "torn last line" in skipped[2].reason
    assert len(read_transcript(path)) == 33
