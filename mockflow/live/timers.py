"""Time moves: the per-session timer that keeps the interview to its budgets.

Every ``interval`` seconds (while no reply is on its way) the engine is asked whether
time calls for a move (``InterviewEngine.tick``, given what has been heard of the open
turn). A nudge waits for the candidate's next pause, however long. A move-on waits a
grace period (``voice.turn.move_on_grace_seconds``) for one, then ends the candidate's
turn itself and keeps every word they said: on the audio path LiveKit commits the user
turn (its words go into the history and the transcript), without one the words heard
live are put there by mockflow; then the engine's move is said, and the candidate can't
talk over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from mockflow.interview.engine import EngineError, Proposal
from mockflow.interview.moves import MoveKind

if TYPE_CHECKING:
    from mockflow.live.agent import InterviewerAgent

logger = logging.getLogger("mockflow.live.agent")
POLL_S = 0.1  # how often a time move checks whether the candidate has paused


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel a session's background loop and wait until it is gone (unless it is the
    caller)."""
    if task is not None and task is not asyncio.current_task():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class TurnTimer:
    """One session's timer (started when the interview starts, stopped when it ends)."""

    def __init__(self, agent: InterviewerAgent, interval: float) -> None:
        self._agent = agent
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="mockflow-timer")

    def cancel(self) -> None:
        """Stop ticking (from a callback: nothing awaited)."""
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        """Stop ticking and wait until the loop is gone (unless it is the caller)."""
        await stop_task(self._task)
        self._task = None

    async def _loop(self) -> None:
        agent = self._agent
        while not agent.engine.ended:
            await asyncio.sleep(self.interval)
            if agent.replying or agent.session.agent_state in ("thinking", "speaking"):
                continue  # a reply is on its way; let it land first
            try:
                proposal = agent.engine.tick(agent.listening.partial or None)
            except EngineError:
                logger.exception("mockflow: timer tick failed")
                continue
            if proposal is None:
                continue
            await self.deliver(proposal)

    async def deliver(self, proposal: Proposal) -> None:
        """Say a time move: a nudge at the candidate's next pause; a move-on after the
        grace period, ending their turn and keeping its words."""
        agent = self._agent
        session = agent.session
        grace = agent.compiled.interview.voice.turn.move_on_grace_seconds
        if proposal.kinds == (MoveKind.NUDGE,):
            # A nudge waits for the candidate's next pause, however long.
            while session.user_state == "speaking":
                await asyncio.sleep(POLL_S)
            agent.engine.commit(proposal)
            agent.stats.time_moves += 1
            agent.speak(proposal)
            return
        deadline = time.monotonic() + grace
        while session.user_state == "speaking" and time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
        partial = agent.listening.partial.strip()
        if session.input.audio is not None and (
                session.user_state == "speaking" or partial):
            # End the candidate's turn ourselves: their words go into history and the
            # transcript, and count as the answer; no model reply is generated.
            with contextlib.suppress(Exception):
                said = await asyncio.wait_for(
                    session.commit_user_turn(skip_reply=True), timeout=grace + 3)
                partial = said.strip() or partial
        elif partial:
            await self._keep_heard_words(partial)
        fresh = agent.engine.tick(partial or None)
        if fresh is None:
            return
        agent.commit(fresh)
        agent.stats.time_moves += 1
        agent.speak(fresh, cut_in=True)

    async def _keep_heard_words(self, text: str) -> None:
        """Without an audio path there is no user turn to commit: put what was heard into
        the model's context and the transcript ourselves."""
        agent = self._agent
        ctx = agent.chat_ctx.copy()
        ctx.add_message(role="user", content=text)
        await agent.update_chat_ctx(ctx)
        agent.transcript.candidate_turn(text, kind="cut_off")
