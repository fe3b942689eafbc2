"""InterviewEngine: one test per move type, time rule and propose/commit rule."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from conftest import INTERVIEWS

from mockflow.format.compile import CompiledInterview
from mockflow.format.templates import Candidate
from mockflow.format.validate import check_bytes, load_interview
from mockflow.interview.engine import (
    GREETING_WAIT_SECONDS,
    MAX_WRAP_UP_TURNS,
    EngineError,
    InterviewEngine,
    InterviewOver,
    Phase,
    Proposal,
    RequestKind,
    RequestRejected,
    SnapshotError,
    StaleProposal,
)
from mockflow.interview.moves import EndReason, MoveKind
from mockflow.interview.records import CandidateTurn, QuestionOutcome

K = MoveKind
PAD = "and that is roughly how I would go about it in practice on the team"


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _question(qid: str, comp: str, level: str, *, seconds: int = 120, follow_ups: int = 1,
              hints: int = 2, max_follow_ups: int | None = None) -> str:
    lines = [
        f"  - id: {qid}",
        f"    competency: {comp}",
        f"    level: {level}",
        f"    text: Question {qid}, please explain your approach?",
        f"    answer_seconds: {seconds}",
        "    key_points: [alpha, [bravo, bravissimo], charlie]",
    ]
    if follow_ups:
        lines.append("    follow_ups: [" + ", ".join(f"Follow-up {i} on {qid}?"
                                                 for i in range(follow_ups)) + "]")
    if max_follow_ups is not None:
        lines.append(f"    max_follow_ups: {max_follow_ups}")
    if hints:
        lines.append("    hints: [" + ", ".join(f"Hint {i} for {qid}." for i in range(hints))
                     + "]")
    return "\n".join(lines)


ANCHORS = "[{score: 1, behaviour: a}, {score: 3, behaviour: b}, {score: 5, behaviour: c}]"


def build(*, greeting: str = "Hi {{ candidate.name | default('there') }}, I'm Alex. Ready?",
          total: float = 30, wrap_up: float = 2, stages: str | None = None,
          questions: list[str] | None = None, levels: str = "[junior, mid, senior]",
          start: str = "mid") -> CompiledInterview:
    if stages is None:
        stages = textwrap.dedent("""\
          - {id: intro, title: Warm-up, questions: [warm]}
          - {id: tech, title: Technical, pick: 2, competencies: [design, debug]}
        """)
    if questions is None:
        questions = [_question("warm", "design", "mid")] + [
            _question(f"{c}-{lv}", c, lv) for c in ("design", "debug")
            for lv in ("junior", "mid", "senior")]
    text = textwrap.dedent(f"""\
        mockflow: 1
        id: tiny
        title: Tiny interview
        role: {{title: Engineer, level: mid}}
        interviewer:
          name: Alex
          greeting: "{greeting}"
          closing: Thanks, that's all from me.
        timing: {{total_minutes: {total}, wrap_up_minutes: {wrap_up}, default_answer_seconds: 120}}
        scale: {{min: 1, max: 5}}
        competencies:
          - id: design
            name: Design
            anchors: {ANCHORS}
          - id: debug
            name: Debugging
            anchors: {ANCHORS}
        ladder: {{levels: {levels}, start: {start}, step_up_at: 4, step_down_at: 2}}
        stages:
        """) + textwrap.indent(stages, "  ") + "questions:\n" + "\n".join(questions) + "\n"
    result = check_bytes(text.encode(), "tiny.yaml")
    assert result.compiled is not None, [p.message for p in result.errors]
    return result.compiled


def answer(points: int) -> str:
    """An answer covering the first ``points`` key points (0 → min, 3 → max score)."""
    said = ["alpha", "bravo", "charlie"][:points]
    return f"I would start with {' and '.join(said) or 'something'} {PAD}."


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def compiled() -> CompiledInterview:
    return build()


def started(compiled: CompiledInterview, clock: Clock, seed: int = 1, **kw: Any
            ) -> InterviewEngine:
    engine = InterviewEngine(compiled, clock=clock, seed=seed, **kw)
    engine.start()
    if engine.current is None:
        engine.commit(engine.propose("Yes, ready."))
    return engine


def say(engine: InterviewEngine, clock: Clock, text: str, dt: float = 20) -> Proposal:
    clock.t += dt
    p = engine.propose(CandidateTurn(text, clock.t - dt + 1, clock.t))
    engine.commit(p)
    return p


# --------------------------------------------------------------------------- start


def test_greeting_that_asks_waits_for_the_candidate(compiled: CompiledInterview,
                                                    clock: Clock) -> None:
    engine = InterviewEngine(compiled, clock=clock, seed=1, candidate=Candidate("Sam"))
    p = engine.start()
    assert p.kinds == (K.GREET,)
    assert p.speech == "Hi Sam, I'm Alex. Ready?"
    assert engine.phase is Phase.GREETING and engine.current is None
    first = say(engine, clock, "Yes, ready.", dt=5)
    assert first.kinds == (K.ASK_QUESTION,)
    move = first.moves[0]
    assert (move.question_id, move.number, move.total, move.stage_id, move.stage_title,
            move.level) == ("warm", 1, 3, "intro", "Warm-up", "mid")
    assert first.speech == ("Great, let's begin. First question: Question warm, please explain"
                            " your approach?")
    assert move.speech.startswith("First question: ")
    assert first.directive.startswith("NEXT MOVE: reply in a few words to what the candidate"
                                      " said, then ask question 1 of 3 (stage 'Warm-up')")


def test_silence_after_the_greeting_starts_the_questions(compiled: CompiledInterview,
                                                        clock: Clock) -> None:
    engine = InterviewEngine(compiled, clock=clock)
    engine.start()
    clock.t += GREETING_WAIT_SECONDS - 1
    assert engine.tick() is None
    clock.t += 1
    p = engine.tick()
    assert p is not None and p.kinds == (K.ASK_QUESTION,)


def test_greeting_without_a_question_asks_question_one_at_once(clock: Clock) -> None:
    engine = InterviewEngine(build(greeting="Hi, I'm Alex."), clock=clock)
    p = engine.start()
    assert p.kinds == (K.GREET, K.ASK_QUESTION)
    assert p.speech.startswith("Hi, I'm Alex. First question: Question warm")
    assert p.directive.splitlines()[1].startswith("THEN: ask question 1 of 3")


def test_start_twice_and_turns_before_start_are_errors(compiled: CompiledInterview,
                                                       clock: Clock) -> None:
    engine = InterviewEngine(compiled, clock=clock)
    with pytest.raises(EngineError, match="start"):
        engine.propose("hello")
    assert engine.tick() is None
    engine.start()
    with pytest.raises(EngineError, match="already started"):
        engine.start()


# --------------------------------------------------------------------------- questions


def test_follow_up_when_key_points_are_missed(compiled: CompiledInterview,
                                              clock: Clock) -> None:
    engine = started(compiled, clock)
    p = say(engine, clock, answer(1))
    assert p.kinds == (K.ASK_FOLLOW_UP,)
    move = p.moves[0]
    assert (move.question_id, move.follow_up_index, move.text) == (
        "warm", 0, "Follow-up 0 on warm?")
    assert engine.current is not None and engine.current.question_id == "warm"
    p = say(engine, clock, "Also bravo and charlie, " + PAD)
    assert p.kinds == (K.NEXT_STAGE, K.ASK_QUESTION)
    rec = engine.records[0]
    assert rec.outcome is QuestionOutcome.ANSWERED and rec.follow_ups == 1
    assert [t.kind.value for t in rec.turns] == ["answer", "follow_up"]
    assert rec.score is not None and rec.score.score == 5  # both turns count
    assert p.moves[0].speech == "Let's move on to the next part: Technical."
    assert p.ack is not None and p.speech == f"{p.ack.text} {p.body_speech}"
    assert p.moves[1].speech.startswith("Next question: ")


def test_no_follow_up_when_all_points_are_covered(compiled: CompiledInterview,
                                                  clock: Clock) -> None:
    engine = started(compiled, clock)
    p = say(engine, clock, answer(3))
    assert p.kinds == (K.NEXT_STAGE, K.ASK_QUESTION)


def test_max_follow_ups_is_honoured(clock: Clock) -> None:
    qs = [_question("warm", "design", "mid", follow_ups=3, max_follow_ups=2)] + [
        _question(f"{c}-{lv}", c, lv) for c in ("design", "debug")
        for lv in ("junior", "mid", "senior")]
    engine = started(build(questions=qs), clock)
    assert say(engine, clock, answer(0)).kinds == (K.ASK_FOLLOW_UP,)
    assert say(engine, clock, answer(0)).kinds == (K.ASK_FOLLOW_UP,)
    assert say(engine, clock, answer(0)).kinds == (K.NEXT_STAGE, K.ASK_QUESTION)
    assert engine.records[0].follow_ups == 2


def test_no_follow_up_when_little_answer_time_is_left(compiled: CompiledInterview,
                                                      clock: Clock) -> None:
    engine = started(compiled, clock)
    p = say(engine, clock, answer(1), dt=0.8 * 120)  # 80 % of the budget used
    assert p.kinds == (K.NEXT_STAGE, K.ASK_QUESTION)


def test_ladder_steps_up_and_down_on_raw_scores(compiled: CompiledInterview,
                                                clock: Clock) -> None:
    engine = started(compiled, clock)
    assert engine.level == "mid"
    p = say(engine, clock, answer(3))  # 5 → up
    assert engine.level == "senior" and p.moves[-1].level == "senior"
    say(engine, clock, answer(0))  # follow-up
    p = say(engine, clock, answer(0))  # 1 → down
    assert engine.level == "mid" and p.moves[-1].level == "mid"
    rec = engine.records[1]
    assert (rec.ladder_level, rec.level, rec.ladder_after) == ("senior", "senior", "mid")


def test_ladder_holds_between_thresholds_and_clamps(compiled: CompiledInterview,
                                                    clock: Clock) -> None:
    engine = started(compiled, clock)
    say(engine, clock, answer(1))
    say(engine, clock, answer(2))  # both turns: 3 points of 3 → 5 → senior
    assert engine.level == "senior"
    say(engine, clock, answer(3))  # 5 at senior: clamped
    assert engine.level == "senior"
    assert engine.records[1].ladder_after == "senior"


def test_pick_balances_competencies_and_borrows_the_nearest_level(clock: Clock) -> None:
    qs = [_question("warm", "design", "mid"), _question("design-senior", "design", "senior"),
          _question("design-mid", "design", "mid"), _question("debug-junior", "debug", "junior"),
          _question("debug-mid", "debug", "mid")]
    engine = started(build(questions=qs), clock, seed=3)
    say(engine, clock, answer(3))  # → senior
    first = engine.current
    assert first is not None and first.question_id == "design-senior"
    assert not first.borrowed
    say(engine, clock, answer(3))  # still senior; design asked → debug, no senior → mid
    second = engine.current
    assert second is not None and second.competency == "debug"
    assert (second.ladder_level, second.level, second.borrowed) == ("senior", "mid", True)


def test_pick_order_comes_from_the_seed(clock: Clock) -> None:
    qs = [_question("warm", "design", "mid")] + [
        _question(f"design-mid-{i}", "design", "mid") for i in range(6)]
    stages = ("- {id: intro, questions: [warm]}\n"
              "- {id: tech, pick: 3, competencies: [design]}\n")
    compiled = build(questions=qs, stages=stages, levels="[mid]")

    def picks(seed: int) -> list[str]:
        engine = started(compiled, Clock(), seed=seed)
        out = []
        while engine.phase is Phase.QUESTION:
            out.append(engine.records[-1].question_id)
            engine.request("skip")
        return out

    assert picks(5) == picks(5)
    assert len({tuple(picks(s)[1:]) for s in range(8)}) > 1
    assert all(len(set(picks(s))) == 4 for s in range(8))


# --------------------------------------------------------------------------- requests


def test_hints_in_order_then_none_left(compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    h0 = engine.request(RequestKind.HINT).moves[0]
    h1 = engine.request("hint").moves[0]
    h2 = engine.request("hint").moves[0]
    assert (h0.kind, h0.hint_index, h0.text) == (K.GIVE_HINT, 0, "Hint 0 for warm.")
    assert h0.speech == "Here's a hint: Hint 0 for warm."
    assert h1.hint_index == 1
    assert h2.no_hints_left and h2.hint_index is None and h2.text is None
    assert "no more hints" in h2.directive
    assert engine.current is not None and engine.current.hints == (0, 1)


def test_repeat_repeats_the_latest_prompt(compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    r = engine.request("repeat").moves[0]
    assert (r.kind, r.text) == (K.REPEAT, "Question warm, please explain your approach?")
    say(engine, clock, answer(1))
    assert engine.request("repeat").moves[0].text == "Follow-up 0 on warm?"
    assert engine.current is not None and engine.current.repeats == 2


def test_clarify_says_the_models_text_and_keeps_the_question_open(
        compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    c = engine.request("clarify", say="  I mean a  service you worked on.  ").moves[0]
    assert (c.kind, c.speech, c.text) == (K.CLARIFY, "I mean a service you worked on.",
                                         "I mean a service you worked on.")
    assert engine.current is not None and engine.current.clarifications == (
        "I mean a service you worked on.",)
    own = engine.request("clarify").moves[0]  # no wording from a model: the framing
    assert own.speech.startswith("Let me put it another way. This one is about design")
    assert not any(word in own.speech for word in ("alpha", "bravo", "charlie"))
    with pytest.raises(RequestRejected, match="characters"):
        engine.request("clarify", say="x" * 401)
    with pytest.raises(RequestRejected, match="unknown request"):
        engine.request("dance")


def test_skip_closes_the_question_unanswered(compiled: CompiledInterview,
                                             clock: Clock) -> None:
    engine = started(compiled, clock)
    p = engine.request("skip")
    assert p.kinds == (K.MOVE_ON, K.NEXT_STAGE, K.ASK_QUESTION)
    assert p.moves[0].reason == "skip"
    assert p.speech.startswith("No problem, let's skip that one.")
    rec = engine.records[0]
    assert rec.outcome is QuestionOutcome.SKIPPED and rec.score is None
    assert engine.level == "junior"  # not observed counts as the minimum for the ladder


def test_skipping_a_follow_up_keeps_the_answer(compiled: CompiledInterview,
                                               clock: Clock) -> None:
    engine = started(compiled, clock)
    say(engine, clock, answer(2))
    engine.request("skip")
    rec = engine.records[0]
    assert rec.outcome is QuestionOutcome.SKIPPED and rec.score is not None and rec.score.score == 4


def test_stop_ends_the_interview(compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    say(engine, clock, answer(1))
    p = engine.request("stop", confirmed=True)
    assert p.kinds == (K.END,) and p.moves[0].reason == "candidate_stop"
    assert p.speech == "Of course, we can stop here. Thanks, that's all from me."
    assert engine.ended and engine.end_reason is EndReason.CANDIDATE_STOP
    assert engine.records[0].outcome is QuestionOutcome.STOPPED
    with pytest.raises(InterviewOver):
        engine.propose("wait")
    with pytest.raises(InterviewOver):
        engine.request("repeat")
    assert engine.tick() is None


def test_requests_that_need_a_question(compiled: CompiledInterview, clock: Clock) -> None:
    engine = InterviewEngine(compiled, clock=clock)
    engine.start()
    for kind in ("hint", "skip"):
        with pytest.raises(RequestRejected, match="no question is open"):
            engine.request(kind)
    assert engine.request("repeat").moves[0].text == "Hi there, I'm Alex. Ready?"
    assert engine.request("clarify", say="We'll talk for 30 minutes.").kinds == (K.CLARIFY,)
    assert engine.request("stop").kinds == (K.CONFIRM_STOP,)
    assert engine.request("stop").moves[0].reason == "candidate_stop"  # asked twice: ends


# --------------------------------------------------------------------------- propose/commit


def test_proposals_change_nothing_until_committed(compiled: CompiledInterview,
                                                  clock: Clock) -> None:
    engine = started(compiled, clock)
    before = json.dumps(engine.snapshot(), sort_keys=True)
    clock.t += 30
    drafts = [engine.propose(answer(n)) for n in (0, 1, 2, 3)]
    drafts.append(engine.propose_request("skip"))
    drafts.append(engine.propose_request("stop"))
    assert json.dumps(engine.snapshot(), sort_keys=True) == before
    assert len({d.kinds for d in drafts}) > 1


def test_many_proposals_then_one_commit_equals_one_commit(compiled: CompiledInterview
                                                          ) -> None:
    c1, c2 = Clock(), Clock()
    a, b = started(compiled, c1), started(compiled, c2)
    c1.t += 25
    c2.t += 25
    for text in ("I would", "I would start with alpha", answer(2)):
        a.propose(text)
    a.commit(a.propose(answer(3)))
    b.commit(b.propose(answer(3)))
    assert a.snapshot() == b.snapshot()


def test_stale_and_repeated_commits(compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    p1 = engine.propose(answer(1))
    p2 = engine.propose(answer(3))
    engine.commit(p2)
    seq = engine.sequence
    engine.commit(p2)  # the same proposal again: no-op
    assert engine.sequence == seq
    with pytest.raises(StaleProposal, match="propose again"):
        engine.commit(p1)
    other = started(compiled, Clock())
    with pytest.raises(StaleProposal, match="another engine"):
        engine.commit(other.propose("hi"))


@pytest.mark.parametrize("kind", ["repeat", "clarify", "hint"])
def test_request_instead_of_answer_leaves_the_question_open(
        compiled: CompiledInterview, clock: Clock, kind: str) -> None:
    engine = started(compiled, clock)
    draft = engine.propose(answer(3))
    engine.request(kind, say="It means any service." if kind == "clarify" else None)
    with pytest.raises(StaleProposal):
        engine.commit(draft)
    assert engine.current is not None and engine.current.question_id == "warm"
    assert engine.current.turns == ()


# --------------------------------------------------------------------------- time


def test_nudge_at_80_percent_once(compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    clock.t += 0.79 * 120
    assert engine.tick() is None
    clock.t += 0.01 * 120
    nudge = engine.tick()
    assert nudge is not None and nudge.kinds == (K.NUDGE,)
    move = nudge.moves[0]
    assert move.seconds_left == 24 and move.question_id == "warm"
    assert move.speech == "Just a heads-up: about half a minute left on this question."
    assert engine.tick() is not None  # not delivered yet: still due
    draft = engine.propose(answer(3))
    engine.commit(nudge)
    engine.commit(nudge)
    assert engine.tick() is None  # never the same nudge twice
    engine.commit(draft)  # a nudge doesn't make the answer's proposal stale
    assert engine.session().nudges == {1: pytest.approx(96.0)}


def test_move_on_at_100_percent_counts_the_partial_answer(compiled: CompiledInterview,
                                                          clock: Clock) -> None:
    engine = started(compiled, clock)
    clock.t += 120
    p = engine.tick(partial=CandidateTurn(f"So alpha, bravo and charlie {PAD}", None, None))
    assert p is not None and p.kinds == (K.MOVE_ON, K.NEXT_STAGE, K.ASK_QUESTION)
    assert p.moves[0].reason == "time"
    assert p.speech.startswith("Thank you, let's stop there so we keep to time.")
    engine.commit(p)
    rec = engine.records[0]
    assert rec.outcome is QuestionOutcome.MOVED_ON and rec.closed_at == 120
    assert [t.kind.value for t in rec.turns] == ["partial"]
    assert rec.score is not None and rec.score.score == 5
    assert engine.level == "senior"


def test_move_on_after_a_follow_up_shares_the_question_budget(
        compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    say(engine, clock, answer(1), dt=60)
    assert engine.current is not None and engine.current.follow_ups == 1
    clock.t += 59
    assert engine.tick() is not None  # the nudge (80 % of 120 s is behind us)
    clock.t += 1
    p = engine.tick()
    assert p is not None and p.kinds[0] is K.MOVE_ON


def test_stage_budget_stops_a_stage(clock: Clock) -> None:
    stages = ("- {id: intro, title: Warm-up, questions: [warm]}\n"
              "- {id: tech, title: Technical, pick: 3, competencies: [design], minutes: 5}\n"
              "- {id: more, title: More, pick: 1, competencies: [debug]}\n")
    engine = started(build(stages=stages), clock)
    say(engine, clock, answer(3), dt=10)
    assert engine.current is not None and engine.current.stage_id == "tech"
    say(engine, clock, answer(3), dt=100)  # 100 s of the stage's 300 used: 120 s fits
    assert engine.current is not None and engine.current.stage_id == "tech"
    p = say(engine, clock, answer(3), dt=110)  # 210 s used: 120 s more doesn't fit
    assert p.kinds == (K.NEXT_STAGE, K.ASK_QUESTION)
    assert engine.current is not None and engine.current.stage_id == "more"
    assert engine.session().stages == (("intro", 1, 1), ("tech", 3, 2), ("more", 1, 1))
    p = say(engine, clock, answer(3))
    assert p.kinds == (K.WRAP_UP,) and p.moves[0].reason == "time"  # a question was cut


def test_no_question_starts_that_cannot_fit(clock: Clock) -> None:
    # 10 minutes, 2 of wrap-up: 480 s for questions of 120 s each
    stages = ("- {id: intro, title: Warm-up, questions: [warm]}\n"
              "- {id: tech, title: Technical, pick: 3, competencies: [design, debug]}\n")
    engine = started(build(total=10, wrap_up=2, stages=stages), clock)
    say(engine, clock, answer(3), dt=115)  # q1 closes at 115+ s
    say(engine, clock, answer(3), dt=115)  # q2 at 230 s
    p = say(engine, clock, answer(3), dt=150)  # 380 s: another 120 s would end at 500 > 480
    assert p.kinds == (K.WRAP_UP,)
    assert p.moves[0].reason == "time"
    assert p.body_speech.startswith("That's all the time we have for questions.")
    assert engine.phase is Phase.WRAP_UP


def test_wrap_up_turns_then_end(compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    for _ in range(3):
        say(engine, clock, answer(3))
    assert engine.phase is Phase.WRAP_UP
    assert engine.session().end_reason is None
    assert engine.request("repeat").moves[0].text.startswith("That's all the questions")
    for _ in range(MAX_WRAP_UP_TURNS - 1):
        p = say(engine, clock, "What's the team like?", dt=10)
        assert p.kinds == (K.WRAP_UP,)
    p = say(engine, clock, "And the on-call?", dt=10)
    assert p.kinds == (K.END,) and p.moves[0].reason == "questions_exhausted"
    assert p.speech == "Thanks, that's all from me."  # the closing thanks once


def test_wrap_up_ends_by_clock_or_stop(compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    for _ in range(3):
        say(engine, clock, answer(3))
    snap = engine.snapshot()
    p = engine.request("stop")
    assert p.moves[0].reason == "questions_exhausted" and p.speech == \
        "Thanks, that's all from me."
    again = InterviewEngine.restore(compiled, snap, clock=clock)
    assert again.tick() is None
    clock.t += 2 * 60
    p2 = again.tick()
    assert p2 is not None and p2.kinds == (K.END,)
    assert p2.moves[0].reason == "questions_exhausted"


def test_total_time_ends_the_interview_even_mid_question(compiled: CompiledInterview,
                                                         clock: Clock) -> None:
    engine = started(compiled, clock)
    clock.t += 31 * 60  # the clock jumped past the total
    p = engine.tick(partial="alpha " + PAD)
    assert p is not None and p.kinds == (K.END,) and p.moves[0].reason == "time"
    engine.commit(p)
    assert engine.ended and engine.records[0].outcome is QuestionOutcome.TIME_UP
    assert engine.records[0].answers == ("alpha " + PAD,)


# --------------------------------------------------------------------------- moves as data


def test_moves_never_carry_key_points_examples_or_anchors(clock: Clock) -> None:
    for path in INTERVIEWS:
        compiled = load_interview(path)
        iv = compiled.interview
        secret = {p.lower() for q in iv.questions for kp in q.key_points for p in kp.phrases
                  if len(p) > 12}
        secret |= {e.lower() for q in iv.questions for e in
                   (q.examples.strong, q.examples.average, q.examples.weak) if e}
        secret |= {a.behaviour.lower() for c in iv.competencies for a in c.anchors}
        visible = {q.text.lower() for q in iv.questions}
        visible |= {t.lower() for q in iv.questions
                    for t in (*q.hints, *(f.text for f in q.follow_ups))}
        secret = {s for s in secret if not any(s in v for v in visible)}
        engine = started(compiled, Clock())
        proposals: list[Proposal] = []
        while not engine.ended:
            rec = engine.current
            if rec is None:
                text = "Nothing from me."
            else:
                text = iv.question(rec.question_id).examples.average or "I'm not sure."
                proposals.append(engine.request("hint"))
            p = engine.propose(text)
            engine.commit(p)
            proposals.append(p)
        for p in proposals:
            for m in p.moves:
                blob = json.dumps(m.to_dict()).lower()
                assert not [s for s in secret if s in blob], (path.name, m.kind)
                assert len(m.directive.splitlines()) == 1
            assert len(p.directive.splitlines()) <= 3


def test_move_to_dict_is_plain_json(compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock)
    p = engine.request("hint")
    data = p.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["moves"][0] == {
        "kind": "give_hint", "speech": "Here's a hint: Hint 0 for warm.",
        "directive": "NEXT MOVE: give this hint word for word, then let the candidate"
                     " continue: Hint 0 for warm.",
        "question_id": "warm", "text": "Hint 0 for warm.", "number": 1, "hint_index": 0,
    }


# --------------------------------------------------------------------------- snapshot


def test_snapshot_round_trips_exactly(compiled: CompiledInterview, clock: Clock) -> None:
    engine = started(compiled, clock, candidate=Candidate("Sam", {"team": "Payments"}))
    say(engine, clock, answer(1))
    engine.request("hint")
    clock.t += 100
    nudge = engine.tick()
    assert nudge is not None
    engine.commit(nudge)
    data = json.loads(json.dumps(engine.snapshot()))
    again = InterviewEngine.restore(compiled, data, clock=clock)
    assert again.snapshot() == engine.snapshot()
    assert again.propose(answer(3)).to_dict() == engine.propose(answer(3)).to_dict()


def test_restore_rejects_another_interview(compiled: CompiledInterview, clock: Clock) -> None:
    snap = started(compiled, clock).snapshot()
    other = load_interview(INTERVIEWS[0])
    with pytest.raises(SnapshotError, match="snapshot is of tiny@sha256"):
        InterviewEngine.restore(other, snap)
    with pytest.raises(SnapshotError, match="format"):
        InterviewEngine.restore(compiled, {**snap, "format": 99})
    with pytest.raises(SnapshotError, match="malformed"):
        InterviewEngine.restore(compiled, {**snap, "state": {}})


# --------------------------------------------------------------------------- isolation


def test_engine_scoring_and_scorecard_never_import_livekit() -> None:
    code = ("import sys, mockflow.interview.engine, mockflow.scoring.offline,"
            " mockflow.scoring.scorecard;"
            " print(sorted(m for m in sys.modules if m.split('.')[0] == 'livekit'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("reply", ["No, thank you.", "Nothing from me", "I'm good, thanks"])
def test_wrap_up_ends_when_the_candidate_has_no_questions(
        compiled: CompiledInterview, clock: Clock, reply: str) -> None:
    engine = started(compiled, clock)
    while engine.phase is not Phase.WRAP_UP:
        say(engine, clock, answer(3))
    p = say(engine, clock, reply, dt=5)
    assert p.kinds == (K.END,) and engine.ended


def test_wrap_up_question_is_answered_not_ended(compiled: CompiledInterview,
                                                clock: Clock) -> None:
    engine = started(compiled, clock)
    while engine.phase is not Phase.WRAP_UP:
        say(engine, clock, answer(3))
    p = say(engine, clock, "No, but what is on-call like?", dt=5)
    assert p.kinds == (K.WRAP_UP,) and not engine.ended
