"""Turn-taking that follows the interview: endpointing and STT keyterms per phase.

While a question is open the candidate is answering, and long pauses to think are normal.
What ends an answer then is its content, not the end-of-turn detector's guess (which,
measured on this machine's speech, rated a pause inside an answer as likelier the end
than the true end; docs/voice.md): an answer whose words hand the turn back ("that's
all", "does that make sense?", "I don't know.", a request to repeat ...) or cover every key
point of the question, without ending mid-sentence, ends after
``voice.turn.answering.min_delay`` of silence; any other after ``answering.max_delay``
(``interview.completeness``). The verdict is taken again at each final transcript
segment (``heard``), just before LiveKit starts waiting for the turn's end. Everywhere
else (the greeting, confirming a stop, the wrap-up) replies are short and
``conversational``'s delays apply with LiveKit's meaning: ``min_delay`` when the detector
thinks the turn has ended, ``max_delay`` otherwise.

Each change goes to the session with ``session.update_options(endpointing_opts=...)``,
at every committed move (the engine's observer) and final transcript. The agent sets no
endpointing of its own (an ``Agent``'s own setting would win again whenever its activity
restarts), so the session's value is the one in force.

Each question (and each follow-up as it is asked) also sets the STT's keyterms: the
question's own vocabulary (``interview.vocabulary``), given to the recogniser as its
provider allows (``live.keyterms``). The interviewer model never sees them.

Only sessions with audio in and an STT: the text console and simulations have no
endpointing and are left alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mockflow.format.model import Endpointing
from mockflow.interview.completeness import AnswerCheck
from mockflow.interview.engine import InterviewEngine
from mockflow.interview.vocabulary import question_terms
from mockflow.live.keyterms import apply_keyterms

if TYPE_CHECKING:
    from mockflow.live.agent import InterviewerAgent

logger = logging.getLogger("mockflow.live.agent")

ANSWERING, CONVERSATIONAL = "answering", "conversational"
_UNSET = object()


def voice_running(agent: InterviewerAgent) -> bool:
    """The agent runs in a session with audio in and an STT (not the text console, not a
    simulation, not a session that has ended)."""
    try:
        session = agent.session
    except RuntimeError:  # the agent is not running (any more)
        return False
    return session.input.audio is not None and session.stt is not None


class TurnTaking:
    """One session's phase-dependent endpointing and keyterms."""

    def __init__(self, agent: InterviewerAgent) -> None:
        self._agent = agent
        self.mode: str | None = None  # the phase whose delays are in force (None: unset)
        self.finished = False  # the open answer looks finished (answering only)
        self._applied: tuple[float, float] | None = None  # the session's (min, max) delay
        self._check_key: object = _UNSET
        self._answer_check = AnswerCheck(())
        self.keyterms: list[str] = []  # the terms last given to the STT
        self.keyterm_route = "none"  # how the STT took them (live.keyterms.route)
        self._asked: object = _UNSET  # (question number, prompts asked) last biased for

    @property
    def enabled(self) -> bool:
        """A voice session that is running (audio in, an STT)."""
        return voice_running(self._agent)

    def start(self) -> None:
        """Follow the engine from now on (called once the interview has started)."""
        self._agent.engine.observe(self._observed)
        self.update()

    def phase(self) -> str:
        """The endpointing pair the interview's state calls for."""
        engine = self._agent.engine
        answering = engine.current is not None and not engine.confirming_stop
        return ANSWERING if answering else CONVERSATIONAL

    def pair(self, mode: str) -> Endpointing:
        turn = self._agent.compiled.interview.voice.turn
        return turn.answering if mode == ANSWERING else turn.conversational

    def _observed(self, _engine: InterviewEngine) -> None:
        try:
            self.update()
        except Exception:  # an observer must not raise into the engine's commit
            logger.exception("mockflow: updating the turn-taking settings failed")

    def update(self) -> None:
        """At a committed move: the phase's endpointing (a new answer starts unfinished)
        and the open question's keyterms, where they changed."""
        if not self.enabled or self._agent.engine.ended:
            return
        self._apply(self.phase(), finished=False)
        if self._agent.compiled.interview.voice.stt.keyterms:
            self._update_keyterms()

    def heard(self, partial: str) -> None:
        """A final transcript segment of the open turn: while answering, a finished
        answer (``interview.completeness``, over the whole turn so far) ends after
        ``answering.min_delay`` of silence, an unfinished one after
        ``answering.max_delay``. LiveKit reads the delay when it starts waiting for the
        end of the turn, just after this event."""
        if not self.enabled or self.mode != ANSWERING:
            return
        self._apply(ANSWERING, finished=self._check().finished(partial))

    def _apply(self, mode: str, *, finished: bool) -> None:
        pair = self.pair(mode)
        if mode == ANSWERING:  # the answer's content decides, not the detector's verdict
            delay = pair.min_delay if finished else pair.max_delay
            delays = (delay, delay)
        else:
            delays = (pair.min_delay, pair.max_delay)
        self.mode = mode
        self.finished = finished
        if delays == self._applied:
            return
        self._agent.session.update_options(
            endpointing_opts={"min_delay": delays[0], "max_delay": delays[1]})
        self._applied = delays
        self._agent.stats.endpointing_changes += 1

    def _check(self) -> AnswerCheck:
        """The finished-answer test for what is being answered now: the question's key
        points, or those its latest follow-up probes."""
        current = self._agent.engine.current
        key = None if current is None else (current.question_id, current.follow_up_indices)
        if key != self._check_key:
            question = None if current is None else \
                self._agent.compiled.interview.questions_by_id.get(current.question_id)
            check = AnswerCheck.of(question)
            if question is not None and current is not None and current.follow_up_indices:
                probed = question.probed(current.follow_up_indices[-1])
                if probed:
                    check = AnswerCheck(tuple(p for i, p in enumerate(check.points)
                                              if i in probed))
            self._check_key, self._answer_check = key, check
        return self._answer_check

    def _update_keyterms(self) -> None:
        engine = self._agent.engine
        current = engine.current
        asked = None if current is None else (current.number, len(current.prompts))
        if asked == self._asked:
            return
        self._asked = asked
        interview = engine.compiled.interview
        question = None if current is None else interview.questions_by_id.get(
            current.question_id)
        terms = question_terms(interview, question, () if current is None
                               else current.prompts[1:])
        if terms == self.keyterms:
            return
        self.keyterm_route = apply_keyterms(self._agent.session, terms)
        self.keyterms = terms
        self._agent.stats.keyterm_updates += 1
