"""The engine listens (issue 15): follow-ups aimed at what the answer missed, a stop that
is confirmed, questions to the interviewer answered from the facts, clarifications and
hints that fit the question or follow-up on the table."""

from __future__ import annotations

import textwrap

import pytest

from mockflow.format.compile import CompiledInterview
from mockflow.format.validate import check_bytes
from mockflow.interview.engine import InterviewEngine, Phase
from mockflow.interview.facts import answer_from_facts
from mockflow.interview.moves import EndReason, MoveKind
from mockflow.interview.records import QuestionOutcome
from mockflow.interview.requests import answer_part, detect_request
from mockflow.simulate.personas import DECLINES

FACTS = [
    "The team is 8 engineers; on-call is one week in eight.",
    "The services are Python on PostgreSQL and Redis, deployed several times a day.",
    "The team works hybrid, with two shared office days a week.",
]

SOURCE = textwrap.dedent("""\
    mockflow: 1
    id: listening
    title: Listening
    role: {title: Engineer, level: mid}
    interviewer:
      name: Alex
      greeting: Hi, I'm Alex. Ready?
      closing: Thanks, that's all from me.
    facts:
      - The team is 8 engineers; on-call is one week in eight.
      - The services are Python on PostgreSQL and Redis, deployed several times a day.
      - The team works hybrid, with two shared office days a week.
    timing: {total_minutes: 30, wrap_up_minutes: 2, default_answer_seconds: 300}
    scale: {min: 1, max: 5}
    competencies:
      - id: design
        name: System design
        anchors: [{score: 1, behaviour: a}, {score: 5, behaviour: b}]
    ladder: {levels: [mid], start: mid}
    stages:
      - {id: main, questions: [cache, story]}
    questions:
      - id: cache
        competency: design
        level: mid
        text: How would you put a cache in front of a slow pricing service?
        key_points:
          - [eviction, ttl, expiry]
          - [invalidation, invalidate, purge]
          - [stampede, thundering herd, one request refills]
        max_follow_ups: 2
        follow_ups:
          - text: What happens to cached prices right after a price change?
            probes: [invalidation]
            hint: Think about who knows first that a price changed.
          - text: What if a popular key expires at the busiest moment?
            probes: [2]
          - text: How much memory would it use?
            probes: [eviction]
        hints: [Think about the moment a price changes.]
      - id: story
        competency: design
        level: mid
        text: Tell me about a service you built recently.
        clarification: I mean something you worked on yourself, at work or elsewhere.
        key_points: [purpose, my part]
        follow_ups: [What was your part in it?]
    """)

PAD = " and that is roughly how I would go about it in practice, step by step, on the team."


@pytest.fixture
def compiled() -> CompiledInterview:
    result = check_bytes(SOURCE.encode(), "listening.yaml")
    assert result.compiled is not None, [p.message for p in result.problems]
    return result.compiled


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def started(compiled: CompiledInterview) -> tuple[InterviewEngine, Clock]:
    clock = Clock()
    engine = InterviewEngine(compiled, clock=clock)
    engine.start()
    engine.commit(engine.propose("Yes, ready."))
    return engine, clock


def turn(engine: InterviewEngine, clock: Clock, text: str) -> list[MoveKind]:
    clock.t += 10
    proposal = engine.propose(text)
    engine.commit(proposal)
    return list(proposal.kinds)


# ------------------------------------------------------------------ follow-ups


def test_the_follow_up_asked_is_about_a_missed_point(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    # eviction and invalidation covered, the stampede missed: the follow-up on the
    # stampede (probes: [2]), never the one on invalidation that comes first in the file
    clock.t += 10
    p = engine.propose("I'd use Redis with a short ttl and purge the key when a price"
                       " changes" + PAD)
    assert p.kinds == (MoveKind.ASK_FOLLOW_UP,)
    assert p.moves[0].text == "What if a popular key expires at the busiest moment?"
    assert p.moves[0].follow_up_index == 1
    engine.commit(p)
    assert engine.current is not None and engine.current.follow_up_indices == (1,)


def test_no_follow_up_about_a_covered_point(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    # only eviction missing: its follow-up, never the invalidation or stampede ones
    clock.t += 10
    p = engine.propose("When a price changes I invalidate the key, and one request refills"
                       " it while the others wait" + PAD)
    assert p.moves[0].text == "How much memory would it use?"


def test_follow_ups_in_order_of_what_is_still_missing(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    clock.t += 10
    first = engine.propose("I'd put Redis in front of it with a ttl" + PAD)
    assert first.moves[0].text == "What happens to cached prices right after a price change?"
    engine.commit(first)
    # the second answer covers the stampede: the follow-up about it is no longer asked,
    # and with the invalidation follow-up used up, no follow-up fits: the next question
    clock.t += 10
    second = engine.propose("Prices could go stale, and when a hot key expires one request"
                            " refills it" + PAD)
    assert MoveKind.ASK_FOLLOW_UP not in second.kinds
    assert second.kinds[-1] is MoveKind.ASK_QUESTION


def test_plain_string_follow_ups_still_work(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    turn(engine, clock, "I'd use Redis with a ttl, purge keys on change, and let one request"
         " refill a hot key" + PAD)
    assert engine.current is not None and engine.current.question_id == "story"
    clock.t += 10
    p = engine.propose("It was a billing service" + PAD)
    assert p.moves[0].text == "What was your part in it?"


# ------------------------------------------------------------------ stop


def test_stop_asks_to_confirm_and_ends_on_yes(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    p = engine.request("stop")
    assert p.kinds == (MoveKind.CONFIRM_STOP,)
    assert p.speech == "Do you want to end the interview here?"
    assert not engine.ended and engine.current is not None
    assert turn(engine, clock, "Yes, please.") == [MoveKind.END]
    assert engine.end_reason is EndReason.CANDIDATE_STOP
    assert engine.records[0].outcome is QuestionOutcome.STOPPED


@pytest.mark.parametrize("reply", ["No, sorry, let's carry on.", "I'd use Redis with a ttl.",
                                   "Hmm."])
def test_anything_but_yes_resumes_the_question(compiled: CompiledInterview,
                                               reply: str) -> None:
    engine, clock = started(compiled)
    engine.request("stop")
    clock.t += 5
    p = engine.propose(reply)
    assert p.kinds == (MoveKind.RESUME,)
    assert p.speech == ("No problem, let's carry on. How would you put a cache in front of a"
                        " slow pricing service?")
    engine.commit(p)
    assert not engine.ended and engine.current is not None
    assert engine.current.turns == ()  # the reply to the confirmation is not an answer
    # and the next stop asks again
    assert engine.request("stop").kinds == (MoveKind.CONFIRM_STOP,)


def test_a_pending_stop_survives_a_snapshot(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    engine.request("stop")
    again = InterviewEngine.restore(compiled, engine.snapshot(), clock=clock)
    assert again.propose("yes").kinds == (MoveKind.END,)


def test_timers_still_run_while_a_stop_waits(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    engine.request("stop")
    clock.t = 30 * 60
    p = engine.tick()
    assert p is not None and p.ends  # a candidate who dropped out: time ends it


# ------------------------------------------------------------------ questions to us


def test_a_question_is_answered_from_the_facts_then_the_question_again(
        compiled: CompiledInterview) -> None:
    engine, _ = started(compiled)
    p = engine.request("question", question="Before I answer, how big is the team I'd be"
                       " joining?")
    assert p.kinds == (MoveKind.ANSWER_QUESTION,)
    assert p.speech == (FACTS[0] + " Back to the question: How would you put a cache in"
                        " front of a slow pricing service?")
    engine.commit(p)
    assert engine.current is not None and engine.current.turns == ()


def test_a_question_the_facts_dont_cover_is_passed_on(compiled: CompiledInterview) -> None:
    engine, _ = started(compiled)
    p = engine.request("question", question="What's the salary range?")
    assert p.speech.startswith("Thanks for asking. I'll pass that on")
    assert p.speech.endswith("Back to the question: How would you put a cache in front of"
                             " a slow pricing service?")


def test_a_models_answer_is_used_as_given(compiled: CompiledInterview) -> None:
    engine, _ = started(compiled)
    p = engine.request("question", say="We're eight engineers.", question="Team size?")
    assert p.speech.startswith("We're eight engineers. Back to the question:")


def test_wrap_up_questions_are_answered_from_the_facts(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    engine.request("skip")
    engine.request("skip")
    assert engine.phase is Phase.WRAP_UP
    clock.t += 5
    p = engine.propose("How big is the team?")
    assert p.speech == FACTS[0] + " Is there anything else you'd like to ask?"


@pytest.mark.parametrize("reply", DECLINES)
def test_declining_in_the_wrap_up_ends_the_interview(compiled: CompiledInterview,
                                                     reply: str) -> None:
    engine, clock = started(compiled)
    engine.request("skip")
    engine.request("skip")
    clock.t += 5
    kind = detect_request(reply)  # what the offline interviewer does with the reply
    p = engine.propose_request(kind) if kind is not None else engine.propose(reply)
    assert p.ends and p.moves[-1].reason == "questions_exhausted"


@pytest.mark.parametrize(("question", "fact"), [
    ("How big is the team?", 0), ("How many engineers are there?", 0),
    ("What does the on-call rotation look like?", 0), ("Is the role remote?", 2),
    ("What languages do you use?", 1), ("How often do you deploy?", 1),
    ("What's the salary range?", None), ("What are the next steps?", None),
    ("Can I ask what the team is working on this quarter?", None),
    # a lead-in clause before the question doesn't hide the fact
    ("Before I answer the next one, how big is the team I would be joining?", 0),
    ("Quick one before we go on: is the role remote?", 2),
    ("I'd use a queue there. By the way, how often do you deploy?", 1),
    ("Before I answer the next one, what's the salary range?", None),
])
def test_facts_retrieval(question: str, fact: int | None) -> None:
    assert answer_from_facts(question, FACTS) == (None if fact is None else FACTS[fact])


@pytest.mark.parametrize(("question", "facts", "passed_on"), [
    # issue 26: only the last part was answered; the first was silently dropped
    ("What does a typical week look like, and what's the stack?", [1],
     "What does a typical week look like"),
    ("How big is the team, and is the role remote?", [0, 2], None),
    ("How big is the team? And how often do you deploy?", [0, 1], None),
    ("Is the role remote, and what's the salary range?", [2], "what's the salary range"),
])
def test_each_part_of_a_two_part_question_is_answered_or_named(
        question: str, facts: list[int], passed_on: str | None) -> None:
    said = answer_from_facts(question, FACTS)
    assert said is not None
    for i in facts:
        assert FACTS[i] in said
    assert (f'As for "{passed_on}", I\'ll pass that on' in said) if passed_on else \
        "pass that on" not in said


# ------------------------------------------------------------------ clarify and hints


def test_clarify_uses_the_questions_clarification(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    engine.request("skip")
    p = engine.request("clarify")
    assert p.speech == "I mean something you worked on yourself, at work or elsewhere."
    assert engine.clarification() == p.speech


def test_clarify_without_one_restates_the_framing_not_the_key_points(
        compiled: CompiledInterview) -> None:
    engine, _ = started(compiled)
    p = engine.request("clarify")
    assert p.speech.startswith("Let me put it another way. This one is about system design")
    assert "How would you put a cache" not in p.speech  # not the question word for word
    for point in ("eviction", "ttl", "invalidat", "purge", "stampede", "herd", "refill"):
        assert point not in p.speech.lower()


def test_a_hint_during_a_follow_up_is_the_follow_ups_own(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    turn(engine, clock, "I'd put Redis in front of it with a ttl" + PAD)
    first = engine.request("hint")
    assert first.speech == "Here's a hint: Think about who knows first that a price changed."
    assert engine.current is not None and engine.current.hints == ()
    assert engine.current.follow_up_hints == (0,)
    assert engine.request("hint").moves[0].no_hints_left


def test_a_hint_during_a_follow_up_without_one_is_a_neutral_nudge(
        compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    turn(engine, clock, "I'd use Redis with a short ttl and purge the key when a price"
         " changes" + PAD)
    p = engine.request("hint")
    assert "Think about the moment a price changes" not in p.speech  # not the main hint
    assert p.speech.startswith("I don't have a hint for this part. Take your time")


# ------------------------------------------------------------------ the format


def test_a_follow_up_mapping_gets_its_own_schema_errors() -> None:
    """A mapping where text is also allowed is explained as a mapping (before: 'must be
    text, not a mapping')."""
    source = SOURCE.replace("probes: [2]", "probe: [2]").replace(
        "      - text: How much memory", "      - {probes: [0]}\n      - text: How much memory")
    result = check_bytes(source.encode(), "listening.yaml")
    found = [(p.code, p.message) for p in result.errors]
    assert [code for code, _ in found] == ["MF203", "MF202"], found
    assert "did you mean 'probes'?" in found[0][1]
    assert "missing required key 'text'" in found[1][1]


def test_the_answer_part_of_a_mixed_message_is_kept(compiled: CompiledInterview) -> None:
    engine, clock = started(compiled)
    text = "I'd put Redis in front with a short ttl. Sorry, could you repeat the last part?"
    p = engine.request("repeat", answer=answer_part(text))
    assert p.kinds == (MoveKind.REPEAT,)
    assert engine.current is not None
    assert [t.text for t in engine.current.turns] == ["I'd put Redis in front with a short ttl."]
    # the next answer is scored together with it: the ttl already counts
    clock.t += 10
    follow_up = engine.propose("And when a price changes I'd purge that key" + PAD)
    assert follow_up.moves[0].text == "What if a popular key expires at the busiest moment?"
    # a message with no answer part adds no turn
    assert answer_part("Could you repeat the question?") is None
    assert answer_part("I'd use a queue and a worker.") is None  # an answer, not a request


def test_fillers_around_a_question_do_not_hide_the_fact() -> None:
    assert answer_from_facts("Yes: how big is the team?", FACTS) == FACTS[0]
    assert answer_from_facts("Um, okay, so is the role remote?", FACTS) == FACTS[2]
