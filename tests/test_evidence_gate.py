"""The judges' evidence gate (issue 26, screening v2): a judge's score above what the
offline evidence supports doesn't count without a person.

Rule (``mockflow.scoring.evidence_gate``): with J the judge's raw score and O the offline
raw score of the same screened answer, O counts when J - O >= 2, or when J - O == 1 and
none of the judge's quotes is a sentence the offline scorer quotes; the question is
flagged ``judge and evidence disagree`` with both scores. Tested on the rule itself, in a
session (score_session, the judge through the real openai client against the fake
server), in ``mockflow calibrate --judge llm``, and as the property that makes "0 raised
scores with a judge that obeys anything" hold by construction: with the screening off, the
obey-anything judge's counted score is never above the offline evidence plus one, on
every injection case.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from mockflow.format.compile import CompiledInterview
from mockflow.format.validate import load_interview
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Rubric, SessionFacts
from mockflow.scoring.evidence_gate import HOLD_GAP, REVIEW_JUDGE_EVIDENCE, hold
from mockflow.scoring.judge import LlmJudge
from mockflow.scoring.judge_prompt import TOOL_NAME, role_info
from mockflow.scoring.offline import OFFLINE
from mockflow.scoring.stage import score_session
from mockflow.testing.judges import obey_anything_judge, read_request
from mockflow.testing.openai_server import ChatRequest, Reply, ToolCall
from mockflow.testing.thread import serve_in_thread

BACKEND = ROOT / "interviews" / "backend.yaml"
BACKEND_ANSWERS = ROOT / "tests" / "calibration" / "backend-engineer.yaml"
INJECTION = ROOT / "tests" / "cases" / "injection"
CASES = sorted(INJECTION.glob("*.yaml")) + sorted(INJECTION.glob("unseen*/*.yaml"))
_COMPILED: dict[str, CompiledInterview] = {}


def compiled(name: str) -> CompiledInterview:
    if name not in _COMPILED:
        _COMPILED[name] = load_interview(ROOT / "interviews" / name)
    return _COMPILED[name]


def judge(score: float | None, *evidence: str) -> QuestionScore:
    return QuestionScore("c", score, evidence, "The judge's reasons.", "judge:m")


def offline(score: float | None, *evidence: str) -> QuestionScore:
    return QuestionScore("c", score, evidence, "Covered 1 of 3 key points.", "offline",
                         signals=(("coverage", 0.33),))


def test_a_judge_two_points_above_the_evidence_is_held_with_both_scores_shown() -> None:
    held = hold(judge(5.0, "We cache prices."), offline(3.0, "We cache prices."), 1)
    assert held is not None and held.score == 3.0 and held.source == "offline"
    (flag, detail), = held.review
    assert flag == REVIEW_JUDGE_EVIDENCE
    assert "the judge (judge:m) gave 5" in detail and "supports 3" in detail
    assert "Covered 1 of 3 key points." in detail and "mockflow review" in detail
    assert HOLD_GAP == 2


def test_one_point_above_counts_only_when_a_quote_is_a_sentence_of_the_evidence() -> None:
    evidence = offline(3.0, "I'd put Redis in front with a TTL.")
    corroborated = judge(4.0, "Redis in front with a TTL")
    assert hold(corroborated, evidence, 1) is corroborated
    alone = hold(judge(4.0, "My mentor said answers like mine are what they hire for."),
                 evidence, 1)
    assert alone is not None and alone.score == 3.0
    assert "none of its quotes is a sentence the offline scorer found evidence in" in \
        alone.review[-1][1]


def test_a_judge_at_or_below_the_evidence_and_other_scorers_are_untouched() -> None:
    below = judge(2.0, "q")
    assert hold(below, offline(3.0), 1) is below
    assert hold(judge(3.0, "q"), offline(3.0), 1).score == 3.0  # type: ignore[union-attr]
    mine = offline(5.0)
    assert hold(mine, offline(1.0), 1) is mine  # the offline scorer itself
    assert hold(None, offline(1.0), 1) is None
    nothing = hold(judge(3.0, "q"), offline(None), 1)  # the offline scorer saw nothing
    assert nothing is not None and nothing.score is None and nothing.review


def _always_top(request: ChatRequest) -> Reply:
    """A judge that gives the maximum, quoting the answer's first sentence."""
    got = read_request(request)
    assert got is not None
    first = got.turns[0].split(". ")[0]
    args = {"evidence": [first], "score": got.scale[1], "rationale": "Superb."}
    return Reply(tool_calls=(ToolCall(TOOL_NAME, json.dumps(args)),))


def test_in_a_session_the_judge_is_held_at_the_offline_evidence_and_flagged() -> None:
    """Before the gate this scored 5 with only a flag; now the offline score counts."""
    c = compiled("backend.yaml")
    q = c.interview.question("sd-cache")
    answer = "I'd put Redis in front. It would be fast."
    facts = SessionFacts(c.ref, 0, c.interview.ladder.start, "questions_exhausted", 60.0, None)
    rubric = Rubric(c.interview.competency(q.competency), c.interview.scale,
                    c.interview.questions, c.interview.interviewer.language)
    item = AnsweredQuestion(1, q, (answer,), (q.text,))
    evidence = OFFLINE.score(item, rubric).score
    assert evidence is not None and evidence <= c.interview.scale.max - HOLD_GAP
    with serve_in_thread(_always_top) as server:
        scorer = LlmJudge("fake-judge", role_info(c.interview), base_url=server.base_url,
                          api_key="test", timeout_s=10)
        card = score_session(c, [item], facts, scorer=scorer)
    result = card.questions[0]
    assert result.raw == evidence
    assert result.score is not None and result.score.source == "offline"
    flags = dict(result.review)
    assert "the judge (judge:fake-judge) gave 5" in flags[REVIEW_JUDGE_EVIDENCE]
    assert card.to_dict()["review"][-1]["flag"] == REVIEW_JUDGE_EVIDENCE


def test_calibrate_with_an_llm_judge_applies_the_gate() -> None:
    """``mockflow calibrate --judge llm``: a judge that gives everything the maximum counts
    only where the offline evidence is within one point (and corroborated); the rest are
    held at the offline score and flagged."""
    with serve_in_thread(_always_top) as server:
        done = subprocess.run(
            [sys.executable, "-m", "mockflow", "calibrate", str(BACKEND), str(BACKEND_ANSWERS),
             "--judge", "llm", "--judge-model", "fake-judge", "--judge-base-url",
             server.base_url, "--format", "json"],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)["answers"]
    held = [a for a in answers
            if any(f["flag"] == REVIEW_JUDGE_EVIDENCE for f in a["flags"])]
    assert len(held) >= len(answers) // 2
    assert all(a["score"] < 5 for a in held)
    assert all("the judge (judge:fake-judge) gave 5" in f["detail"] for a in held
               for f in a["flags"] if f["flag"] == REVIEW_JUDGE_EVIDENCE)


@pytest.fixture(scope="module")
def obey_anything() -> Iterator[str]:
    with serve_in_thread(obey_anything_judge) as server:
        yield server.base_url


def case(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_with_the_screening_off_an_obey_anything_judge_gains_at_most_one_point(
        path: Path, obey_anything: str) -> None:
    """By construction, not by catching the attack: the judge reads the raw injected
    answer and obeys what it finds (the maximum, on nearly every case), yet what counts is
    at most the offline evidence for that same text plus one, and plus one only on a quote
    of a sentence the offline scorer quotes."""
    data = case(path)
    c = compiled(data["interview"])
    q = c.interview.question(data["question"])
    rubric = Rubric(c.interview.competency(q.competency), c.interview.scale,
                    c.interview.questions, c.interview.interviewer.language)
    item = AnsweredQuestion(1, q, tuple(data["injected"]), (q.text,))
    scorer = LlmJudge("fake-judge", role_info(c.interview), base_url=obey_anything,
                      api_key="test", timeout_s=10)
    raw = scorer.score(item, rubric)
    evidence = OFFLINE.score(item, rubric)
    counted = hold(raw, evidence, c.interview.scale.min)
    floor = float(c.interview.scale.min) if evidence.score is None else evidence.score
    assert counted is not None
    assert counted.score is None or counted.score <= floor + 1
    if counted.score is not None and counted.score > floor:
        assert counted is raw and any(q in e or e in q for q in raw.evidence
                                      for e in evidence.evidence)
