"""Scorecard: level adjustment, aggregation, the evidence gate, JSON and its schema."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import INTERVIEWS, ROOT
from jsonschema import Draft202012Validator

from mockflow import __version__
from mockflow.format.compile import CompiledInterview
from mockflow.format.schema import load_schema
from mockflow.format.validate import check_bytes, load_interview
from mockflow.interview.engine import InterviewEngine
from mockflow.interview.records import (
    AnswerTurn,
    CandidateTurn,
    QuestionOutcome,
    QuestionRecord,
    SessionRecord,
    TurnKind,
    score_record,
)
from mockflow.scoring.base import QuestionScore
from mockflow.scoring.scorecard import gate, level_adjustment

SCHEMA = load_schema("scorecard")
VALIDATOR = Draft202012Validator(SCHEMA)


ANCHORS = "[{score: 1, behaviour: a}, {score: 5, behaviour: b}]"


def build(weights: tuple[float, float] = (1, 1), adjustment: float = 1.0, scoring: str = ""
          ) -> CompiledInterview:
    questions = "\n".join(
        f"  - {{id: {c}-{lv}, competency: {c}, level: {lv}, text: 'Q {c} {lv}?',"
        f" key_points: [alpha, bravo]}}"
        for c in ("design", "debug") for lv in ("junior", "mid", "senior"))
    text = textwrap.dedent(f"""\
        mockflow: 1
        id: card
        title: Card interview
        role: {{title: Engineer, level: mid}}
        interviewer: {{name: Alex, greeting: Hi., closing: Bye.}}
        scale: {{min: 1, max: 5}}
        competencies:
          - {{id: design, name: Design, weight: {weights[0]}, anchors: {ANCHORS}}}
          - {{id: debug, name: Debugging, weight: {weights[1]}, anchors: {ANCHORS}}}
        ladder: {{levels: [junior, mid, senior], start: mid, level_adjustment: {adjustment}}}
        stages:
          - {{id: all, pick: 4, competencies: [design, debug]}}
        questions:
        """) + questions + "\n" + scoring
    result = check_bytes(text.encode(), "card.yaml")
    assert result.compiled is not None, [p.message for p in result.errors]
    return result.compiled


def record(number: int, qid: str, raw: float | None, *, quote: str = "I'd use alpha here.",
           source: str = "offline") -> QuestionRecord:
    comp, level = qid.split("-")
    score = None if raw is None else QuestionScore(
        comp, raw, (quote,) if raw > 1 else (), "r", source, covered=("alpha",))
    return QuestionRecord(
        number=number, question_id=qid, stage_id="all", competency=comp, level=level,
        ladder_level=level, borrowed=False, asked_at=10.0 * number, budget=180.0,
        prompts=(f"Q {comp} {level}?",),
        turns=(AnswerTurn(f"{quote} And more.", TurnKind.ANSWER, 10.0 * number + 5,
                          10.0 * number + 1, 10.0 * number + 4),),
        outcome=QuestionOutcome.ANSWERED, closed_at=10.0 * number + 5, score=score,
        ladder_after=level,
    )


def session(compiled: CompiledInterview, *records: QuestionRecord) -> SessionRecord:
    return SessionRecord(interview=compiled.ref, seed=1, ladder_start="mid",
                         questions=tuple(records), nudges={}, end_reason="questions_exhausted",
                         elapsed=100.0, wrap_up_at=90.0, stages=(("all", 4, len(records)),))


# --------------------------------------------------------------------------- adjustment


def test_level_adjustment_per_level() -> None:
    iv = build().interview
    assert level_adjustment(iv, "junior") == -1
    assert level_adjustment(iv, "mid") == 0
    assert level_adjustment(iv, "senior") == 1
    assert level_adjustment(build(adjustment=0.5).interview, "junior") == -0.5


def test_fives_below_the_role_level_do_not_beat_fours_at_or_above_it() -> None:
    compiled = build()
    low = score_record(compiled, session(compiled, record(1, "design-junior", 5),
                                            record(2, "debug-junior", 5)))
    high = score_record(compiled, session(compiled, record(1, "design-mid", 4),
                                             record(2, "debug-senior", 4)))
    assert low.overall is not None and high.overall is not None
    assert low.overall <= high.overall
    assert low.competency("design").score == 4.0  # 5 - 1
    assert high.competency("debug").score == 5.0  # 4 + 1, clamped to the scale
    for card in (low, high):
        for c in card.competencies:
            assert c.score is not None and 1 <= c.score <= 5


def test_adjusted_scores_stay_on_the_scale_and_record_the_effective_adjustment() -> None:
    compiled = build()
    card = score_record(compiled, session(compiled, record(1, "design-junior", 1),
                                             record(2, "design-senior", 5)))
    q1, q2 = card.to_dict()["questions"]
    assert (q1["raw_score"], q1["adjustment"], q1["score"]) == (1.0, 0.0, 1.0)
    assert (q2["raw_score"], q2["adjustment"], q2["score"]) == (5.0, 0.0, 5.0)


# --------------------------------------------------------------------------- aggregation


def test_competency_mean_and_weighted_overall() -> None:
    compiled = build(weights=(3, 1))
    card = score_record(compiled, session(
        compiled, record(1, "design-mid", 4), record(2, "design-mid", 2),
        record(3, "debug-mid", 2)))
    design, debug = card.competencies
    assert (design.score, design.observations) == (3.0, 2)
    assert (debug.score, debug.observations) == (2.0, 1)
    assert card.overall == pytest.approx((3 * 3 + 1 * 2) / 4)
    assert design.evidence == (("design-mid", "I'd use alpha here."),
                               ("design-mid", "I'd use alpha here."))


def unanswered(number: int, qid: str, outcome: QuestionOutcome) -> QuestionRecord:
    """A question asked and then skipped, left silent, cut off or left: nothing said."""
    comp, level = qid.split("-")
    return QuestionRecord(
        number=number, question_id=qid, stage_id="all", competency=comp, level=level,
        ladder_level=level, borrowed=False, asked_at=10.0 * number, budget=180.0,
        prompts=(f"Q {comp} {level}?",), outcome=outcome, closed_at=10.0 * number + 5,
        ladder_after=level)


def test_only_a_competency_never_asked_is_not_observed() -> None:
    compiled = build()
    card = score_record(compiled, session(compiled, record(1, "design-mid", 3)))
    data = card.to_dict()
    debug = data["competencies"][1]
    assert debug == {"id": "debug", "name": "Debugging", "weight": 1.0, "score": None,
                     "not_observed": True, "observations": 0, "not_answered": 0,
                     "questions": 0, "evidence": []}
    assert data["overall"] == {"score": 3.0, "not_observed": False, "questions": 1,
                               "competencies": 1}
    nothing = score_record(compiled, session(compiled))
    assert nothing.overall is None and nothing.to_dict()["overall"]["not_observed"] is True


@pytest.mark.parametrize("outcome", [QuestionOutcome.SKIPPED, QuestionOutcome.MOVED_ON,
                                     QuestionOutcome.TIME_UP, QuestionOutcome.STOPPED])
def test_a_question_asked_and_not_answered_counts_at_the_minimum(
        outcome: QuestionOutcome) -> None:
    """Old scorecard: the skipped competency was "not observed" and dropped from the
    overall, so skipping a question raised the overall score (3.0 here instead of 2.0)."""
    compiled = build()
    card = score_record(compiled, session(compiled, record(1, "design-mid", 3),
                                          unanswered(2, "debug-mid", outcome)))
    data = card.to_dict()
    debug = data["competencies"][1]
    assert debug["score"] == 1.0 and debug["not_observed"] is False
    assert (debug["observations"], debug["not_answered"], debug["questions"]) == (0, 1, 1)
    assert data["overall"] == {"score": 2.0, "not_observed": False, "questions": 2,
                               "competencies": 2}
    q = data["questions"][1]
    assert q["not_answered"] is True and q["score"] == 1.0 and q["raw_score"] is None
    assert q["rationale"].startswith("Not answered (")
    VALIDATOR.validate(data)


def test_skipping_never_beats_answering_badly() -> None:
    compiled = build()
    answered = score_record(compiled, session(compiled, record(1, "design-mid", 4),
                                              record(2, "debug-mid", 1)))
    skipped = score_record(compiled, session(compiled, record(1, "design-mid", 4),
                                             unanswered(2, "debug-mid",
                                                        QuestionOutcome.SKIPPED)))
    assert answered.overall is not None and skipped.overall is not None
    assert skipped.overall <= answered.overall


def test_a_question_still_open_counts_for_nothing_yet() -> None:
    compiled = build()
    still = replace(unanswered(2, "debug-mid", QuestionOutcome.SKIPPED), outcome=None,
                    closed_at=None)
    data = score_record(compiled, SessionRecord(
        interview=compiled.ref, seed=1, ladder_start="mid",
        questions=(record(1, "design-mid", 3), still), nudges={}, end_reason=None,
        elapsed=30.0, wrap_up_at=None, stages=(("all", 4, 2),))).to_dict()
    assert data["competencies"][1]["not_observed"] is True
    assert data["questions"][1]["not_answered"] is False
    assert data["questions"][1]["score"] is None
    assert data["overall"]["score"] == 3.0


def with_hint_penalty(penalty: float) -> CompiledInterview:
    return build(scoring=f"scoring: {{hint_penalty: {penalty}}}\n")


def test_hints_are_recorded_and_an_optional_penalty_applies() -> None:
    hinted = replace(record(1, "design-mid", 4), hints=(0, 1))
    plain = build()
    data = score_record(plain, session(plain, hinted)).to_dict()
    assert data["hint_penalty"] == 0 and data["hints_used"] == 2
    assert data["questions"][0]["hints_used"] == [0, 1]
    assert data["questions"][0]["hint_penalty"] == 0 and data["questions"][0]["score"] == 4
    penalised = with_hint_penalty(0.5)
    assert penalised.interview.scoring.hint_penalty == 0.5
    data = score_record(penalised, session(penalised, hinted)).to_dict()
    q = data["questions"][0]
    assert q["hint_penalty"] == 1.0 and q["score"] == 3.0 and q["raw_score"] == 4
    assert "Hint penalty: -1 for 2 hints." in q["rationale"]
    assert data["hint_penalty"] == 0.5 and data["competencies"][0]["score"] == 3.0
    VALIDATOR.validate(data)
    # never below the scale minimum
    low = replace(record(1, "design-mid", 2), hints=(0, 1))
    big = with_hint_penalty(5)
    assert score_record(big, session(big, low)).to_dict()["questions"][0]["score"] == 1.0


# --------------------------------------------------------------------------- the gate


def test_gate_clamps_and_demands_verbatim_evidence() -> None:
    compiled = build()
    scale = compiled.interview.scale
    answers = ("I'd use alpha here. And more.",)
    judge = QuestionScore("design", 7, ("I'd use alpha here.",), "judge", "llm")
    gated = gate(judge, answers, scale)
    assert gated is not None and gated.score == 5  # clamped
    invented = QuestionScore("design", 4, ("I'd use gamma here.",), "judge", "llm")
    gated = gate(invented, answers, scale)
    assert gated is not None and gated.score is None and "no verbatim evidence" in \
        gated.rationale
    floor = QuestionScore("design", 1, (), "nothing matched", "offline")
    assert gate(floor, answers, scale) == floor  # the minimum needs no quote


def test_a_judge_can_change_scores_but_not_the_path() -> None:
    compiled = build()
    s = session(compiled, record(1, "design-mid", 2), record(2, "debug-mid", 4))
    offline = score_record(compiled, s).to_dict()
    judged = score_record(compiled, s, scores={
        1: QuestionScore("design", 5, ("I'd use alpha here.",), "judge says", "llm")}).to_dict()
    assert judged["questions"][0]["raw_score"] == 5.0 and judged["questions"][0]["source"] \
        == "llm"
    assert judged["ladder"] == offline["ladder"]
    assert [q["id"] for q in judged["questions"]] == [q["id"] for q in offline["questions"]]


# --------------------------------------------------------------------------- JSON and schema


def run_session(compiled: CompiledInterview, seed: int) -> InterviewEngine:
    t = [100.0]
    engine = InterviewEngine(compiled, clock=lambda: t[0], seed=seed)
    engine.start()
    iv = compiled.interview
    turns = 0
    while not engine.ended:
        t[0] += 45
        turns += 1
        rec = engine.current
        if rec is not None and turns % 4 == 0:
            engine.request("hint")
        if rec is not None and turns % 5 == 0:
            nudge = engine.tick()
            if nudge is not None:
                engine.commit(nudge)
        q = iv.question(rec.question_id) if rec else None
        text = (q.examples.get(["strong", "average", "weak"][turns % 3]) if q else None) \
            or "Yes, thanks."
        engine.commit(engine.propose(CandidateTurn(text, t[0] - 40, t[0] - 1)))
    return engine


@pytest.mark.parametrize("path", INTERVIEWS, ids=lambda p: p.name)
def test_scorecards_of_shipped_interviews_match_the_schema(path: Path) -> None:
    compiled = load_interview(path)
    engine = run_session(compiled, seed=4)
    card = score_record(engine.compiled, engine.session(), created_at="2026-01-01T00:00:00Z")
    data = json.loads(card.to_json())
    errors = sorted(VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, [(list(e.absolute_path), e.message) for e in errors[:5]]
    assert data["interview"] == compiled.ref and data["mockflow"] == __version__
    assert data["status"] == "complete"
    assert data["timestamps"] == {"created_at": "2026-01-01T00:00:00Z"}
    assert data["hints_used"] == sum(len(q["hints_used"]) for q in data["questions"])
    assert [s["question"] for s in data["ladder"]["trajectory"]] == \
        [q["id"] for q in data["questions"]]
    answers = {r.number: r.answers for r in engine.records}
    for q in data["questions"]:
        assert all(any(quote in a for a in answers[q["number"]]) for quote in q["evidence"])
        assert q["timing"]["seconds"] == pytest.approx(
            q["timing"]["closed_at"] - q["timing"]["asked_at"], abs=1e-3)
    by_id = {q["id"]: q for q in data["questions"]}
    for comp in data["competencies"]:
        for ev in comp["evidence"]:
            assert ev["quote"] in by_id[ev["question"]]["evidence"]
    # in progress: also valid
    midway = InterviewEngine(compiled, clock=lambda: 5.0, seed=1)
    midway.start()
    partial = json.loads(score_record(midway.compiled, midway.session()).to_json())
    assert partial["status"] == "in_progress" and partial["end_reason"] is None
    assert not list(VALIDATOR.iter_errors(partial))


def test_same_seed_same_inputs_byte_identical_json() -> None:
    compiled = load_interview(INTERVIEWS[0])
    a = score_record(compiled, run_session(compiled, seed=9).session()).to_json()
    b = score_record(compiled, run_session(compiled, seed=9).session()).to_json()
    assert a == b
    assert a.endswith("\n") and json.loads(a)["timestamps"] == {"created_at": None}
    keys = list(json.loads(a))
    assert keys == sorted(keys)


def test_per_question_timings_and_nudges() -> None:
    compiled = build()
    rec = record(1, "design-mid", 3)
    s = SessionRecord(interview=compiled.ref, seed=1, ladder_start="mid", questions=(rec,),
                      nudges={1: 14.5}, end_reason=None, elapsed=20.0, wrap_up_at=None,
                      stages=(("all", 4, 1),))
    timing = score_record(compiled, s).to_dict()["questions"][0]["timing"]
    assert timing == {"asked_at": 10.0, "closed_at": 15.0, "seconds": 5.0,
                      "budget_seconds": 180.0, "nudged_at": 14.5, "speaking_seconds": 3.0}


# --------------------------------------------------------------------------- the schema file


def _walk(node: Any, path: str = "#") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            found.append((f"{path}/properties/{key}", value))
        for key, value in node.items():
            if key not in {"enum", "const", "default", "examples"}:
                found += _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _walk(value, f"{path}/{i}")
    return found


def test_schema_is_shipped_identical_and_complete() -> None:
    shipped = ROOT / "mockflow" / "format" / "schemas" / "scorecard.schema.json"
    copy = ROOT / "schemas" / "scorecard.schema.json"
    assert copy.read_bytes() == shipped.read_bytes(), \
        "schemas/scorecard.schema.json is stale:" \
        " cp mockflow/format/schemas/scorecard.schema.json schemas/"
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"].endswith("2020-12/schema")
    assert [p for p, v in _walk(SCHEMA) if "description" not in v] == []
    open_objects = [p for p, v in _walk(SCHEMA) if isinstance(v, dict)
                    and v.get("type") == "object" and v.get("additionalProperties") is not False]
    assert open_objects == []


# --------------------------------------------------------------------------- the gate, end to end


@pytest.mark.slow
@pytest.mark.parametrize("path", INTERVIEWS, ids=lambda p: p.stem)
def test_no_score_above_the_minimum_without_a_verbatim_quote(path: Path, tmp_path: Path
                                                            ) -> None:
    """Seeds 1-10 of every built-in persona: after level adjustment, every question scored
    above the scale minimum quotes that question's own candidate turns verbatim."""
    import asyncio

    from mockflow.simulate.runner import simulate

    compiled = load_interview(path)
    scale = compiled.interview.scale
    checked = 0

    async def run_all() -> None:
        nonlocal checked
        for persona in ("strong", "average", "weak"):
            for seed in range(1, 11):
                result = await simulate(compiled, persona, seed=seed, results_root=tmp_path)
                session = result.engine.session()
                card = score_record(compiled, session)
                answers = {rec.number: rec.answers for rec in session.questions}
                for q in card.questions:
                    if q.adjusted is None or q.adjusted <= scale.min:
                        continue
                    checked += 1
                    assert q.score is not None and q.score.evidence, (persona, seed, q.item)
                    for quote in q.score.evidence:
                        assert any(quote in a for a in answers[q.item.number]), quote

    asyncio.run(run_all())
    assert checked > 0  # the property was exercised, not vacuous


def test_a_raw_minimum_adjusted_above_it_needs_a_quote() -> None:
    """The gate runs after level adjustment: a senior question's raw minimum becomes 2 only
    with a quote (before, it became 2 with none)."""
    compiled = build()
    s = session(compiled, record(1, "design-senior", 1, quote="nothing relevant"))
    q = score_record(compiled, s).questions[0]
    # no score without a quote: it counts as not answered, at the scale minimum
    assert q.score is not None and q.score.score is None and q.adjusted == 1
    assert q.not_answered and "no verbatim evidence" in q.score.rationale
