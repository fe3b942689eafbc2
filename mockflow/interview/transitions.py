"""The interview's transitions: pure functions from a state and an event to a proposal.

Every function here takes the session's frozen ``Context`` (the compiled interview, its
plan, the seeded order, the candidate, the scorer, the owning engine's token) and a
``State``, and returns moves and the state they lead to; nothing is changed in place, so
the engine can propose for every draft and commit only what was delivered.

Entry points (one per event): ``start``, ``turn``, ``request``, ``tick``. The rest are the
steps they share: answer, close, advance, hint, clarification, the candidate's question,
wrap-up, stop and end.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, replace

from mockflow.format.compile import CompiledInterview
from mockflow.format.limits import clip_for_scoring
from mockflow.format.model import Interview
from mockflow.format.templates import Candidate
from mockflow.interview import acknowledge as ack
from mockflow.interview import moves as mv
from mockflow.interview.acknowledge import Acknowledgement
from mockflow.interview.aims import choose_follow_up, framing
from mockflow.interview.errors import RequestRejected
from mockflow.interview.facts import answer_from_facts
from mockflow.interview.moves import EndReason, Move, MoveOnReason
from mockflow.interview.plan import Plan, choose
from mockflow.interview.proposal import EventKind, Proposal, RequestKind, as_turn
from mockflow.interview.records import (
    AnswerTurn,
    CandidateTurn,
    QuestionOutcome,
    QuestionRecord,
    TurnKind,
)
from mockflow.interview.requests import is_yes
from mockflow.interview.state import Phase, State
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Scorer
from mockflow.scoring.offline import OFFLINE

FOLLOW_UP_LATEST = 0.75  # a follow-up is only asked while at least 25 % of the budget is left
MAX_WRAP_UP_TURNS = 3  # candidate turns in the wrap-up before the engine closes
MAX_CLARIFY_CHARS = 400  # matches the candidate_request tool's `say` limit
GREETING_WAIT_SECONDS = 20.0  # silence after a greeting that asks: question 1 comes anyway

# "No, thank you", "Nothing from me", "I'm good": the candidate has no (more) questions.
_NO_MORE_QUESTIONS = re.compile(
    r"^\W*(no\b|nope\b|nothing\b|not really\b|none\b|i'?m (good|fine|done|all set)\b"
    r"|that'?s (all|it|everything)\b|all good\b|i don'?t have any)",
    re.IGNORECASE,
)

Moves = tuple[list[Move], State]


@dataclass(frozen=True, slots=True)
class Context:
    """What stays fixed for a session: its interview, plan, order, candidate and scorer,
    and the token of the engine that owns the proposals made with it."""

    compiled: CompiledInterview
    plan: Plan
    rank: dict[str, int]
    seed: int
    candidate: Candidate
    scorer: Scorer
    token: object

    @property
    def iv(self) -> Interview:
        return self.compiled.interview


# --------------------------------------------------------------------------- events


def start(ctx: Context, s: State, now: float) -> Proposal:
    """The greeting, and question 1 unless the greeting asks something."""
    greeting = ctx.compiled.greeting(ctx.candidate)
    s1 = replace(s, phase=Phase.GREETING, started_at=now, last_speech=greeting)
    out = [mv.greet(greeting)]
    if not greeting.rstrip().endswith("?"):
        more, s1 = advance(ctx, s1, 0.0)
        out += more
    return proposal(ctx, EventKind.START, out, s, s1, 0.0)


def turn(ctx: Context, s: State, t: CandidateTurn, at: float) -> Proposal:
    """A candidate turn: the reply to a stop confirmation, to the greeting, in the
    wrap-up, or an answer."""
    if s.pending_stop:
        if is_yes(t.text):
            return stop(ctx, s, at)
        return resume(ctx, s, at)
    if s.phase is Phase.GREETING:
        out, s1 = advance(ctx, s, at)
        return proposal(ctx, EventKind.TURN, out, s, s1, at, ack=ack.READY_ACK)
    if s.phase is Phase.WRAP_UP:
        return wrap_up_turn(ctx, s, at, t.text)
    return answer(ctx, s, t, at)


def request(ctx: Context, s: State, kind: RequestKind, at: float, say: str | None,
            question: str | None, *, confirmed: bool, answer: str | None) -> Proposal:
    """A candidate request (see ``InterviewEngine.propose_request``)."""
    s = with_answer_part(s, answer, at)
    text = " ".join((say or "").split())
    if len(text) > MAX_CLARIFY_CHARS:
        raise RequestRejected(f"`say` is {len(text)} characters; keep it under"
                              f" {MAX_CLARIFY_CHARS}")
    if kind is RequestKind.SKIP and s.phase is Phase.WRAP_UP:
        kind = RequestKind.STOP  # "I'm done" in the wrap-up: no more questions
    if kind is RequestKind.STOP:
        if confirmed or s.pending_stop or s.phase is Phase.WRAP_UP:
            return stop(ctx, s, at)
        rec = s.open
        out = [mv.confirm_stop(question_id=rec.question_id if rec else None,
                               number=rec.number if rec else None)]
        s1 = replace(s, pending_stop=True, last_speech=out[0].speech)
        return proposal(ctx, EventKind.REQUEST, out, s, s1, at)
    before = s
    s = replace(s, pending_stop=False)  # any other request: the candidate carries on
    rec = s.open
    if kind is RequestKind.QUESTION:
        return candidate_question(ctx, before, s, at, text, question or "")
    if kind is RequestKind.CLARIFY:
        text = text or clarification(ctx, s)
        if rec is None:
            s1 = replace(s, last_speech=text)
            out = [mv.clarify(text, question_id=None, number=None)]
        else:
            new = replace(rec, clarifications=rec.clarifications + (text,))
            s1 = with_open(s, new)
            out = [mv.clarify(text, question_id=rec.question_id, number=rec.number)]
        return proposal(ctx, EventKind.REQUEST, out, before, s1, at)
    if kind is RequestKind.REPEAT:
        if rec is None:
            out = [mv.repeat(s.last_speech, question_id=None, number=None)]
            return proposal(ctx, EventKind.REQUEST, out, before, s, at)
        new = replace(rec, repeats=rec.repeats + 1)
        out = [mv.repeat(rec.prompts[-1], question_id=rec.question_id, number=rec.number)]
        return proposal(ctx, EventKind.REQUEST, out, before, with_open(s, new), at)
    if rec is None:
        what = "a hint" if kind is RequestKind.HINT else "a skip"
        raise RequestRejected(f"no question is open, so {what} doesn't apply now;"
                              " just reply to the candidate")
    if kind is RequestKind.HINT:
        return hint(ctx, before, s, at)
    # skip: close the question (what was already said still counts) and move on
    s1 = close(ctx, s, at, QuestionOutcome.SKIPPED, None)
    out = [mv.move_on(MoveOnReason.SKIP, question_id=rec.question_id, number=rec.number)]
    more, s2 = advance(ctx, s1, at)
    return proposal(ctx, EventKind.REQUEST, out + more, before, s2, at)


def tick(ctx: Context, s: State, at: float, partial: CandidateTurn | str | None,
         nudged: Container[int]) -> Proposal | None:
    """A time move due at ``at`` (relative seconds), or None. ``nudged``: the question
    numbers already nudged (a nudge is a side channel: it doesn't advance the turn)."""
    timing = ctx.iv.timing
    rec = s.open
    if at >= timing.total_seconds:
        s1 = s
        if rec is not None:
            s1 = close(ctx, s, at, QuestionOutcome.TIME_UP, as_turn(partial))
        reason = s.questions_end or EndReason.TIME
        return end(ctx, s, s1, at, reason, event=EventKind.TICK)
    if s.phase is Phase.WRAP_UP:
        if at >= wrap_up_deadline(ctx, s):
            return end(ctx, s, s, at, s.questions_end or EndReason.QUESTIONS_EXHAUSTED,
                       event=EventKind.TICK)
        return None
    if s.phase is Phase.GREETING:
        if at < GREETING_WAIT_SECONDS:
            return None
        out, s1 = advance(ctx, s, at)
        return proposal(ctx, EventKind.TICK, out, s, s1, at)
    if rec is None:
        return None
    used = at - rec.asked_at
    if used >= rec.budget:
        s1 = close(ctx, s, at, QuestionOutcome.MOVED_ON, as_turn(partial))
        out = [mv.move_on(MoveOnReason.TIME, question_id=rec.question_id,
                          number=rec.number)]
        more, s2 = advance(ctx, s1, at)
        return proposal(ctx, EventKind.TICK, out + more, s, s2, at)
    if used >= timing.nudge_at * rec.budget and rec.number not in nudged:
        move = mv.nudge(question_id=rec.question_id, number=rec.number,
                        seconds_left=rec.budget - used)
        return Proposal(EventKind.TICK, (move,), s.seq, at, None, ctx.token, rec.number)
    return None


# --------------------------------------------------------------------------- steps


def proposal(ctx: Context, event: EventKind, out: list[Move], before: State, after: State,
             at: float, *, ack: Acknowledgement | None = None) -> Proposal:
    return Proposal(event, tuple(out), before.seq, at, replace(after, seq=before.seq + 1),
                    ctx.token, ack=ack)


def with_open(s: State, rec: QuestionRecord) -> State:
    return replace(s, records=s.records[:-1] + (rec,))


def answer_turn(s: State, t: CandidateTurn, kind: TurnKind, at: float) -> AnswerTurn:
    return AnswerTurn(
        t.text, kind, at,
        None if t.started_at is None else t.started_at - s.started_at,
        None if t.ended_at is None else t.ended_at - s.started_at,
    )


def score(ctx: Context, rec: QuestionRecord, turns: tuple[AnswerTurn, ...]) -> QuestionScore:
    """The engine's own decision signal (follow-up or not, ladder step)."""
    q = ctx.iv.question(rec.question_id)
    hints = tuple(q.hints[i] for i in rec.hints if 0 <= i < len(q.hints))
    answers, clipped = clip_for_scoring(tuple(t.text for t in turns))
    item = AnsweredQuestion(rec.number, q, answers, rec.prompts, hints)
    result = ctx.scorer.score(item, ctx.plan.rubrics[q.competency])
    if clipped is not None:  # said in the scorecard's rationale for this question
        result = replace(result, rationale=f"{result.rationale} ({clipped})".strip())
    return result


def with_answer_part(s: State, answer: str | None, at: float) -> State:
    """The open question with the answer part of a mixed message as an answer turn
    (three words or more; nothing when no question is open)."""
    rec = s.open
    text = " ".join((answer or "").split())
    if rec is None or len(text.split()) < 3:
        return s
    kind = TurnKind.FOLLOW_UP if rec.follow_ups else TurnKind.ANSWER
    return with_open(s, replace(rec, turns=rec.turns + (AnswerTurn(text, kind, at),)))


def resume(ctx: Context, s: State, at: float) -> Proposal:
    """A pending stop was not confirmed: the question on the table again."""
    rec = s.open
    out = [mv.resume(rec.prompts[-1] if rec else None,
                     question_id=rec.question_id if rec else None,
                     number=rec.number if rec else None)]
    s1 = replace(s, pending_stop=False, last_speech=out[0].speech)
    return proposal(ctx, EventKind.TURN, out, s, s1, at)


def candidate_question(ctx: Context, before: State, s: State, at: float, say: str,
                       question: str) -> Proposal:
    """Answer the candidate's question from the facts (or pass it on), then put the
    current question again. Nothing is recorded as an answer."""
    reply = say or answer_from_facts(question, ctx.iv.facts)
    if s.phase is Phase.WRAP_UP:
        return wrap_up_turn(ctx, s, at, question, answer=reply, before=before,
                            event=EventKind.REQUEST)
    rec = s.open
    out = [mv.answer_question(reply, rec.prompts[-1] if rec else None,
                              question_id=rec.question_id if rec else None,
                              number=rec.number if rec else None,
                              greeting=s.phase is Phase.GREETING)]
    return proposal(ctx, EventKind.REQUEST, out, before, replace(s, last_speech=out[0].speech),
                    at)


def clarification(ctx: Context, s: State) -> str:
    """The engine's own clarification: the question's ``clarification``, or its
    framing; during a follow-up, the follow-up put another way."""
    rec = s.open
    if rec is None:
        return f"Let me put it another way. {s.last_speech}".strip()
    if rec.follow_up_indices:
        return f"I'd like to hear a bit more about your answer: {rec.prompts[-1]}"
    own = ctx.compiled.clarification_text(rec.question_id, stage_id=rec.stage_id,
                                          number=rec.number, candidate=ctx.candidate)
    if own:
        return own
    q = ctx.iv.question(rec.question_id)
    return framing(q, ctx.iv.competency(q.competency).name)


def hint(ctx: Context, before: State, s: State, at: float) -> Proposal:
    """The next hint: during a follow-up its own hint (once) or a neutral nudge, never
    the question's hints; otherwise the question's next hint."""
    rec = s.open
    assert rec is not None
    q = ctx.iv.question(rec.question_id)
    if rec.follow_up_indices:
        j = rec.follow_up_indices[-1]
        text = ctx.compiled.follow_up_hint_text(q.id, j, stage_id=rec.stage_id,
                                                number=rec.number, candidate=ctx.candidate)
        if text is None:
            out = [mv.neutral_nudge(question_id=q.id, number=rec.number)]
            return proposal(ctx, EventKind.REQUEST, out, before, s, at)
        if j in rec.follow_up_hints:
            out = [mv.no_hints_left(question_id=q.id, number=rec.number)]
            return proposal(ctx, EventKind.REQUEST, out, before, s, at)
        new = replace(rec, follow_up_hints=rec.follow_up_hints + (j,))
        out = [mv.give_hint(question_id=q.id, text=text, index=None, number=rec.number)]
        return proposal(ctx, EventKind.REQUEST, out, before, with_open(s, new), at)
    index = len(rec.hints)
    if index >= len(q.hints):
        out = [mv.no_hints_left(question_id=q.id, number=rec.number)]
        return proposal(ctx, EventKind.REQUEST, out, before, s, at)
    text = ctx.compiled.hint_text(q.id, index, stage_id=rec.stage_id,
                                  number=rec.number, candidate=ctx.candidate)
    new = replace(rec, hints=rec.hints + (index,))
    out = [mv.give_hint(question_id=q.id, text=text, index=index, number=rec.number)]
    return proposal(ctx, EventKind.REQUEST, out, before, with_open(s, new), at)


def answer(ctx: Context, s: State, t: CandidateTurn, at: float) -> Proposal:
    """An answer turn: a follow-up when a key point was missed and time allows, else the
    question closes and the next one (or the wrap-up) comes."""
    rec = s.open
    assert rec is not None
    q = ctx.iv.question(rec.question_id)
    kind = TurnKind.FOLLOW_UP if rec.follow_ups else TurnKind.ANSWER
    turns = rec.turns + (answer_turn(s, t, kind, at),)
    result = score(ctx, rec, turns)
    allowed = min(q.max_follow_ups, len(q.follow_ups))
    index = None
    if rec.follow_ups < allowed and at - rec.asked_at < FOLLOW_UP_LATEST * rec.budget:
        index = choose_follow_up(q, result, rec.follow_up_indices)
    if index is not None:
        text = ctx.compiled.follow_up_text(q.id, index, stage_id=rec.stage_id,
                                           number=rec.number, candidate=ctx.candidate)
        new = replace(rec, turns=turns, prompts=rec.prompts + (text,),
                      follow_up_indices=rec.follow_up_indices + (index,))
        stage = ctx.plan.titles[s.stage]
        out = [mv.ask_follow_up(question_id=q.id, text=text, index=index, level=q.level,
                                stage_id=rec.stage_id, stage_title=stage,
                                number=rec.number, total=ctx.plan.total)]
        return proposal(ctx, EventKind.TURN, out, s, with_open(s, new), at,
                        ack=acknowledge(ctx, rec, t.text))
    s1 = close(ctx, s, at, QuestionOutcome.ANSWERED, None, turns=turns, result=result)
    more, s2 = advance(ctx, s1, at)
    return proposal(ctx, EventKind.TURN, more, s, s2, at, ack=acknowledge(ctx, rec, t.text))


def acknowledge(ctx: Context, rec: QuestionRecord, text: str) -> Acknowledgement:
    """The words that acknowledge this answer turn (seeded by session and turn)."""
    q = ctx.iv.question(rec.question_id)
    return ack.for_answer(text, OFFLINE.points(q), seed=ctx.seed,
                          key=f"{rec.number}.{len(rec.turns)}")


def close(ctx: Context, s: State, at: float, outcome: QuestionOutcome,
          partial: CandidateTurn | None, *, turns: tuple[AnswerTurn, ...] | None = None,
          result: QuestionScore | None = None) -> State:
    """Close the open question: score it, step the ladder."""
    rec = s.open
    assert rec is not None
    if turns is None:
        turns = rec.turns
        if partial is not None and partial.text.strip():
            turns += (answer_turn(s, partial, TurnKind.PARTIAL, at),)
    if result is None and turns:
        result = score(ctx, rec, turns)
    ladder = ctx.iv.ladder
    raw = result.score if result is not None and result.score is not None \
        else float(ctx.iv.scale.min)
    level = s.level
    if raw >= ladder.step_up_at:
        level += 1
    elif raw <= ladder.step_down_at:
        level -= 1
    level = min(len(ladder.levels) - 1, max(0, level))
    closed = replace(rec, turns=turns, outcome=outcome, closed_at=at, score=result,
                     ladder_after=ladder.levels[level])
    return replace(s, records=s.records[:-1] + (closed,), level=level, pending_stop=False)


def advance(ctx: Context, s: State, at: float) -> Moves:
    """Ask the next question that fits, or wrap up (or end) when none is left."""
    iv = ctx.iv
    asked = {r.question_id for r in s.records}
    stage_i = max(0, s.stage)
    stage_started = s.stage_started if s.stage >= 0 else at
    counts = list(s.stage_counts)
    time_cut = s.time_cut
    while stage_i < len(iv.stages):
        q, cut = choose(iv, ctx.plan, ctx.rank, s, stage_i, at, stage_started,
                        counts[stage_i], asked)
        time_cut = time_cut or cut
        if q is not None:
            break
        stage_i += 1
        stage_started = at
    else:
        q = None
    if q is None:
        reason = EndReason.TIME if time_cut else EndReason.QUESTIONS_EXHAUSTED
        s1 = replace(s, time_cut=time_cut, questions_end=reason)
        return wrap_up(ctx, s1, at, reason)
    stage = iv.stages[stage_i]
    title = ctx.plan.titles[stage_i]
    out: list[Move] = []
    if s.records and s.records[-1].stage_id != stage.id:
        out.append(mv.next_stage(stage_id=stage.id, stage_title=title))
    if counts[stage_i] == 0:
        stage_started = at
    number = len(s.records) + 1
    text = ctx.compiled.question_text(q.id, stage_id=stage.id, number=number,
                                      candidate=ctx.candidate)
    ladder_level = iv.ladder.levels[s.level]
    record = QuestionRecord(
        number=number, question_id=q.id, stage_id=stage.id, competency=q.competency,
        level=q.level, ladder_level=ladder_level,
        borrowed=not stage.is_fixed and q.level != ladder_level,
        asked_at=at, budget=float(q.answer_seconds), prompts=(text,),
    )
    counts[stage_i] += 1
    out.append(mv.ask_question(question_id=q.id, text=text, level=q.level,
                               stage_id=stage.id, stage_title=title, number=number,
                               total=ctx.plan.total, first=not s.records))
    s1 = replace(s, phase=Phase.QUESTION, stage=stage_i, stage_started=stage_started,
                 records=s.records + (record,), stage_counts=tuple(counts),
                 time_cut=time_cut)
    return out, s1


def wrap_up(ctx: Context, s: State, at: float, reason: EndReason) -> Moves:
    timing = ctx.iv.timing
    if timing.wrap_up_seconds <= 0 or at >= timing.total_seconds:
        return end_moves(ctx, s, at, reason)
    move = mv.wrap_up(reason)
    return [move], replace(s, phase=Phase.WRAP_UP, wrap_up_at=at, wrap_up_turns=0,
                           last_speech=move.speech)


def wrap_up_deadline(ctx: Context, s: State) -> float:
    timing = ctx.iv.timing
    started = s.wrap_up_at if s.wrap_up_at is not None else 0.0
    return min(timing.total_seconds, started + timing.wrap_up_seconds)


def wrap_up_turn(ctx: Context, s: State, at: float, text: str = "", *,
                 answer: str | None = None, before: State | None = None,
                 event: EventKind = EventKind.TURN) -> Proposal:
    """A candidate turn in the wrap-up: their question answered from the facts (or
    passed on), or the close when they have none left or time is up."""
    before = before if before is not None else s
    reason = s.questions_end or EndReason.QUESTIONS_EXHAUSTED
    turns = s.wrap_up_turns + 1
    done = bool(_NO_MORE_QUESTIONS.match(text)) and "?" not in text
    if answer is None and not done:
        answer = answer_from_facts(text, ctx.iv.facts)
    if done or turns >= MAX_WRAP_UP_TURNS or at >= wrap_up_deadline(ctx, s):
        out, s1 = end_moves(ctx, s, at, reason, after_wrap_up=True)
        if answer:
            out = [replace(out[0], speech=f"{answer} {out[0].speech}")]
        return proposal(ctx, event, out, before, s1, at)
    move = mv.wrap_up_reply(reason, answer)
    s1 = replace(s, wrap_up_turns=turns, last_speech=move.speech)
    return proposal(ctx, event, [move], before, s1, at)


def stop(ctx: Context, s: State, at: float) -> Proposal:
    """The candidate's confirmed stop: close the open question and end."""
    if s.phase is Phase.WRAP_UP:
        reason = s.questions_end or EndReason.QUESTIONS_EXHAUSTED
        return end(ctx, s, s, at, reason, event=EventKind.REQUEST)
    s1 = s
    if s.open is not None:
        s1 = close(ctx, s, at, QuestionOutcome.STOPPED, None)
    s1 = replace(s1, questions_end=EndReason.CANDIDATE_STOP)
    out, s2 = end_moves(ctx, s1, at, EndReason.CANDIDATE_STOP, stopped=True)
    return proposal(ctx, EventKind.REQUEST, out, s, s2, at)


def end(ctx: Context, before: State, s: State, at: float, reason: EndReason, *,
        event: EventKind) -> Proposal:
    out, s1 = end_moves(ctx, s, at, reason)
    return proposal(ctx, event, out, before, s1, at)


def end_moves(ctx: Context, s: State, at: float, reason: EndReason, *,
              stopped: bool = False, after_wrap_up: bool = False) -> Moves:
    closing = ctx.compiled.closing(ctx.candidate)
    move = mv.end(reason, closing, stopped=stopped, after_wrap_up=after_wrap_up)
    s1 = replace(s, phase=Phase.ENDED, end_reason=reason, ended_at=at,
                 questions_end=s.questions_end or reason, last_speech=move.speech)
    return [move], s1
