"""``InterviewEngine``: the state machine that runs one interview session.

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

This module is the engine's stateful shell: the one mutable field (the committed state),
the clock, commit, observers and snapshots. The decisions live in pure modules:
``state`` (the state and its snapshot form), ``proposal`` (events and ``Proposal``),
``plan`` (which question fits next), ``transitions`` (state and event in, proposal out)
and ``errors``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from mockflow.format.compile import CompiledInterview
from mockflow.format.templates import Candidate
from mockflow.interview import transitions as tr
from mockflow.interview.errors import (
    EngineError,
    InterviewOver,
    RequestRejected,
    SnapshotError,
    StaleProposal,
)
from mockflow.interview.moves import EndReason
from mockflow.interview.plan import plan_for, rank_for
from mockflow.interview.proposal import EventKind, Proposal, RequestKind, as_turn
from mockflow.interview.records import CandidateTurn, QuestionRecord, SessionRecord
from mockflow.interview.state import (
    SNAPSHOT_FORMAT,
    Phase,
    Snapshot,
    State,
    parse_snapshot,
    snapshot,
)
from mockflow.interview.transitions import (
    FOLLOW_UP_LATEST,
    GREETING_WAIT_SECONDS,
    MAX_CLARIFY_CHARS,
    MAX_WRAP_UP_TURNS,
)
from mockflow.scoring.base import Scorer
from mockflow.scoring.offline import OFFLINE

__all__ = [
    "FOLLOW_UP_LATEST",
    "GREETING_WAIT_SECONDS",
    "MAX_CLARIFY_CHARS",
    "MAX_WRAP_UP_TURNS",
    "SNAPSHOT_FORMAT",
    "Clock",
    "EngineError",
    "EventKind",
    "InterviewEngine",
    "InterviewOver",
    "Phase",
    "Proposal",
    "RequestKind",
    "RequestRejected",
    "SnapshotError",
    "StaleProposal",
]

Clock = Callable[[], float]


class InterviewEngine:
    """One interview session. See the module docstring and docs/engine.md."""

    def __init__(self, compiled: CompiledInterview, *, clock: Clock = time.monotonic,
                 seed: int = 0, candidate: Candidate | None = None,
                 scorer: Scorer | None = None) -> None:
        self._compiled = compiled
        self._iv = compiled.interview
        self._plan = plan_for(compiled)
        self._clock = clock
        self._seed = seed
        self._candidate = candidate if candidate is not None else Candidate()
        self._scorer: Scorer = scorer if scorer is not None else OFFLINE
        if self._scorer is OFFLINE:  # compile key points once; another scorer has its own
            OFFLINE.prepare(self._iv.questions)
        self._token = object()
        self._ctx = tr.Context(compiled=compiled, plan=self._plan,
                               rank=rank_for(self._plan, seed), seed=seed,
                               candidate=self._candidate, scorer=self._scorer,
                               token=self._token)
        self._state = State(level=self._iv.ladder.index(self._iv.ladder.start),
                            stage_counts=(0,) * len(self._iv.stages))
        self._nudges: dict[int, float] = {}
        self._last: Proposal | None = None
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
    def confirming_stop(self) -> bool:
        """The interviewer asked "Do you want to end the interview here?" and waits for a
        yes or no."""
        return self._state.pending_stop

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
        return tr.start(self._ctx, s, self._clock())

    def start(self) -> Proposal:
        """Propose and commit the start: the greeting (and question 1 unless it asks)."""
        p = self.propose_start()
        self.commit(p)
        return p

    def propose(self, turn: CandidateTurn | str) -> Proposal:
        """The moves for a (possibly draft) candidate turn. Pure: nothing changes."""
        t = as_turn(turn)
        assert t is not None
        s = self._live_state()
        return tr.turn(self._ctx, s, t, self._clock() - s.started_at)

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
        return tr.request(self._ctx, s, kind, at, say, question, confirmed=confirmed,
                          answer=answer)

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
        return tr.tick(self._ctx, s, self._clock() - s.started_at, partial, self._nudges)

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
        return snapshot(self._compiled.ref, Snapshot(self._seed, self._candidate,
                                                     self._state, self._nudges))

    @classmethod
    def restore(cls, compiled: CompiledInterview, data: Mapping[str, Any], *,
                clock: Clock = time.monotonic, scorer: Scorer | None = None
                ) -> InterviewEngine:
        """An engine in exactly the snapshot's state. Clock readings are kept as they were:
        pass the same clock (or one with the same time base)."""
        snap = parse_snapshot(compiled.ref, data)
        engine = cls(compiled, clock=clock, seed=snap.seed, candidate=snap.candidate,
                     scorer=scorer)
        engine._state = snap.state
        engine._nudges = snap.nudges
        return engine

    # -- internals ----------------------------------------------------------------------

    def _live_state(self) -> State:
        s = self._state
        if s.phase is Phase.NOT_STARTED:
            raise EngineError("the interview hasn't started; call start() first")
        if s.phase is Phase.ENDED:
            raise InterviewOver("the interview has ended")
        return s
