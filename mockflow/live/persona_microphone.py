"""A simulated candidate's voice as the microphone (agent layer).

``PersonaMicrophone`` is a ``FileMicrophone`` whose turns are made while the session runs:
when a turn is due (``reply_delay`` after the interviewer stops speaking, as for files), it
asks ``supply`` for the next one. ``supply`` decides what the persona says to the
interview as it is now (the question just asked), synthesises it (thinking pauses, fillers,
mid-answer pauses: ``mockflow.live.persona_speech``) to a wav file, and returns the file
with what was said, or None once the persona has nothing more to say (it left, or the
interview is over): silence from then on. The turn plays as soon as it is made; the time
synthesis takes is thinking time the candidate would spend anyway.

``said`` keeps what each turn said (fillers included), beside ``timings``, so the session
can set it against what the STT heard. A ``supply`` that fails ends the persona's turns
with a warning; the session goes on, silent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mockflow.live.audio_files import decode_pcm
from mockflow.live.file_microphone import FileMicrophone

logger = logging.getLogger("mockflow.live.persona_microphone")

PersonaTurn = tuple[Path, str]
"""A synthesised turn: its wav file and the words said in it."""
TurnSupply = Callable[[], Awaitable[PersonaTurn | None]]


class PersonaMicrophone(FileMicrophone):
    """Turns from ``supply``, made when each is due (see the module doc)."""

    def __init__(self, supply: TurnSupply, **options: Any) -> None:
        super().__init__([], **options)
        self._supply = supply
        self._making: asyncio.Task[None] | None = None
        self._ready: PersonaTurn | None = None
        self._over = False  # the supply has nothing more
        self.said: list[str] = []  # what each turn played said, by turn index

    def _has_next(self) -> bool:
        return self._ready is not None or not self._over

    def _turn_due(self, due: float) -> bool:
        if not super()._turn_due(due):
            return False
        if self._ready is not None:
            return True
        if self._making is None:
            self._start_at = None  # due again once the turn is made
            self._start_now = False
            self._making = asyncio.get_running_loop().create_task(
                self._make(), name="mockflow-persona-turn")
        return False

    async def _make(self) -> None:
        try:
            turn = await self._supply()
        except Exception as exc:  # the session goes on without the persona's voice
            logger.warning("mockflow: the simulated candidate's next turn failed: %s", exc)
            self.warnings.append(f"the simulated candidate's turn {len(self.said) + 1} could"
                                 f" not be made ({type(exc).__name__}: {exc}); silent from"
                                 " then on")
            turn = None
        finally:
            self._making = None
        if turn is None:
            self._over = True
            self._wake_waiters()
            return
        self._ready = turn
        if not self._interviewer_speaking and not self.playing:
            self._start_now = True  # it has waited its reply delay already
        # else: the interviewer spoke again meanwhile; its end schedules the turn

    def _wake_waiters(self) -> None:
        for fut in self._done_waiters:
            if not fut.done():
                fut.set_result(None)
        self._done_waiters.clear()

    def _open_next(self) -> tuple[Path, Iterator[np.ndarray]]:
        assert self._ready is not None
        path, said = self._ready
        self._ready = None
        self.said.append(said)
        return path, decode_pcm(path, rate=self.sample_rate, max_seconds=self.max_turn_seconds)
