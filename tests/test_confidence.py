"""Confidence and "needs a human read" (issue 26): every score carries a confidence, and a
score that may be off by two or more points is flagged with a reason a person understands.

The goals, on answers the model was not fitted on: flag at least 80 % of the answers off
by two or more while flagging at most 30 % of all answers, with |bias| <= 0.3. Measured
leave-one-interview-out on the calibration set (the two length ratios fitted on the other
interviews) and on the held-out set in tests/calibration/holdout/, which was written before
anything was fitted and is never used to fit (this test only guards against regressions).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from mockflow.format.compile import CompiledInterview
from mockflow.format.model import Scale
from mockflow.format.validate import load_interview
from mockflow.scoring import confidence
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, SessionFacts
from mockflow.scoring.calibration import calibrate, cases, load_answers, score_answers
from mockflow.scoring.confidence import (
    PARAMETERS,
    REVIEW_NEEDS_READ,
    assess,
    figures,
    leave_one_out,
)
from mockflow.scoring.offline import OFFLINE
from mockflow.scoring.stage import score_session

CALIBRATION = sorted((ROOT / "tests" / "calibration").glob("*.yaml"))
HOLDOUT = sorted((ROOT / "tests" / "calibration" / "holdout").glob("*.yaml"))
_COMPILED = {load_interview(p).interview.id: load_interview(p)
             for p in sorted((ROOT / "interviews").glob("*.yaml"))}
SCALE = Scale(1, 5)


def _cases(paths: list[Path]) -> list[confidence.Case]:
    out: list[confidence.Case] = []
    for path in paths:
        iv = _COMPILED[yaml.safe_load(path.read_text(encoding="utf-8"))["interview"]].interview
        out += cases(score_answers(iv, load_answers(path, iv).answers, OFFLINE), iv)
    return out


@pytest.fixture(scope="module")
def calibration_cases() -> list[confidence.Case]:
    return _cases(CALIBRATION)


def test_the_flag_goals_are_met_leave_one_interview_out(
        calibration_cases: list[confidence.Case]) -> None:
    fitted, marks = leave_one_out(calibration_cases)
    assert len(fitted) == 3
    flagged = {id(c): m for c, m in marks}
    f = figures([c for c, _ in marks], lambda c: flagged[id(c)])
    assert f.n == 160 and f.far >= 15
    assert f.flag_recall is not None and f.flag_recall >= 0.8, f
    assert f.flag_rate <= 0.3, f
    assert abs(f.bias) <= 0.3, f


def test_the_shipped_parameters_are_the_ones_fitted_on_the_whole_set(
        calibration_cases: list[confidence.Case]) -> None:
    assert confidence.fit(calibration_cases) == PARAMETERS


def test_the_held_out_answers_meet_the_goals_with_the_shipped_parameters() -> None:
    held = _cases(HOLDOUT)
    assert len(held) >= 30 and {c.group for c in held} == set(_COMPILED)
    f = figures(held, lambda c: confidence.needs_read(c, PARAMETERS))
    assert f.flag_recall is not None and f.flag_recall >= 0.8, f
    assert f.flag_rate <= 0.3, f
    assert abs(f.bias) <= 0.3, f


def test_calibrate_reports_the_same_figures_per_kind() -> None:
    compiled = _COMPILED["backend-engineer"]
    answers = load_answers(CALIBRATION[0], compiled.interview)
    result = calibrate(compiled.interview, [answers], OFFLINE)
    kinds = dict(result.flags_by_kind)
    assert sum(k.n for k in kinds.values()) == result.flags.n == len(result.items)
    assert sum(k.far for k in kinds.values()) == result.flags.far
    for item in result.items:
        assert (item.confidence <= 0.5) == any(f == REVIEW_NEEDS_READ for f, _ in item.flags)


# --------------------------------------------------------------------------- the reasons


def offline_score(score: float, **signals: float) -> QuestionScore:
    base = {"own_words": 80.0, "example_words": 80.0, "value": (score - 1) / 4,
            "coverage": 0.5, "key_points": 0.5, "reference": 0.5, "nearest": 0.4,
            "anywhere": 0.4, "list_margin": 0.0}
    base.update(signals)
    return QuestionScore("c", score, ("quote",), "why", "offline",
                         signals=tuple(base.items()))


@pytest.mark.parametrize(("score", "signals", "code"), [
    (4.0, {"coverage": 0.0, "own_words": 30.0, "reference": 1.0}, "resemblance only"),
    (1.0, {"coverage": 0.0, "own_words": 95.0, "reference": 0.0}, "long, no key point"),
    (5.0, {"coverage": 1.0, "own_words": 20.0}, "short, scored high"),
    (2.0, {"anywhere": 0.0}, "like no example"),
    (2.0, {"list_margin": 0.8}, "near a list"),
    (3.0, {"nearest": 0.1}, "weak middle"),
])
def test_each_reason_flags_its_situation_and_says_why(
        score: float, signals: dict[str, float], code: str) -> None:
    sure = assess(offline_score(score, **signals), SCALE)
    assert sure.value <= 0.5
    assert [r.code for r in sure.flagged][0] == code
    (flag, detail), = sure.review()
    assert flag == REVIEW_NEEDS_READ and detail


def test_a_typical_answer_is_confident() -> None:
    sure = assess(offline_score(3.0), SCALE)
    assert sure.value > 0.5 and sure.review() == ()
    assert assess(None, SCALE).value == 1.0


def test_strength_grows_past_the_threshold() -> None:
    near = assess(offline_score(1.0, coverage=0.0, own_words=60.0), SCALE).value
    far = assess(offline_score(1.0, coverage=0.0, own_words=110.0), SCALE).value
    assert far < near


def test_a_split_panel_lowers_the_confidence() -> None:
    panel = QuestionScore("c", 3.0, ("q",), "", "panel:3",
                          panel=(("a", 1.0), ("b", 3.0), ("c", 5.0)))
    sure = assess(panel, SCALE)
    assert sure.value <= 0.5 and "panel members differ by 4 points" in sure.review()[0][1]


def _card(c: CompiledInterview, qid: str, answer: str) -> dict[str, object]:
    q = c.interview.question(qid)
    facts = SessionFacts(c.ref, 0, c.interview.ladder.start, "questions_exhausted", 60.0, None)
    card = score_session(c, [AnsweredQuestion(1, q, (answer,), (q.text,))], facts)
    question: dict[str, object] = card.to_dict()["questions"][0]
    return question


def test_the_scorecard_carries_the_confidence_and_the_flag() -> None:
    c = _COMPILED["frontend-engineer"]
    calibration = yaml.safe_load(CALIBRATION[1].read_text(encoding="utf-8"))
    wrong = next(a["answer"] for a in calibration["answers"]
                 if a["question"] == "state-optimistic-like" and a["kind"] == "wrong")
    got = _card(c, "state-optimistic-like", wrong)
    assert isinstance(got["confidence"], float) and got["confidence"] <= 0.5
    flags = got["review"]
    assert isinstance(flags, list)
    assert any(f["flag"] == REVIEW_NEEDS_READ and "resemblance" in f["detail"] for f in flags)
