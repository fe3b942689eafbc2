"""Turn-taking that follows the interview: endpointing and STT keyterms per phase.

While a question is open the candidate is answering: long pauses to think are normal, so
the turn ends only after ``voice.turn.answering``'s silence. Everywhere else (the
greeting, confirming a stop, the wrap-up) replies are short and ``conversational``'s
delays apply. At every committed move (the engine's observer) the phase is read again
and, when it changed, the session's endpointing is updated with
``session.update_options(endpointing_opts=...)``. The agent sets no endpointing of its
own (an ``Agent``'s own setting would win again whenever its activity restarts), so the
session's value is the one in force. The end-of-turn detector stays the file's
(``voice.turn.detector``): ``min_delay`` applies when it thinks the turn has ended,
``max_delay`` otherwise.

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
from mockflow.interview.engine import InterviewEngine
from mockflow.interview.vocabulary import question_terms
from mockflow.live.keyterms import apply_keyterms

if TYPE_CHECKING:
    from mockflow.live.agent import InterviewerAgent

logger = logging.getLogger("mockflow.live.agent")

ANSWERING, CONVERSATIONAL = "answering", "conversational"
_UNSET = object()


class TurnTaking:
    """One session's phase-dependent endpointing and keyterms."""

    def __init__(self, agent: InterviewerAgent) -> None:
        self._agent = agent
        self.mode: str | None = None  # the endpointing pair in force (None: not set yet)
        self.keyterms: list[str] = []  # the terms last given to the STT
        self.keyterm_route = "none"  # how the STT took them (live.keyterms.route)
        self._asked: object = _UNSET  # (question number, prompts asked) last biased for

    @property
    def enabled(self) -> bool:
        session = self._agent.session
        return session.input.audio is not None and session.stt is not None

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
        """Apply the phase's endpointing and the open question's keyterms, if changed."""
        if not self.enabled or self._agent.engine.ended:
            return
        session = self._agent.session
        mode = self.phase()
        if mode != self.mode:
            pair = self.pair(mode)
            session.update_options(endpointing_opts={"min_delay": pair.min_delay,
                                                     "max_delay": pair.max_delay})
            self.mode = mode
            self._agent.stats.endpointing_changes += 1
        if self._agent.compiled.interview.voice.stt.keyterms:
            self._update_keyterms()

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
