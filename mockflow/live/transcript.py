"""Transcript recording: every turn of the session, in order, into ``transcript.jsonl``.

The candidate's turns are recorded when LiveKit adds them to the history (or when a
move-on for time or a typed request ends them), with the open turn's start from
``Listening``. The interviewer's words come three ways: mockflow's own (the engine's
words through ``session.say``: recorded at once, in order, and not again when LiveKit's
history item for them arrives), instant acknowledgements, and model replies (recorded
with the question the reply's move leads to). Each turn names the question it belongs
to.
"""

from __future__ import annotations

import logging

from mockflow.interview.engine import InterviewEngine, Proposal
from mockflow.interview.records import QuestionRecord
from mockflow.live.listening import Listening
from mockflow.results.durable import ResultsError
from mockflow.results.files import SessionRecorder

logger = logging.getLogger("mockflow.live.agent")

QuestionRef = QuestionRecord | None | bool
"""The question a turn belongs to: a record, None (none open), or False: the open one."""


def question_after(proposal: Proposal) -> QuestionRef:
    """The question a move's words belong to: the one open after the move (``False``:
    the move changes nothing, so the open one)."""
    state = proposal.state_after
    return False if state is None else state.open


class TranscriptRecording:
    """One session's transcript writer (nothing is written without a recorder)."""

    def __init__(self, recorder: SessionRecorder | None, engine: InterviewEngine,
                 listening: Listening) -> None:
        self.recorder = recorder
        self.engine = engine
        self.listening = listening
        self._said: list[str] = []  # own words already recorded, awaiting their item
        self._write_failure_logged = False

    def candidate(self, text: str, *, kind: str, request: str | None = None,
                  started: float | None = None) -> None:
        self.listening.recorded()
        if self.recorder is None or self.recorder.closed:
            return
        current = self.engine.current
        try:
            self.recorder.append_turn(
                "candidate", text, kind=kind if current is not None or kind != "answer"
                else "remark", question=None if current is None else current.number,
                question_id=None if current is None else current.question_id,
                request=request, started=started)
        except ResultsError as exc:
            self._write_failed(exc)

    def candidate_turn(self, text: str, *, kind: str = "answer", hold: bool = False) -> None:
        """The open turn ended with ``text``: recorded from when it began, and closed
        (``hold``: its words are done but the answer goes on from the same start, as
        after a request for time)."""
        self.candidate(text, kind=kind, started=self.listening.since)
        if hold:
            self.listening.hold()
        else:
            self.listening.close()

    def interviewer(self, text: str, *, kind: str, interrupted: bool = False,
                    question: QuestionRef = False, request: str | None = None,
                    started: float | None = None, ended: float | None = None) -> None:
        if self.recorder is None or self.recorder.closed:
            return
        current = self.engine.current if question is False else question
        assert current is None or isinstance(current, QuestionRecord)
        try:
            self.recorder.append_turn(
                "interviewer", text, kind=kind,
                question=None if current is None else current.number,
                question_id=None if current is None else current.question_id,
                request=request, started=started, ended=ended,
                extra={"interrupted": interrupted} if interrupted else None)
        except ResultsError as exc:
            self._write_failed(exc)

    def _write_failed(self, exc: ResultsError) -> None:
        """A turn could not be written (a full disk): said once in the log (paths and
        sizes, never the words); the interview goes on, and the recorder marks the session
        ``error`` in session.json when that can be written."""
        if not self._write_failure_logged:
            self._write_failure_logged = True
            logger.error("mockflow: the session's results can't be written: %s; the"
                         " interview goes on, its transcript will have gaps", exc)

    def own_words(self, text: str, *, kind: str, question: QuestionRef = False,
                  request: str | None = None) -> None:
        """mockflow's own words, about to be said: recorded now, in order; the history
        item LiveKit adds for them later is not recorded twice (``is_own``)."""
        self.interviewer(text, kind=kind, question=question, request=request)
        self._said.append(text)

    def is_own(self, text: str) -> bool:
        """Whether a history item is own words already recorded (each counts once)."""
        if text in self._said:
            self._said.remove(text)
            return True
        return False
