"""``mockflow rescore``: from the session files to a new scorecard version, never over an
old one; what it needs and the errors when it's missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from conftest import ROOT

from mockflow.format.validate import load_interview, read_source
from mockflow.interview.clock import VirtualClock
from mockflow.interview.engine import InterviewEngine
from mockflow.interview.records import score_record
from mockflow.results.files import SessionRecorder
from mockflow.results.judging import SessionJudge
from mockflow.results.rescore import competency_diff, versions
from mockflow.results.scoring_files import ScoringFiles

BACKEND = ROOT / "interviews" / "backend.yaml"
TIMEOUT = 120


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "MOCKFLOW"))}


def recorded_session(tmp_path: Path, *, answers: int = 3, finish: bool = True,
                     copy: bool = True) -> Path:
    """A session driven through the engine (no model): questions.jsonl, the transcript,
    and (``finish``) the scorecard the session itself wrote."""
    compiled = load_interview(BACKEND)
    clock = VirtualClock(100.0)
    engine = InterviewEngine(compiled, clock=clock, seed=3)
    recorder = SessionRecorder(tmp_path, compiled.interview.id, "s1")
    judging = SessionJudge(compiled, files=ScoringFiles(recorder.directory))
    judging.attach(engine, source=read_source(str(BACKEND)) if copy else None)
    engine.start()
    if engine.current is None:
        engine.commit(engine.propose("Yes."))
    data = yaml.safe_load(BACKEND.read_text())
    examples = {q["id"]: q["examples"]["average"] for q in data["questions"]}
    for _ in range(answers):
        current = engine.current
        assert current is not None
        text = examples[current.question_id] if len(current.prompts) == 1 else \
            "I'd look at the metrics and roll back if it got worse."
        recorder.append_turn("candidate", text, question_id=current.question_id)
        clock.advance(30)
        engine.commit(engine.propose(text))
    if finish:
        recorder.write_scorecard(score_record(compiled, engine.session()).to_dict())
    recorder.close()
    judging.close()
    return recorder.directory


def rescore(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockflow", "rescore", *args], cwd=ROOT,
                          env=env(), capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)


def test_each_rescore_is_a_new_version_and_nothing_is_overwritten(tmp_path: Path) -> None:
    directory = recorded_session(tmp_path)
    original = (directory / "scorecard.json").read_bytes()
    first = rescore(str(directory), "--judge", "offline")
    assert first.returncode == 0, first.stderr
    assert "scorecard version 2 (scorecard.v2.json), judge offline" in first.stdout
    second = rescore(str(directory), "--judge", "offline", "--format", "json")
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)["sessions"][0]
    assert report["version"] == 3 and report["previous"].endswith("scorecard.v2.json")
    assert (directory / "scorecard.json").read_bytes() == original
    assert [n for n, _ in versions(directory)] == [1, 2, 3]
    v2 = json.loads((directory / "scorecard.v2.json").read_text())
    assert v2["rescore"]["judge"]["kind"] == "offline" and v2["rescore"]["at"]
    assert v2["rescore"]["previous"] == "scorecard.json"
    assert (directory / "scorecard.v2.json").stat().st_mode & 0o777 == 0o600
    # the same judge on the same answers: the same competency scores as the session's
    before = json.loads(original)
    assert [c["score"] for c in v2["competencies"]] == \
        [c["score"] for c in before["competencies"]]
    for name, b, a in competency_diff(before, v2):
        assert b == a, name


def test_an_interrupted_session_is_scored_with_its_open_question(tmp_path: Path) -> None:
    directory = recorded_session(tmp_path, answers=2, finish=False)
    assert not (directory / "scorecard.json").exists()
    transcript = [json.loads(line) for line in
                  (directory / "transcript.jsonl").read_text().splitlines()]
    questions = [json.loads(line) for line in
                 (directory / "questions.jsonl").read_text().splitlines()]
    closed = {q["record"]["question_id"] for q in questions if q["type"] == "question"}
    result = rescore(str(directory), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["sessions"][0]
    assert report["version"] == 2 and report["previous"] is None
    card = json.loads(Path(report["path"]).read_text())
    ids = [q["id"] for q in card["questions"]]
    assert set(ids) >= closed and len(ids) == len(closed) + (
        transcript[-1]["question_id"] not in closed)


def test_rescore_says_what_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    got = rescore(str(empty))
    assert got.returncode == 2
    assert f"{empty}: {empty} has no questions.jsonl" in got.stderr
    missing = rescore(str(tmp_path / "nope"))
    assert missing.returncode == 2 and "is not a session directory" in missing.stderr
    directory = recorded_session(tmp_path / "a", copy=False)
    no_copy = rescore(str(directory))
    assert no_copy.returncode == 2
    assert "has no copy of its interview file; pass the file it ran with --interview PATH" \
        in no_copy.stderr
    assert rescore(str(directory), "--interview", str(BACKEND)).returncode == 0
    other = rescore(str(directory), "--interview", str(ROOT / "interviews" / "frontend.yaml"))
    assert other.returncode == 2 and "but the session ran backend-engineer@sha256:" in \
        other.stderr
    no_key = rescore(str(directory), "--interview", str(BACKEND), "--judge", "llm")
    assert no_key.returncode == 2 and "an LLM judge needs an API key: set OPENAI_API_KEY" \
        in no_key.stderr
    bad = rescore(str(directory), "--judge", "gpt")
    assert bad.returncode == 2 and "--judge must be offline or llm, not 'gpt'" in bad.stderr


def test_review_flags_name_a_cut_off_answer(tmp_path: Path) -> None:
    from mockflow.scoring.base import AnsweredQuestion, SessionFacts
    from mockflow.scoring.offline import OFFLINE
    from mockflow.scoring.stage import score_session

    compiled = load_interview(BACKEND)
    q = compiled.interview.question("sd-cache")
    item = AnsweredQuestion(1, q, ("I'd put Redis in front with a TTL and",), (q.text,),
                            outcome="moved_on")
    facts = SessionFacts(compiled.ref, 0, "mid", None, 10.0, None)
    card: dict[str, Any] = score_session(compiled, [item], facts, scorer=OFFLINE).to_dict()
    assert card["questions"][0]["review"] == [
        {"flag": "cut off by time", "detail": "the answer was cut off: its time ran out"}]
    assert card["review"] == [{"number": 1, "question": "sd-cache", "flag": "cut off by time",
                               "detail": "the answer was cut off: its time ran out"}]
