"""The console, end to end: piped answers with no keys in the environment, EOF in the
middle, and an interactive run in a pseudo-terminal with /help, /repeat, /hint, /skip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
from conftest import ROOT

from mockflow.results.files import read_transcript

TIMEOUT = 120  # hang guard for a whole console run (seconds)
ANSWER = ("I'd put the slow work on a queue with a worker, retry with backoff, watch the"
          " metrics and logs, and roll back if the change makes things worse.")


def clean_env() -> dict[str, str]:
    """No model, LiveKit or speech keys, and no results directory from the environment."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("OPENAI", "LIVEKIT", "DEEPGRAM", "MOCKFLOW"))}


def session_dir(results: Path) -> Path:
    [directory] = list((results / "backend-engineer").iterdir())
    return directory


def console(stdin: str, results: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockflow", "run", "interviews/backend.yaml", "--console",
         "--results", str(results)],
        input=stdin, cwd=ROOT, env=clean_env(), capture_output=True, text=True,
        timeout=TIMEOUT, check=False)


def scorecard(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / "scorecard.json").read_text("utf-8"))
    return data


def test_piped_interview_without_keys_completes(tmp_path: Path) -> None:
    answers = "\n".join(["Yes", *[ANSWER] * 40]) + "\n"
    result = console(answers, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "interviewer: offline" in result.stdout
    assert "— scorecard —" in result.stdout
    directory = session_dir(tmp_path)
    assert (directory / "transcript.jsonl").is_file()
    card = scorecard(directory)
    assert card["status"] == "complete"
    assert card["end_reason"] == "questions_exhausted"
    assert len(card["questions"]) == 8
    assert all(q["outcome"] == "answered" for q in card["questions"])
    turns = read_transcript(directory / "transcript.jsonl")
    assert turns[0]["role"] == "interviewer" and turns[-1]["role"] == "interviewer"
    assert sum(t["role"] == "candidate" and t["text"] == ANSWER for t in turns) >= 8


def test_eof_mid_interview_ends_gracefully_with_results(tmp_path: Path) -> None:
    result = console(f"Yes\n{ANSWER}\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "end: candidate_stop" in result.stdout
    directory = session_dir(tmp_path)
    card = scorecard(directory)
    assert card["end_reason"] == "candidate_stop"
    assert card["questions"][-1]["outcome"] == "stopped"
    turns = read_transcript(directory / "transcript.jsonl")
    assert any(t["role"] == "candidate" and t["text"] == ANSWER for t in turns)
    assert (directory / "session.json").is_file()


def test_interactive_console_in_a_pseudo_terminal(tmp_path: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "mockflow", "run", "interviews/backend.yaml", "--console", "--offline",
         "--results", str(tmp_path)],
        cwd=str(ROOT), env=clean_env(), encoding="utf-8", timeout=30, dimensions=(50, 240))
    try:
        child.expect(r"Ready to start\?")
        child.expect("you> ")
        child.sendline("Yes")
        child.expect(r"\[question 1/8")
        child.expect("you> ")
        child.sendline("/help")
        child.expect("Commands: /repeat")
        child.expect("you> ")
        child.sendline("/repeat")
        child.expect(r"Of course\. Tell me about a service you built")
        child.expect("you> ")
        child.sendline("/hint")
        child.expect("Here's a hint: ")
        child.expect("you> ")
        child.sendline(ANSWER)
        current, skipped = 1, False
        for _ in range(60):
            seen = child.expect([r"\[question (\d+)/8", "you> ", "— scorecard —"])
            if seen == 0:
                current = int(child.match.group(1))
            elif seen == 2:
                break
            elif current == 2 and not skipped:
                child.sendline("/skip")
                child.expect("skip that one")
                skipped = True
            else:
                child.sendline(ANSWER)
        else:
            pytest.fail("the interview did not end")
        child.expect(r"results: \S+")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    card = scorecard(session_dir(tmp_path))
    questions = card["questions"]
    assert questions[0]["repeats"] == 1
    assert questions[0]["hints_used"] == [0]
    assert questions[1]["outcome"] == "skipped"
    assert card["end_reason"] == "questions_exhausted"
    assert card["status"] == "complete"
