"""Closing: how a session ends and what it leaves on disk.

The session is shut down (draining what is being said) once the engine's last words have
been said, or after the model failed too many turns in a row. When LiveKit closes the
session, for whatever reason, the results are written: the scorecard (from the engine's
record and the judgements), ``session.json`` (status, reasons, counts, models, the chat
history), the transcript closed and the ``session.ended`` webhook queued. With judgements
still running, a provisional scorecard is written at once and the final one when they
are in (or their bound has passed). Writing results never takes the session down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from livekit.agents import AgentSession, CloseEvent
from livekit.agents.voice import SpeechHandle

from mockflow.interview.records import score_record
from mockflow.live.history import history_items
from mockflow.results.notify.events import queue_event
from mockflow.results.session_record import SessionInfo, session_status

if TYPE_CHECKING:
    from mockflow.live.agent import InterviewerAgent

logger = logging.getLogger("mockflow.live.agent")


class Closing:
    """One session's end: the shutdown, the close reason and the results."""

    def __init__(self, agent: InterviewerAgent,
                 on_finished: Callable[[InterviewerAgent], None] | None = None) -> None:
        self._agent = agent
        self._on_finished = on_finished
        self.reason: str | None = None  # why the session closed (session.json)
        self.closing = False  # the shutdown is decided
        self.session: AgentSession[Any] | None = None  # kept: the agent's activity may go
        self._finishing: asyncio.Task[None] | None = None

    def after(self, speech: SpeechHandle) -> None:
        """Shut the session down once ``speech`` (the interview's last words) is said."""
        if self.closing:
            return
        self.closing = True

        def done(_: SpeechHandle) -> None:
            if self.reason is None:
                self.reason = "interview_ended"
            self._agent.session.shutdown(drain=True)

        if speech.done():
            done(speech)
        else:
            speech.add_done_callback(done)

    def give_up_after(self, speech: SpeechHandle) -> None:
        """The model failed turn after turn: shut down after ``speech`` (a goodbye)."""
        self.reason = "model_unavailable"
        self.closing = True

        def done(_: SpeechHandle) -> None:
            self._agent.session.shutdown(drain=True)

        speech.add_done_callback(done)

    def on_close(self, ev: CloseEvent) -> None:
        agent = self._agent
        if self.reason is None:
            reason = ev.reason
            self.reason = getattr(reason, "value", None) or str(reason)
        agent.timer.cancel()
        error = ev.error
        if agent.judging is not None and agent.judging.pending:
            # judgements still running: a provisional scorecard now, the final one when
            # they are in (or their bound has passed)
            self.write_results(error=error)
            self._finishing = asyncio.get_event_loop().create_task(
                self._finish_judging(error), name="mockflow-judging")
            return
        self.finish_results(error=error)
        self._closed()

    async def _finish_judging(self, error: object) -> None:
        judging = self._agent.judging
        assert judging is not None
        try:
            await judging.finish()
        finally:
            self.finish_results(error=error)
            self._closed()

    def _closed(self) -> None:
        if self._agent.judging is not None:
            self._agent.judging.close()
        if self._on_finished is not None:
            self._on_finished(self._agent)

    async def finished(self) -> None:
        """Returns once the final results are written (judgements included)."""
        if self._finishing is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._finishing

    def finish_results(self, *, error: object = None) -> None:
        """Final scorecard and session.json, close the transcript, queue the webhook.
        Once per session; later calls do nothing."""
        recorder = self._agent.recorder
        if recorder is None or recorder.closed:
            return
        self.write_results(error=error)
        recorder.close()
        try:
            queue_event(recorder.root, recorder.directory, "session.ended")
        except Exception:  # a webhook must never take the session down with it
            logger.exception("mockflow: queueing the session.ended webhook failed")

    def write_results(self, *, error: object = None) -> None:
        """Scorecard and session summary; safe to call more than once (last wins)."""
        agent = self._agent
        recorder, judging, engine = agent.recorder, agent.judging, agent.engine
        if recorder is None:
            return
        try:
            scores = judging.scores if judging is not None and judging.active else None
            card = score_record(engine.compiled, engine.session(), scores=scores,
                                created_at=recorder.now())
            data = card.to_dict()
            if judging is not None:
                data["judge"] = judging.choice.describe()
            recorder.write_scorecard(data)
            history: list[dict[str, Any]] = []
            if self.session is not None:
                history = history_items(self.session.history)
            info = recorder.info or SessionInfo(
                agent.compiled, recorder.session_id, "live", recorder.started_at,
                {"llm": [], "stt": None, "tts": None}, candidate_name=agent.candidate.name,
                candidate_attributes=dict(agent.candidate.attributes))
            end_reason = engine.end_reason
            recorder.write_session(info.document(
                status=session_status(end_reason, error=error, close_reason=self.reason),
                ended_at=recorder.now(), duration=engine.elapsed(),
                end_reason=None if end_reason is None else end_reason.value,
                close_reason=self.reason, error=error,
                judge=None if judging is None else judging.summary(),
                stats=agent.stats.to_dict(),
                warnings=agent.warnings, degraded=agent.model_health.degraded(),
                model=agent.model_health.to_dict(),
                history=history))
        except Exception:  # results must never take the session down with them
            logger.exception("mockflow: writing results failed")
