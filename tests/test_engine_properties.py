"""Property tests: random turns, requests and clock ticks on every shipped interview.

The driver plays an agent: each step advances the fake clock a little, delivers one event
(a candidate turn, a request, or nothing), sometimes makes draft proposals it throws
away, and runs the periodic timer (``tick``) after every step, committing what it says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pytest
from conftest import INTERVIEWS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockflow.format.compile import CompiledInterview
from mockflow.format.validate import load_interview
from mockflow.interview.engine import (
    MAX_WRAP_UP_TURNS,
    InterviewEngine,
    Phase,
    Proposal,
    RequestRejected,
)
from mockflow.interview.moves import EndReason
from mockflow.interview.records import CandidateTurn, score_record

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@cache
def compiled_of(path: Path, squeeze: float = 1.0) -> CompiledInterview:
    """The shipped interview; with ``squeeze`` < 1 its total time is cut so that time, not
    the question bank, ends it (wrap-ups for time, move-ons, total-time ends)."""
    compiled = load_interview(path)
    if squeeze == 1.0:
        return compiled
    iv = compiled.interview
    timing = replace(iv.timing, total_minutes=iv.timing.wrap_up_minutes
                     + (iv.timing.total_minutes - iv.timing.wrap_up_minutes) * squeeze)
    return replace(compiled, interview=replace(iv, timing=timing))


CASES = [pytest.param(p, sq, id=f"{p.stem}-{sq:g}") for p in INTERVIEWS for sq in (1.0, 0.4)]


@dataclass(frozen=True)
class Step:
    dt: float  # seconds the clock advances before the event
    event: str  # "answer", "silence", a request kind
    quality: str  # which answer text: strong / average / weak / empty / noise
    drafts: int  # draft proposals made and thrown away before the event


STEP = st.builds(
    Step,
    dt=st.floats(min_value=0, max_value=90, allow_nan=False),
    event=st.sampled_from(["answer"] * 8 + ["silence"] * 6 + ["repeat", "clarify", "hint"] * 2
                          + ["skip", "stop"]),
    quality=st.sampled_from(["strong", "average", "weak", "empty", "noise"]),
    drafts=st.integers(min_value=0, max_value=2),
)
RUN = st.tuples(
    st.integers(min_value=0, max_value=2**16),  # seed
    st.lists(STEP, max_size=60),
    st.sampled_from(["answer", "silence"]),  # how the candidate behaves once the steps run out
)


class Clock:
    def __init__(self) -> None:
        self.t = 500.0

    def __call__(self) -> float:
        return self.t


def text_for(engine: InterviewEngine, quality: str) -> str:
    rec = engine.current
    if rec is None:
        return "Sounds good, thanks."
    q = engine.compiled.interview.question(rec.question_id)
    if quality == "empty":
        return ""
    if quality == "noise":
        return "Hmm, I'm honestly not sure, could be a few things really."
    return q.examples.get(quality) or "I would look at it carefully."


class Driver:
    """Plays the steps against an engine; records every committed proposal."""

    def __init__(self, compiled: CompiledInterview, seed: int, clock: Clock | None = None,
                 engine: InterviewEngine | None = None) -> None:
        self.clock = clock or Clock()
        self.engine = engine or InterviewEngine(compiled, clock=self.clock, seed=seed)
        self.committed: list[Proposal] = []
        self.requests = 0

    def commit(self, p: Proposal) -> None:
        self.engine.commit(p)
        self.committed.append(p)

    def step(self, s: Step, check_drafts: bool = False) -> None:
        e = self.engine
        self.clock.t += s.dt
        if e.ended:
            return
        if e.phase is Phase.NOT_STARTED:
            self.commit(e.propose_start())
            return
        if s.drafts:
            before = json.dumps(e.snapshot(), sort_keys=True) if check_drafts else None
            for i in range(s.drafts):
                e.propose(text_for(e, s.quality)[: 10 + 15 * i])
                e.propose("")
                try:
                    e.propose_request("skip")
                except RequestRejected:
                    pass
                e.tick(partial="some partial words")
            if before is not None:
                assert json.dumps(e.snapshot(), sort_keys=True) == before
        if s.event == "answer":
            text = text_for(e, s.quality)
            self.commit(e.propose(CandidateTurn(text, self.clock.t - 1, self.clock.t)))
        elif s.event != "silence":
            self.requests += 1
            say = "It means any example you know well." if s.event == "clarify" else None
            try:
                self.commit(e.propose_request(s.event, say))
            except RequestRejected:
                pass
        self.timer()

    def timer(self) -> None:
        e = self.engine
        if e.ended:
            return
        p = e.tick(partial=text_for(e, "weak"))
        if p is not None:
            self.commit(p)

    def finish(self, mode: str) -> int:
        """Drive to the end: time passes and the candidate gives weak answers or stays
        silent (then only the timer moves things on). Returns the steps used."""
        steps = 0
        while not self.engine.ended:
            steps += 1
            assert steps < 1000, "the interview did not end"
            self.step(Step(30.0 if mode == "answer" else 5.0, mode, "weak", 0))
        return steps


# --------------------------------------------------------------------------- invariants


def check_invariants(d: Driver, compiled: CompiledInterview) -> None:
    iv = compiled.interview
    e = d.engine
    records = e.records
    ids = [r.question_id for r in records]
    assert len(ids) == len(set(ids)), "a question was asked twice"
    levels = iv.ladder.levels
    assert e.level in levels
    # the ladder moved exactly as the rule says
    level = iv.ladder.index(iv.ladder.start)
    for rec in records:
        assert rec.ladder_level == levels[level]
        if rec.outcome is None:
            break
        raw = rec.score.score if rec.score and rec.score.score is not None else iv.scale.min
        if raw >= iv.ladder.step_up_at:
            level = min(level + 1, len(levels) - 1)
        elif raw <= iv.ladder.step_down_at:
            level = max(level - 1, 0)
        assert rec.ladder_after == levels[level]
    # time: no question started that could not fit, the total is kept
    timing = iv.timing
    question_end = timing.total_seconds - timing.wrap_up_seconds
    for rec in records:
        assert rec.asked_at + rec.budget <= question_end + 1e-6
    longest = max(q.answer_seconds for q in iv.questions)
    assert e.elapsed() <= timing.total_seconds + longest
    # stages: never more than planned; all of it when nothing cut the interview short
    session = e.session()
    for _, planned, asked in session.stages:
        assert asked <= planned
    if session.end_reason == EndReason.QUESTIONS_EXHAUSTED.value:
        for stage_id, planned, asked in session.stages:
            assert asked == planned, stage_id


def _card(d: Driver) -> str:
    return score_record(d.engine.compiled, d.engine.session()).to_json()


@pytest.mark.parametrize(("path", "squeeze"), CASES)
@SETTINGS
@given(run=RUN)
def test_random_sessions_keep_the_rules(path: Path, squeeze: float,
                                        run: tuple[int, list[Step], str]) -> None:
    compiled = compiled_of(path, squeeze)
    seed, steps, mode = run
    d = Driver(compiled, seed)
    for s in steps:
        d.step(s, check_drafts=True)
        check_invariants(d, compiled)
    d.finish(mode)
    check_invariants(d, compiled)
    e = d.engine
    assert e.ended and e.end_reason is not None
    # bounded: every committed turn-level move is a greeting, an answer (or follow-up answer),
    # a request, a time move or a wrap-up turn
    planned = sum(p for _, p, _ in e.session().stages)
    follow_ups = max(q.max_follow_ups for q in compiled.interview.questions)
    bound = 2 + d.requests + planned * (2 + follow_ups) + MAX_WRAP_UP_TURNS + 1
    assert e.sequence <= bound


@pytest.mark.parametrize(("path", "squeeze"), CASES)
@SETTINGS
@given(run=RUN, cut=st.integers(min_value=0, max_value=60))
def test_replay_snapshot_and_determinism(path: Path, squeeze: float,
                                         run: tuple[int, list[Step], str], cut: int) -> None:
    compiled = compiled_of(path, squeeze)
    seed, steps, mode = run
    cut = min(cut, len(steps))
    a = Driver(compiled, seed)
    for s in steps[:cut]:
        a.step(s)
    # snapshot -> JSON -> restore: the same future moves
    snap = json.loads(json.dumps(a.engine.snapshot()))
    clock_b = Clock()
    clock_b.t = a.clock.t
    b = Driver(compiled, seed, clock_b,
               InterviewEngine.restore(compiled, snap, clock=clock_b))
    b.requests = a.requests
    done = len(a.committed)
    for s in steps[cut:]:
        a.step(s)
        b.step(s)
    a.finish(mode)
    b.finish(mode)
    assert [p.to_dict() for p in a.committed[done:]] == [p.to_dict() for p in b.committed]
    assert _card(a) == _card(b)
    # same seed, same inputs: a byte-identical scorecard
    c = Driver(compiled, seed)
    for s in steps:
        c.step(s)
    c.finish(mode)
    assert _card(c) == _card(a)
