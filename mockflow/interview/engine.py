"""``InterviewEngine``: the pure state machine that runs one interview session.

The engine decides the interview's structure from the ``CompiledInterview``: which
question comes next, follow-ups, hints, the difficulty ladder, time, the end. It never
imports ``livekit``; the agent layer feeds it events and turns its moves into speech.

Propose, then commit. Every event first yields a ``Proposal`` (its moves and the state
they lead to) without touching the engine; ``commit(proposal)`` makes it happen. The
voice pipeline drafts replies from partial transcripts and throws most of them away, so
proposing is pure and cheap and a discarded proposal leaves no trace. Committing a
proposal made against an older state raises ``StaleProposal``; committing the same
proposal twice is a no-op. See docs/engine.md for the agent author's contract.

Events: ``propose_start()``/``start()``, ``propose(turn)``, ``propose_request(kind)``/
``request(kind)``, ``tick(partial)`` (time moves from the injected clock).
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import MockflowError
from mockflow.format.limits import clip_for_scoring
from mockflow.format.model import Question
from mockflow.format.templates import Candidate
from mockflow.interview import acknowledge as ack
from mockflow.interview import moves as mv
from mockflow.interview.acknowledge import Acknowledgement
from mockflow.interview.aims import choose_follow_up, framing
from mockflow.interview.facts import answer_from_facts
from mockflow.interview.moves import EndReason, Move, MoveKind, MoveOnReason
from mockflow.interview.records import (
    AnswerTurn,
    CandidateTurn,
    QuestionOutcome,
    QuestionRecord,
    SessionRecord,
    TurnKind,
)
from mockflow.interview.requests import is_yes
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Rubric, Scorer
from mockflow.scoring.offline import OFFLINE

SNAPSHOT_FORMAT = 1
FOLLOW_UP_LATEST = 0.75  # a follow-up is only asked while at least 25 % of the budget is left
MAX_WRAP_UP_TURNS = 3  # candidate turns in the wrap-up before the engine closes
MAX_CLARIFY_CHARS = 400  # matches the candidate_request tool's `say` limit
GREETING_WAIT_SECONDS = 20.0  # silence after a greeting that asks: question 1 comes anyway
_NEXT = "NEXT MOVE: "

Clock = Callable[[], float]

# "No, thank you", "Nothing from me", "I'm good": the candidate has no (more) questions.
_NO_MORE_QUESTIONS = re.compile(
    r"^\W*(no\b|nope\b|nothing\b|not really\b|none\b|i'?m (good|fine|done|all set)\b"
    r"|that'?s (all|it|everything)\b|all good\b|i don'?t have any)",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- errors


class EngineError(MockflowError):
    """The engine was driven in a way its contract doesn't allow."""


class StaleProposal(EngineError):
    """A proposal was made against an older state (another move was committed since)."""


class InterviewOver(EngineError):
    """The interview has ended; no more turns or requests are taken."""


class RequestRejected(EngineError):
    """A candidate request that doesn't apply now (e.g. a hint when no question is open).

    The message is written for the interviewer model (a tool error it can act on).
    """


class SnapshotError(EngineError):
    """A snapshot doesn't belong to this interview or is malformed."""


# --------------------------------------------------------------------------- enums


class Phase(StrEnum):
    NOT_STARTED = "not_started"
    GREETING = "greeting"  # greeted; waiting for the candidate before question 1
    QUESTION = "question"  # a question is open
    WRAP_UP = "wrap_up"  # questions are over; the candidate may ask theirs
    ENDED = "ended"


class RequestKind(StrEnum):
    REPEAT = "repeat"
    CLARIFY = "clarify"
    HINT = "hint"
    SKIP = "skip"
    STOP = "stop"
    QUESTION = "question"  # the candidate asked the interviewer something


class EventKind(StrEnum):
    START = "start"
    TURN = "turn"
    REQUEST = "request"
    TICK = "tick"


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True, slots=True)
class _Plan:
    """Per compiled interview, built once and shared by every session."""

    pools: tuple[tuple[Question, ...], ...]  # per stage: fixed questions, or the pick pool
    level_of: Mapping[str, int]
    rubrics: Mapping[str, Rubric]
    planned: tuple[int, ...]  # questions planned per stage
    titles: tuple[str, ...]
    rank_ids: tuple[str, ...]  # question ids in a fixed order, shuffled per seed
    role_level: int | None


_PLANS: dict[int, tuple[CompiledInterview, _Plan]] = {}


def _plan_for(compiled: CompiledInterview) -> _Plan:
    hit = _PLANS.get(id(compiled))
    if hit is not None and hit[0] is compiled:
        return hit[1]
    iv = compiled.interview
    levels = iv.ladder.levels
    fixed = {qid for s in iv.stages for qid in s.questions}
    pools: list[tuple[Question, ...]] = []
    for stage in iv.stages:
        if stage.is_fixed:
            pools.append(tuple(iv.question(q) for q in stage.questions))
        else:
            comps = set(stage.competencies)
            pools.append(tuple(q for q in iv.questions
                               if q.competency in comps and q.id not in fixed))
    start = levels.index(iv.ladder.start)
    plan = _Plan(
        pools=tuple(pools),
        level_of={q.id: levels.index(q.level) if q.level in levels else start
                  for q in iv.questions},
        rubrics={c.id: Rubric(c, iv.scale, iv.questions) for c in iv.competencies},
        planned=tuple(len(s.questions) if s.is_fixed else min(s.pick or 0, len(p))
                      for s, p in zip(iv.stages, pools, strict=True)),
        titles=tuple(s.title or s.id for s in iv.stages),
        rank_ids=tuple(sorted(q.id for q in iv.questions)),
        role_level=levels.index(iv.role.level) if iv.role.level in levels else None,
    )
    if len(_PLANS) >= 64:
        _PLANS.clear()
    _PLANS[id(compiled)] = (compiled, plan)
    return plan


# --------------------------------------------------------------------------- state


@dataclass(frozen=True, slots=True)
class _State:
    """Everything that decides future moves. Immutable: a transition builds a new one."""

    seq: int = 0  # committed turn-level moves so far
    phase: Phase = Phase.NOT_STARTED
    started_at: float = 0.0  # clock reading at start
    stage: int = -1
    stage_started: float = 0.0  # relative seconds
    level: int = 0  # ladder index
    records: tuple[QuestionRecord, ...] = ()
    stage_counts: tuple[int, ...] = ()
    time_cut: bool = False  # a planned question was left out because it didn't fit the time
    questions_end: EndReason | None = None
    wrap_up_at: float | None = None
    wrap_up_turns: int = 0
    last_speech: str = ""  # what REPEAT says outside a question
    end_reason: EndReason | None = None
    ended_at: float | None = None
    pending_stop: bool = False  # asked "Do you want to end the interview here?"

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "phase": self.phase.value,
            "started_at": self.started_at,
            "stage": self.stage,
            "stage_started": self.stage_started,
            "level": self.level,
            "records": [r.to_dict() for r in self.records],
            "stage_counts": list(self.stage_counts),
            "time_cut": self.time_cut,
            "questions_end": None if self.questions_end is None else self.questions_end.value,
            "wrap_up_at": self.wrap_up_at,
            "wrap_up_turns": self.wrap_up_turns,
            "last_speech": self.last_speech,
            "end_reason": None if self.end_reason is None else self.end_reason.value,
            "ended_at": self.ended_at,
            "pending_stop": self.pending_stop,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> _State:
        return cls(
            seq=data["seq"],
            phase=Phase(data["phase"]),
            started_at=data["started_at"],
            stage=data["stage"],
            stage_started=data["stage_started"],
            level=data["level"],
            records=tuple(QuestionRecord.from_dict(r) for r in data["records"]),
            stage_counts=tuple(data["stage_counts"]),
            time_cut=data["time_cut"],
            questions_end=None if data["questions_end"] is None
            else EndReason(data["questions_end"]),
            wrap_up_at=data["wrap_up_at"],
            wrap_up_turns=data["wrap_up_turns"],
            last_speech=data["last_speech"],
            end_reason=None if data["end_reason"] is None else EndReason(data["end_reason"]),
            ended_at=data["ended_at"],
            pending_stop=bool(data.get("pending_stop", False)),
        )

    @property
    def open(self) -> QuestionRecord | None:
        if self.phase is Phase.QUESTION and self.records and self.records[-1].is_open:
            return self.records[-1]
        return None


@dataclass(frozen=True, slots=True, eq=False)
class Proposal:
    """The moves for one event and the state they lead to. Commit it when delivered.

    ``speech`` joins the moves' speech; ``directive`` joins their directives (the first
    starts ``NEXT MOVE:``, the rest ``THEN:``).
    """

    event: EventKind
    moves: tuple[Move, ...]
    base: int  # the state sequence it was computed against
    at: float  # relative seconds when it was computed
    state_after: _State | None = field(repr=False)  # None for a nudge (side channel)
    owner: object = field(repr=False, default=None)
    nudge_number: int | None = None
    ack: Acknowledgement | None = None  # an answer turn's acknowledgement (said first)

    @property
    def speech(self) -> str:
        """Everything to say: the acknowledgement, then the moves."""
        return " ".join(([self.ack.text] if self.ack else []) + [self.body_speech])

    @property
    def body_speech(self) -> str:
        """The moves' speech without the acknowledgement (said after an instant one)."""
        return " ".join(m.speech for m in self.moves)

    @property
    def directive(self) -> str:
        """The instruction for a model that phrases the whole reply."""
        lines = self.body_directive.split("\n")
        if self.ack is not None and lines[0].startswith(_NEXT):
            lines[0] = _NEXT + self.ack.directive + lines[0][len(_NEXT):]
        return "\n".join(lines)

    @property
    def body_directive(self) -> str:
        """The moves' instruction when the acknowledgement was already spoken."""
        lines = []
        for i, m in enumerate(self.moves):
            text = m.directive
            if i and text.startswith(_NEXT):
                text = "THEN: " + text[len(_NEXT):]
            lines.append(text)
        return "\n".join(lines)

    @property
    def kinds(self) -> tuple[MoveKind, ...]:
        return tuple(m.kind for m in self.moves)

    @property
    def ends(self) -> bool:
        return any(m.kind is MoveKind.END for m in self.moves)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event": self.event.value,
                                "moves": [m.to_dict() for m in self.moves], "at": self.at}
        if self.ack is not None:
            data["ack"] = self.ack.text
        return data


def _as_turn(turn: CandidateTurn | str | None) -> CandidateTurn | None:
    if turn is None or isinstance(turn, CandidateTurn):
        return turn
    return CandidateTurn(turn)


# --------------------------------------------------------------------------- engine


class InterviewEngine:
    """One interview session. See the module docstring and docs/engine.md."""

    def __init__(self, compiled: CompiledInterview, *, clock: Clock = time.monotonic,
                 seed: int = 0, candidate: Candidate | None = None,
                 scorer: Scorer | None = None) -> None:
        self._compiled = compiled
        self._iv = compiled.interview
        self._plan = _plan_for(compiled)
        self._clock = clock
        self._seed = seed
        self._candidate = candidate if candidate is not None else Candidate()
        self._scorer: Scorer = scorer if scorer is not None else OFFLINE
        if self._scorer is OFFLINE:  # compile key points once; another scorer has its own
            OFFLINE.prepare(self._iv.questions)
        ids = list(self._plan.rank_ids)
        random.Random(seed).shuffle(ids)
        self._rank = {qid: i for i, qid in enumerate(ids)}
        self._state = _State(level=self._iv.ladder.index(self._iv.ladder.start),
                             stage_counts=(0,) * len(self._iv.stages))
        self._nudges: dict[int, float] = {}
        self._last: Proposal | None = None
        self._token = object()
        self._observers: list[Callable[[InterviewEngine], None]] = []

    # -- read-only views ----------------------------------------------------------------

    @property
    def compiled(self) -> CompiledInterview:
        return self._compiled

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def phase(self) -> Phase:
        return self._state.phase

    @property
    def ended(self) -> bool:
        return self._state.phase is Phase.ENDED

    @property
    def end_reason(self) -> EndReason | None:
        return self._state.end_reason

    @property
    def level(self) -> str:
        """The ladder's current level."""
        return self._iv.ladder.levels[self._state.level]

    @property
    def current(self) -> QuestionRecord | None:
        """The open question, if any."""
        return self._state.open

    @property
    def records(self) -> tuple[QuestionRecord, ...]:
        return self._state.records

    @property
    def sequence(self) -> int:
        """How many turn-level proposals have been committed."""
        return self._state.seq

    def elapsed(self) -> float:
        """Seconds since the start (0 before it)."""
        s = self._state
        if s.phase is Phase.NOT_STARTED:
            return 0.0
        if s.ended_at is not None:
            return s.ended_at
        return self._clock() - s.started_at

    # -- events -------------------------------------------------------------------------

    def propose_start(self) -> Proposal:
        s = self._state
        if s.phase is not Phase.NOT_STARTED:
            raise EngineError("the interview has already started")
        now = self._clock()
        greeting = self._compiled.greeting(self._candidate)
        s1 = replace(s, phase=Phase.GREETING, started_at=now, last_speech=greeting)
        out = [mv.greet(greeting)]
        if not greeting.rstrip().endswith("?"):
            more, s1 = self._advance(s1, 0.0)
            out += more
        return self._proposal(EventKind.START, out, s, s1, 0.0)

    def start(self) -> Proposal:
        """Propose and commit the start: the greeting (and question 1 unless it asks)."""
        p = self.propose_start()
        self.commit(p)
        return p

    def propose(self, turn: CandidateTurn | str) -> Proposal:
        """The moves for a (possibly draft) candidate turn. Pure: nothing changes."""
        t = _as_turn(turn)
        assert t is not None
        s = self._live_state()
        at = self._clock() - s.started_at
        if s.pending_stop:
            if is_yes(t.text):
                return self._stop(s, at)
            return self._resume(s, at)
        if s.phase is Phase.GREETING:
            out, s1 = self._advance(s, at)
            return self._proposal(EventKind.TURN, out, s, s1, at, ack=ack.READY_ACK)
        if s.phase is Phase.WRAP_UP:
            return self._wrap_up_turn(s, at, t.text)
        return self._answer(s, t, at)

    def propose_request(self, kind: RequestKind | str, say: str | None = None,
                        question: str | None = None, *, confirmed: bool = False,
                        answer: str | None = None) -> Proposal:
        """The moves for a candidate request.

        ``say``: the model's own wording (a clarification, or its answer to the candidate's
        question from the facts); without it the engine uses the file's words. ``question``:
        the candidate's question to the interviewer, for kind ``question``. A stop asks the
        candidate to confirm first unless ``confirmed`` (a console's /quit, a candidate who
        left) or a confirmation is already pending. ``answer``: what else the candidate's
        message said that is an answer ("... with a short TTL. Could you repeat the last
        part?"); it is kept as an answer turn of the open question.
        """
        try:
            kind = RequestKind(kind)
        except ValueError:
            raise RequestRejected(
                f"unknown request '{kind}'; use one of {', '.join(k.value for k in RequestKind)}"
            ) from None
        s = self._live_state()
        at = self._clock() - s.started_at
        s = self._with_answer_part(s, answer, at)
        text = " ".join((say or "").split())
        if len(text) > MAX_CLARIFY_CHARS:
            raise RequestRejected(f"`say` is {len(text)} characters; keep it under"
                                  f" {MAX_CLARIFY_CHARS}")
        if kind is RequestKind.SKIP and s.phase is Phase.WRAP_UP:
            kind = RequestKind.STOP  # "I'm done" in the wrap-up: no more questions
        if kind is RequestKind.STOP:
            if confirmed or s.pending_stop or s.phase is Phase.WRAP_UP:
                return self._stop(s, at)
            rec = s.open
            out = [mv.confirm_stop(question_id=rec.question_id if rec else None,
                                   number=rec.number if rec else None)]
            s1 = replace(s, pending_stop=True, last_speech=out[0].speech)
            return self._proposal(EventKind.REQUEST, out, s, s1, at)
        before = s
        s = replace(s, pending_stop=False)  # any other request: the candidate carries on
        rec = s.open
        if kind is RequestKind.QUESTION:
            return self._candidate_question(before, s, at, text, question or "")
        if kind is RequestKind.CLARIFY:
            text = text or self._clarification(s)
            if rec is None:
                s1 = replace(s, last_speech=text)
                out = [mv.clarify(text, question_id=None, number=None)]
            else:
                new = replace(rec, clarifications=rec.clarifications + (text,))
                s1 = self._with_open(s, new)
                out = [mv.clarify(text, question_id=rec.question_id, number=rec.number)]
            return self._proposal(EventKind.REQUEST, out, before, s1, at)
        if kind is RequestKind.REPEAT:
            if rec is None:
                out = [mv.repeat(s.last_speech, question_id=None, number=None)]
                return self._proposal(EventKind.REQUEST, out, before, s, at)
            new = replace(rec, repeats=rec.repeats + 1)
            out = [mv.repeat(rec.prompts[-1], question_id=rec.question_id, number=rec.number)]
            return self._proposal(EventKind.REQUEST, out, before, self._with_open(s, new), at)
        if rec is None:
            what = "a hint" if kind is RequestKind.HINT else "a skip"
            raise RequestRejected(f"no question is open, so {what} doesn't apply now;"
                                  " just reply to the candidate")
        if kind is RequestKind.HINT:
            return self._hint(before, s, at)
        # skip: close the question (what was already said still counts) and move on
        s1 = self._close(s, at, QuestionOutcome.SKIPPED, None)
        out = [mv.move_on(MoveOnReason.SKIP, question_id=rec.question_id, number=rec.number)]
        more, s2 = self._advance(s1, at)
        return self._proposal(EventKind.REQUEST, out + more, before, s2, at)

    def request(self, kind: RequestKind | str, say: str | None = None,
                question: str | None = None, *, confirmed: bool = False,
                answer: str | None = None) -> Proposal:
        """Propose and commit a request (what the request tool calls)."""
        p = self.propose_request(kind, say, question, confirmed=confirmed, answer=answer)
        self.commit(p)
        return p

    def clarification(self) -> str | None:
        """The open question's own ``clarification`` (offered to a hosted model as its
        wording), or None."""
        rec = self._state.open
        if rec is None:
            return None
        return self._compiled.clarification_text(rec.question_id, stage_id=rec.stage_id,
                                                 number=rec.number, candidate=self._candidate)

    def tick(self, partial: CandidateTurn | str | None = None) -> Proposal | None:
        """A time move due now, or None. Pure like ``propose``: commit what you deliver.

        ``partial`` is what the candidate has said so far on the open question (the live
        transcript); on a move-on it counts as their answer.
        """
        s = self._state
        if s.phase in (Phase.NOT_STARTED, Phase.ENDED):
            return None
        at = self._clock() - s.started_at
        timing = self._iv.timing
        rec = s.open
        if at >= timing.total_seconds:
            s1 = s
            if rec is not None:
                s1 = self._close(s, at, QuestionOutcome.TIME_UP, _as_turn(partial))
            reason = s.questions_end or EndReason.TIME
            return self._end(s, s1, at, reason, event=EventKind.TICK)
        if s.phase is Phase.WRAP_UP:
            if at >= self._wrap_up_deadline(s):
                return self._end(s, s, at, s.questions_end or EndReason.QUESTIONS_EXHAUSTED,
                                 event=EventKind.TICK)
            return None
        if s.phase is Phase.GREETING:
            if at < GREETING_WAIT_SECONDS:
                return None
            out, s1 = self._advance(s, at)
            return self._proposal(EventKind.TICK, out, s, s1, at)
        if rec is None:
            return None
        used = at - rec.asked_at
        if used >= rec.budget:
            s1 = self._close(s, at, QuestionOutcome.MOVED_ON, _as_turn(partial))
            out = [mv.move_on(MoveOnReason.TIME, question_id=rec.question_id,
                              number=rec.number)]
            more, s2 = self._advance(s1, at)
            return self._proposal(EventKind.TICK, out + more, s, s2, at)
        if used >= timing.nudge_at * rec.budget and rec.number not in self._nudges:
            move = mv.nudge(question_id=rec.question_id, number=rec.number,
                            seconds_left=rec.budget - used)
            return Proposal(EventKind.TICK, (move,), s.seq, at, None, self._token, rec.number)
        return None

    def commit(self, proposal: Proposal) -> None:
        """Make a proposal happen. Exactly once per user turn; twice is a no-op."""
        if proposal is self._last:
            return
        if proposal.owner is not self._token:
            raise StaleProposal("this proposal was made by another engine")
        if proposal.base != self._state.seq:
            raise StaleProposal(
                f"this proposal was made at move {proposal.base} but the interview is at"
                f" move {self._state.seq}; propose again"
            )
        if proposal.state_after is None:  # a nudge: noted, doesn't advance the turn
            if proposal.nudge_number is not None:
                self._nudges.setdefault(proposal.nudge_number, proposal.at)
            return
        self._state = proposal.state_after
        self._last = proposal
        for observer in self._observers:
            observer(self)

    def observe(self, observer: Callable[[InterviewEngine], None]) -> None:
        """Call ``observer(engine)`` after every committed move (e.g. to judge a question
        as soon as it closes). It must not raise and must not drive the engine."""
        self._observers.append(observer)

    # -- results ------------------------------------------------------------------------

    def session(self) -> SessionRecord:
        s = self._state
        iv = self._iv
        return SessionRecord(
            interview=self._compiled.ref,
            seed=self._seed,
            ladder_start=iv.ladder.start,
            questions=s.records,
            nudges=dict(sorted(self._nudges.items())),
            end_reason=None if s.end_reason is None else s.end_reason.value,
            elapsed=self.elapsed(),
            wrap_up_at=s.wrap_up_at,
            stages=tuple((st.id, self._plan.planned[i],
                          s.stage_counts[i] if i < len(s.stage_counts) else 0)
                         for i, st in enumerate(iv.stages)),
        )

    # -- snapshot -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole session state as JSON-able data; ``restore`` brings it back exactly."""
        return {
            "format": SNAPSHOT_FORMAT,
            "interview": self._compiled.ref,
            "seed": self._seed,
            "candidate": {"name": self._candidate.name,
                          "attributes": dict(self._candidate.attributes)},
            "state": self._state.to_dict(),
            "nudges": [[n, at] for n, at in sorted(self._nudges.items())],
        }

    @classmethod
    def restore(cls, compiled: CompiledInterview, data: Mapping[str, Any], *,
                clock: Clock = time.monotonic, scorer: Scorer | None = None
                ) -> InterviewEngine:
        """An engine in exactly the snapshot's state. Clock readings are kept as they were:
        pass the same clock (or one with the same time base)."""
        if data.get("format") != SNAPSHOT_FORMAT:
            raise SnapshotError(f"unsupported snapshot format {data.get('format')!r}")
        if data.get("interview") != compiled.ref:
            raise SnapshotError(f"the snapshot is of {data.get('interview')}, not"
                                f" {compiled.ref}")
        try:
            cand = data["candidate"]
            engine = cls(compiled, clock=clock, seed=int(data["seed"]),
                         candidate=Candidate(cand["name"], dict(cand["attributes"])),
                         scorer=scorer)
            engine._state = _State.from_dict(data["state"])
            engine._nudges = {int(n): float(at) for n, at in data["nudges"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotError(f"malformed snapshot: {exc!r}") from exc
        return engine

    # -- transitions (pure: state in, moves and state out) --------------------------------

    def _live_state(self) -> _State:
        s = self._state
        if s.phase is Phase.NOT_STARTED:
            raise EngineError("the interview hasn't started; call start() first")
        if s.phase is Phase.ENDED:
            raise InterviewOver("the interview has ended")
        return s

    def _proposal(self, event: EventKind, out: list[Move], before: _State, after: _State,
                  at: float, *, ack: Acknowledgement | None = None) -> Proposal:
        return Proposal(event, tuple(out), before.seq, at, replace(after, seq=before.seq + 1),
                        self._token, ack=ack)

    @staticmethod
    def _with_open(s: _State, rec: QuestionRecord) -> _State:
        return replace(s, records=s.records[:-1] + (rec,))

    def _turn(self, s: _State, t: CandidateTurn, kind: TurnKind, at: float) -> AnswerTurn:
        return AnswerTurn(
            t.text, kind, at,
            None if t.started_at is None else t.started_at - s.started_at,
            None if t.ended_at is None else t.ended_at - s.started_at,
        )

    def _score(self, rec: QuestionRecord, turns: tuple[AnswerTurn, ...]) -> QuestionScore:
        """The engine's own decision signal (follow-up or not, ladder step)."""
        q = self._iv.question(rec.question_id)
        hints = tuple(q.hints[i] for i in rec.hints if 0 <= i < len(q.hints))
        answers, clipped = clip_for_scoring(tuple(t.text for t in turns))
        item = AnsweredQuestion(rec.number, q, answers, rec.prompts, hints)
        score = self._scorer.score(item, self._plan.rubrics[q.competency])
        if clipped is not None:  # said in the scorecard's rationale for this question
            score = replace(score, rationale=f"{score.rationale} ({clipped})".strip())
        return score

    def _with_answer_part(self, s: _State, answer: str | None, at: float) -> _State:
        """The open question with the answer part of a mixed message as an answer turn
        (three words or more; nothing when no question is open)."""
        rec = s.open
        text = " ".join((answer or "").split())
        if rec is None or len(text.split()) < 3:
            return s
        kind = TurnKind.FOLLOW_UP if rec.follow_ups else TurnKind.ANSWER
        return self._with_open(s, replace(rec, turns=rec.turns + (AnswerTurn(text, kind, at),)))

    def _resume(self, s: _State, at: float) -> Proposal:
        """A pending stop was not confirmed: the question on the table again."""
        rec = s.open
        out = [mv.resume(rec.prompts[-1] if rec else None,
                         question_id=rec.question_id if rec else None,
                         number=rec.number if rec else None)]
        s1 = replace(s, pending_stop=False, last_speech=out[0].speech)
        return self._proposal(EventKind.TURN, out, s, s1, at)

    def _candidate_question(self, before: _State, s: _State, at: float, say: str,
                            question: str) -> Proposal:
        """Answer the candidate's question from the facts (or pass it on), then put the
        current question again. Nothing is recorded as an answer."""
        answer = say or answer_from_facts(question, self._iv.facts)
        if s.phase is Phase.WRAP_UP:
            return self._wrap_up_turn(s, at, question, answer=answer, before=before,
                                      event=EventKind.REQUEST)
        rec = s.open
        out = [mv.answer_question(answer, rec.prompts[-1] if rec else None,
                                  question_id=rec.question_id if rec else None,
                                  number=rec.number if rec else None,
                                  greeting=s.phase is Phase.GREETING)]
        return self._proposal(EventKind.REQUEST, out, before,
                              replace(s, last_speech=out[0].speech), at)

    def _clarification(self, s: _State) -> str:
        """The engine's own clarification: the question's ``clarification``, or its
        framing; during a follow-up, the follow-up put another way."""
        rec = s.open
        if rec is None:
            return f"Let me put it another way. {s.last_speech}".strip()
        if rec.follow_up_indices:
            return f"I'd like to hear a bit more about your answer: {rec.prompts[-1]}"
        own = self._compiled.clarification_text(rec.question_id, stage_id=rec.stage_id,
                                                number=rec.number, candidate=self._candidate)
        if own:
            return own
        q = self._iv.question(rec.question_id)
        return framing(q, self._iv.competency(q.competency).name)

    def _hint(self, before: _State, s: _State, at: float) -> Proposal:
        """The next hint: during a follow-up its own hint (once) or a neutral nudge, never
        the question's hints; otherwise the question's next hint."""
        rec = s.open
        assert rec is not None
        q = self._iv.question(rec.question_id)
        if rec.follow_up_indices:
            j = rec.follow_up_indices[-1]
            text = self._compiled.follow_up_hint_text(q.id, j, stage_id=rec.stage_id,
                                                      number=rec.number,
                                                      candidate=self._candidate)
            if text is None:
                out = [mv.neutral_nudge(question_id=q.id, number=rec.number)]
                return self._proposal(EventKind.REQUEST, out, before, s, at)
            if j in rec.follow_up_hints:
                out = [mv.no_hints_left(question_id=q.id, number=rec.number)]
                return self._proposal(EventKind.REQUEST, out, before, s, at)
            new = replace(rec, follow_up_hints=rec.follow_up_hints + (j,))
            out = [mv.give_hint(question_id=q.id, text=text, index=None, number=rec.number)]
            return self._proposal(EventKind.REQUEST, out, before, self._with_open(s, new), at)
        index = len(rec.hints)
        if index >= len(q.hints):
            out = [mv.no_hints_left(question_id=q.id, number=rec.number)]
            return self._proposal(EventKind.REQUEST, out, before, s, at)
        text = self._compiled.hint_text(q.id, index, stage_id=rec.stage_id,
                                        number=rec.number, candidate=self._candidate)
        new = replace(rec, hints=rec.hints + (index,))
        out = [mv.give_hint(question_id=q.id, text=text, index=index, number=rec.number)]
        return self._proposal(EventKind.REQUEST, out, before, self._with_open(s, new), at)

    def _answer(self, s: _State, t: CandidateTurn, at: float) -> Proposal:
        rec = s.open
        assert rec is not None
        q = self._iv.question(rec.question_id)
        kind = TurnKind.FOLLOW_UP if rec.follow_ups else TurnKind.ANSWER
        turns = rec.turns + (self._turn(s, t, kind, at),)
        score = self._score(rec, turns)
        allowed = min(q.max_follow_ups, len(q.follow_ups))
        index = None
        if rec.follow_ups < allowed and at - rec.asked_at < FOLLOW_UP_LATEST * rec.budget:
            index = choose_follow_up(q, score, rec.follow_up_indices)
        if index is not None:
            text = self._compiled.follow_up_text(q.id, index, stage_id=rec.stage_id,
                                                 number=rec.number, candidate=self._candidate)
            new = replace(rec, turns=turns, prompts=rec.prompts + (text,),
                          follow_up_indices=rec.follow_up_indices + (index,))
            stage = self._plan.titles[s.stage]
            out = [mv.ask_follow_up(question_id=q.id, text=text, index=index, level=q.level,
                                    stage_id=rec.stage_id, stage_title=stage,
                                    number=rec.number, total=self._total())]
            return self._proposal(EventKind.TURN, out, s, self._with_open(s, new), at,
                                  ack=self._acknowledge(rec, t.text))
        s1 = self._close(s, at, QuestionOutcome.ANSWERED, None, turns=turns, score=score)
        more, s2 = self._advance(s1, at)
        return self._proposal(EventKind.TURN, more, s, s2, at, ack=self._acknowledge(rec, t.text))

    def _acknowledge(self, rec: QuestionRecord, text: str) -> Acknowledgement:
        """The words that acknowledge this answer turn (seeded by session and turn)."""
        q = self._iv.question(rec.question_id)
        return ack.for_answer(text, OFFLINE.points(q), seed=self._seed,
                              key=f"{rec.number}.{len(rec.turns)}")

    def _close(self, s: _State, at: float, outcome: QuestionOutcome, partial: CandidateTurn | None,
               *, turns: tuple[AnswerTurn, ...] | None = None,
               score: QuestionScore | None = None) -> _State:
        """Close the open question: score it, step the ladder."""
        rec = s.open
        assert rec is not None
        if turns is None:
            turns = rec.turns
            if partial is not None and partial.text.strip():
                turns += (self._turn(s, partial, TurnKind.PARTIAL, at),)
        if score is None and turns:
            score = self._score(rec, turns)
        ladder = self._iv.ladder
        raw = score.score if score is not None and score.score is not None \
            else float(self._iv.scale.min)
        level = s.level
        if raw >= ladder.step_up_at:
            level += 1
        elif raw <= ladder.step_down_at:
            level -= 1
        level = min(len(ladder.levels) - 1, max(0, level))
        closed = replace(rec, turns=turns, outcome=outcome, closed_at=at, score=score,
                         ladder_after=ladder.levels[level])
        return replace(s, records=s.records[:-1] + (closed,), level=level, pending_stop=False)

    def _total(self) -> int:
        return sum(self._plan.planned)

    def _choose(self, s: _State, stage_i: int, at: float, stage_started: float,
                asked_in_stage: int, asked: set[str]) -> tuple[Question | None, bool]:
        """The next question of a stage that fits the time left, and whether time (the
        stage's or the total's) left a planned question out."""
        iv = self._iv
        stage = iv.stages[stage_i]
        limit = iv.timing.total_seconds - iv.timing.wrap_up_seconds - at
        if stage.minutes is not None and asked_in_stage:
            # a stage's first question only has to fit the total
            limit = min(limit, stage.minutes * 60.0 - (at - stage_started))
        cut = False
        pool = self._plan.pools[stage_i]
        if stage.is_fixed:
            for q in pool:
                if q.id in asked:
                    continue
                if q.answer_seconds <= limit:
                    return q, cut
                cut = True
            return None, cut
        if asked_in_stage >= (stage.pick or 0):
            return None, False
        in_stage = Counter(r.competency for r in s.records if r.stage_id == stage.id)
        level_of = self._plan.level_of
        rank = self._rank
        best: Question | None = None
        best_key: tuple[int, int, bool, int] | None = None
        for q in pool:
            if q.id in asked:
                continue
            if q.answer_seconds > limit:
                cut = True
                continue
            lv = level_of[q.id]
            key = (in_stage[q.competency], abs(lv - s.level), lv > s.level, rank[q.id])
            if best_key is None or key < best_key:
                best, best_key = q, key
        return best, cut and best is None

    def _advance(self, s: _State, at: float) -> tuple[list[Move], _State]:
        """Ask the next question that fits, or wrap up (or end) when none is left."""
        iv = self._iv
        asked = {r.question_id for r in s.records}
        stage_i = max(0, s.stage)
        stage_started = s.stage_started if s.stage >= 0 else at
        counts = list(s.stage_counts)
        time_cut = s.time_cut
        while stage_i < len(iv.stages):
            q, cut = self._choose(s, stage_i, at, stage_started, counts[stage_i], asked)
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
            return self._wrap_up(s1, at, reason)
        stage = iv.stages[stage_i]
        title = self._plan.titles[stage_i]
        out: list[Move] = []
        if s.records and s.records[-1].stage_id != stage.id:
            out.append(mv.next_stage(stage_id=stage.id, stage_title=title))
        if counts[stage_i] == 0:
            stage_started = at
        number = len(s.records) + 1
        text = self._compiled.question_text(q.id, stage_id=stage.id, number=number,
                                            candidate=self._candidate)
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
                                   total=self._total(), first=not s.records))
        s1 = replace(s, phase=Phase.QUESTION, stage=stage_i, stage_started=stage_started,
                     records=s.records + (record,), stage_counts=tuple(counts),
                     time_cut=time_cut)
        return out, s1

    def _wrap_up(self, s: _State, at: float, reason: EndReason
                 ) -> tuple[list[Move], _State]:
        timing = self._iv.timing
        if timing.wrap_up_seconds <= 0 or at >= timing.total_seconds:
            return self._end_moves(s, at, reason)
        move = mv.wrap_up(reason)
        return [move], replace(s, phase=Phase.WRAP_UP, wrap_up_at=at, wrap_up_turns=0,
                               last_speech=move.speech)

    def _wrap_up_deadline(self, s: _State) -> float:
        timing = self._iv.timing
        start = s.wrap_up_at if s.wrap_up_at is not None else 0.0
        return min(timing.total_seconds, start + timing.wrap_up_seconds)

    def _wrap_up_turn(self, s: _State, at: float, text: str = "", *,
                      answer: str | None = None, before: _State | None = None,
                      event: EventKind = EventKind.TURN) -> Proposal:
        """A candidate turn in the wrap-up: their question answered from the facts (or
        passed on), or the close when they have none left or time is up."""
        before = before if before is not None else s
        reason = s.questions_end or EndReason.QUESTIONS_EXHAUSTED
        turns = s.wrap_up_turns + 1
        done = bool(_NO_MORE_QUESTIONS.match(text)) and "?" not in text
        if answer is None and not done:
            answer = answer_from_facts(text, self._iv.facts)
        if done or turns >= MAX_WRAP_UP_TURNS or at >= self._wrap_up_deadline(s):
            out, s1 = self._end_moves(s, at, reason, after_wrap_up=True)
            if answer:
                out = [replace(out[0], speech=f"{answer} {out[0].speech}")]
            return self._proposal(event, out, before, s1, at)
        move = mv.wrap_up_reply(reason, answer)
        s1 = replace(s, wrap_up_turns=turns, last_speech=move.speech)
        return self._proposal(event, [move], before, s1, at)

    def _stop(self, s: _State, at: float) -> Proposal:
        if s.phase is Phase.WRAP_UP:
            reason = s.questions_end or EndReason.QUESTIONS_EXHAUSTED
            return self._end(s, s, at, reason, event=EventKind.REQUEST)
        s1 = s
        if s.open is not None:
            s1 = self._close(s, at, QuestionOutcome.STOPPED, None)
        s1 = replace(s1, questions_end=EndReason.CANDIDATE_STOP)
        out, s2 = self._end_moves(s1, at, EndReason.CANDIDATE_STOP, stopped=True)
        return self._proposal(EventKind.REQUEST, out, s, s2, at)

    def _end(self, before: _State, s: _State, at: float, reason: EndReason, *,
             event: EventKind) -> Proposal:
        out, s1 = self._end_moves(s, at, reason)
        return self._proposal(event, out, before, s1, at)

    def _end_moves(self, s: _State, at: float, reason: EndReason, *,
                   stopped: bool = False, after_wrap_up: bool = False
                   ) -> tuple[list[Move], _State]:
        closing = self._compiled.closing(self._candidate)
        move = mv.end(reason, closing, stopped=stopped, after_wrap_up=after_wrap_up)
        s1 = replace(s, phase=Phase.ENDED, end_reason=reason, ended_at=at,
                     questions_end=s.questions_end or reason, last_speech=move.speech)
        return [move], s1
