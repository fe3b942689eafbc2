"""The demo answered as a candidate would, in a pseudo-terminal (issue 15): requests of any
length, answers that mention stopping or quitting, a question about the team, "I'm done
with this one" and a stop that is confirmed first."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
from test_console import ROOT, clean_env, scorecard, session_dir

from mockflow.format.validate import load_interview
from mockflow.results.files import read_transcript
from mockflow.scoring.base import AnsweredQuestion, Rubric
from mockflow.scoring.offline import OFFLINE

TEAM_FACT = "The team is 8 engineers; on-call is one week in eight."
ANSWER = ("First I'd stop the bleeding: roll back the last change if it's the cause, then"
          " look at the logs and metrics to narrow it down, and I'd quit guessing and test one"
          " idea at a time. I'd put slow work on a queue with retries and backoff.")


def spawn(tmp_path: Path) -> pexpect.spawn[Any]:
    return pexpect.spawn(
        sys.executable,
        ["-m", "mockflow", "run", "interviews/backend.yaml", "--console", "--offline",
         "--results", str(tmp_path)],
        cwd=str(ROOT), env=clean_env(), encoding="utf-8", timeout=60, dimensions=(50, 240))


def test_the_spawned_command_is_make_demo() -> None:
    recipe = (ROOT / "Makefile").read_text("utf-8").split("\ndemo:", 1)[1].splitlines()[1]
    assert recipe.strip() == "$(BIN)/mockflow run interviews/backend.yaml --console --offline"


def test_the_demo_answered_as_a_candidate_would(tmp_path: Path) -> None:
    """``make demo`` (the same command, without the install step) in a pseudo-terminal."""
    child = spawn(tmp_path)
    try:
        child.expect(r"Ready to start\?")
        child.expect("you> ")
        child.sendline("Yes, ready when you are.")
        child.expect(r"\[question 1/8")
        child.expect("you> ")
        # a long hint request (more than 14 words, request at the end)
        child.sendline("I've worked on quite a few different services over the years, so I'm"
                       " not sure which one to pick. Could you give me a hint?")
        child.expect("Here's a hint: ")
        child.expect("you> ")
        # a question to the interviewer, answered from the facts, then the question again
        child.sendline("Before I answer, how big is the team I'd be joining?")
        child.expect_exact(TEAM_FACT)
        child.expect("Back to the question: Tell me about a service")
        child.expect("you> ")
        # an answer that mentions quitting, covering 'my part' and the trade-off
        child.sendline("Last quarter I rebuilt our invoice export job. It used to quit halfway"
                       " on big accounts, so I split it into batches on a queue and I wrote the"
                       " worker myself. We gave up strict ordering as a trade-off.")
        child.expect(r"\[question 2/8")
        child.expect("you> ")
        child.sendline("I'm done with this one.")
        child.expect("skip that one")
        child.expect(r"\[question 3/8")
        asked_in_wrap_up = False
        for _ in range(40):
            seen = child.expect([r"Do you have any questions for me\?", "you> ",
                                 "— scorecard —", r"anything else you'd like to ask\?"])
            if seen == 2:
                break
            if seen in (0, 3):
                child.expect("you> ")
                if not asked_in_wrap_up:
                    child.sendline("Yes: how big is the team?")
                    asked_in_wrap_up = True
                else:
                    child.sendline("No, that's all from me, thanks.")
                continue
            child.sendline(ANSWER)
        else:
            pytest.fail("the interview did not end")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    directory = session_dir(tmp_path)
    card = scorecard(directory)
    assert card["end_reason"] == "questions_exhausted"  # no premature end
    outcomes = [q["outcome"] for q in card["questions"]]
    assert outcomes[1] == "skipped" and len(outcomes) == 8
    assert outcomes.count("stopped") == 0
    turns = read_transcript(directory / "transcript.jsonl")
    said = [t["text"] for t in turns if t["role"] == "interviewer"]
    assert sum(TEAM_FACT in text for text in said) == 2  # mid-question and in the wrap-up
    assert_no_follow_up_about_a_covered_point(turns)


def assert_no_follow_up_about_a_covered_point(turns: list[dict[str, Any]]) -> None:
    """Every follow-up asked probes only points the answers before it did not cover."""
    compiled = load_interview(ROOT / "interviews" / "backend.yaml")
    iv = compiled.interview
    answers: dict[str, list[str]] = {}
    follow_ups = 0
    for turn in turns:
        qid = turn.get("question_id")
        if qid is None:
            continue
        if turn["role"] == "candidate":
            answers.setdefault(qid, []).append(turn["text"])
            continue
        question = iv.question(qid)
        for j, follow_up in enumerate(question.follow_ups):
            if follow_up.text not in turn["text"] or not answers.get(qid):
                continue
            follow_ups += 1
            rubric = Rubric(iv.competency(question.competency), iv.scale)
            score = OFFLINE.score(AnsweredQuestion.of(question, answers[qid]), rubric)
            probed = {question.key_points[i].label for i in question.probed(j)}
            assert not probed & set(score.covered), (qid, follow_up.text, score.covered)
    assert follow_ups >= 1  # the check had something to check


def test_stop_is_confirmed_first(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    try:
        child.expect(r"Ready to start\?")
        child.expect("you> ")
        child.sendline("Yes.")
        child.expect(r"\[question 1/8")
        child.expect("you> ")
        child.sendline("Sorry, something has come up at home and I need to leave. Can we end"
                       " the interview here?")
        child.expect_exact("Do you want to end the interview here?")
        child.expect("you> ")
        child.sendline("Actually no, sorry, let's keep going.")
        child.expect("No problem, let's carry on. Tell me about a service")
        child.expect("you> ")
        child.sendline("I'd like to stop the interview.")
        child.expect_exact("Do you want to end the interview here?")
        child.expect("you> ")
        child.sendline("Yes, please.")
        child.expect("— scorecard —")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    card = scorecard(session_dir(tmp_path))
    assert card["end_reason"] == "candidate_stop"
    assert [q["outcome"] for q in card["questions"]] == ["stopped"]
    assert json.dumps(card).count("Do you want to end") == 0  # speech is not in the card
