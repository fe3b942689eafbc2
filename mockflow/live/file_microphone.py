"""Audio files as the candidate's microphone (agent layer).

``FileMicrophone`` is a LiveKit ``io.AudioInput``: the candidate's turns are ``.wav`` files
(checked and decoded by ``mockflow.live.audio_files``), converted to one rate and mono for
the whole session (STT and VAD lock to the first frame's rate). Frames go out at real-time
pace, 20 ms each, with silence between turns, because end of speech is only ever detected
from silent frames. A turn starts ``reply_delay`` seconds after the interviewer stops
speaking (``interviewer_finished``; ``follow(output)`` wires it to any audio output's
playback events); the interviewer starting again before then postpones it, and so does an
interviewer still busy with a reply (``hold_while``). When the files run out the candidate
is silent. Stereo and resampled files are played and noted in
``warnings``, and so is a file that fails while it plays (its turn ends there).

Cut-ins: the microphone knows when candidate audio is playing, so it counts each time the
interviewer starts speaking over it (``cut_ins``) and stamps every turn's start and end on
the clock the session gives (``clock``; ``time.monotonic`` by default).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from livekit import rtc
from livekit.agents.voice.io import AudioInput, AudioOutput, PlaybackFinishedEvent

from mockflow.live.audio_files import (
    DEFAULT_MAX_TURN_SECONDS,
    DEFAULT_REPLY_DELAY,
    FRAME_MS,
    SESSION_RATE,
    TurnFile,
    decode_pcm,
    probe_turn,
)

MAX_HOLD_S = 10.0  # the longest a due turn waits for an interviewer still busy

@dataclass(slots=True)
class TurnTiming:
    """When one candidate turn played, on the session's clock."""

    index: int
    path: Path
    start: float
    end: float | None = None
    cut_ins: int = 0  # times the interviewer started speaking while it played


class FileMicrophone(AudioInput):
    """The candidate's turns from files, played in real time (see the module doc)."""

    def __init__(self, turns: Sequence[TurnFile | Path], *, sample_rate: int = SESSION_RATE,
                 frame_ms: int = FRAME_MS, reply_delay: float = DEFAULT_REPLY_DELAY,
                 max_turn_seconds: float = DEFAULT_MAX_TURN_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 first_turn: str = "after_interviewer") -> None:
        super().__init__(label="mockflow-file-microphone")
        if first_turn not in ("after_interviewer", "immediately"):
            raise ValueError("first_turn must be 'after_interviewer' or 'immediately'")
        if reply_delay < 0:
            raise ValueError("reply_delay must be 0 or more seconds")
        self._turns = [t if isinstance(t, TurnFile) else probe_turn(
            Path(t), max_seconds=max_turn_seconds) for t in turns]
        self.sample_rate = sample_rate
        self.reply_delay = reply_delay
        self.max_turn_seconds = max_turn_seconds
        self._samples_per_frame = sample_rate * frame_ms // 1000
        self._frame_s = self._samples_per_frame / sample_rate
        self._clock = clock
        self.warnings: list[str] = [
            f"{t.path.name}: {t.channels} channels, mixed down to mono"
            for t in self._turns if t.channels > 1
        ] + [f"{t.path.name}: {t.sample_rate} Hz, resampled to {sample_rate} Hz"
             for t in self._turns if t.sample_rate != sample_rate]
        self.timings: list[TurnTiming] = []
        self.cut_ins = 0
        self._next = 0  # index of the next turn to play
        self._source: Iterator[np.ndarray] | None = None
        self._pending = np.zeros(0, dtype=np.int16)
        self._start_at: float | None = None  # loop time the next turn is due
        self._start_now = first_turn == "immediately"
        self._interviewer_speaking = False
        self._t0: float | None = None
        self._sent = 0
        self._closed = False
        self._replied_during_turn = False
        self._done_waiters: list[asyncio.Future[None]] = []
        self._busy: Callable[[], bool] | None = None
        self._max_hold = MAX_HOLD_S
        self._held_since: float | None = None  # audio time a due turn began to wait

    # --------------------------------------------------------------- the session's side

    @property
    def playing(self) -> bool:
        """Candidate audio is playing now (a turn started and has not ended)."""
        return self._source is not None

    @property
    def exhausted(self) -> bool:
        """Every turn has been played to its end."""
        return not self._has_next() and self._source is None

    @property
    def turns_total(self) -> int:
        return len(self._turns)

    def interviewer_started(self) -> None:
        """The interviewer began speaking: a cut-in if the candidate's audio is playing;
        otherwise the next turn waits for the interviewer to finish."""
        self._interviewer_speaking = True
        self._held_since = None
        if self.playing:
            self.cut_ins += 1
            self.timings[-1].cut_ins += 1
        else:
            self._start_at = None

    def interviewer_finished(self) -> None:
        """The interviewer stopped speaking: the next turn starts ``reply_delay`` later."""
        self._interviewer_speaking = False
        if self.playing:
            self._replied_during_turn = True  # it spoke over the turn: answer after it ends
        elif self._has_next():
            self._start_at = self._now() + self.reply_delay

    def hold_while(self, busy: Callable[[], bool], *, at_most: float = MAX_HOLD_S) -> None:
        """A due turn waits while ``busy()`` says the interviewer is about to speak again
        (a reply still on its way after the acknowledgement: on a busy machine the gap
        between the two can outlast the reply delay), ``at_most`` seconds."""
        self._busy = busy
        self._max_hold = at_most

    def start_next_turn(self) -> None:
        """Start the next turn at the next frame (e.g. when the candidate speaks first)."""
        self._start_now = True

    def follow(self, output: AudioOutput) -> None:
        """Take the interviewer's speaking from ``output``'s playback events."""
        output.on("playback_started", lambda _ev: self.interviewer_started())
        output.on("playback_finished", self._on_playback_finished)

    def _on_playback_finished(self, _ev: PlaybackFinishedEvent) -> None:
        self.interviewer_finished()

    async def wait_until_exhausted(self) -> None:
        """Return once every turn has played to its end."""
        while not self.exhausted:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._done_waiters.append(fut)
            await fut

    def close(self) -> None:
        self._closed = True

    # ------------------------------------------------------------------ the frames

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _has_next(self) -> bool:
        """A turn is left to play (a subclass may make turns as the session goes)."""
        return self._next < len(self._turns)

    def _turn_due(self, due: float) -> bool:
        """Whether the next turn starts at the frame due at ``due``."""
        if not (self._has_next() and (self._start_now or (
                self._start_at is not None and due >= self._start_at))):
            return False
        if self._busy is not None and self._busy():
            if self._held_since is None:
                self._held_since = due
            if due - self._held_since < self._max_hold:
                return False
        self._held_since = None
        return True

    def _open_next(self) -> tuple[Path, Iterator[np.ndarray]]:
        """The next turn's name and its PCM at the session's rate."""
        turn = self._turns[self._next]
        return turn.path, decode_pcm(turn.path, rate=self.sample_rate,
                                     max_seconds=self.max_turn_seconds)

    def _begin_turn(self) -> None:
        path, self._source = self._open_next()
        self.timings.append(TurnTiming(index=self._next, path=path, start=self._clock()))
        self._next += 1
        self._start_at = None
        self._start_now = False
        self._replied_during_turn = False

    def _end_turn(self) -> None:
        self._source = None
        self.timings[-1].end = self._clock()
        # The next turn waits for the interviewer's reply, as a person would, unless the
        # interviewer already spoke (over this turn) and has finished.
        self._start_at = None
        if (self._replied_during_turn and not self._interviewer_speaking
                and self._has_next()):
            self._start_at = self._now() + self.reply_delay
        for fut in self._done_waiters:
            if not fut.done():
                fut.set_result(None)
        self._done_waiters.clear()

    def _speech(self, n: int) -> np.ndarray | None:
        """Up to ``n`` samples of the current turn; None once it has ended. A file that
        fails while it plays (removed, unreadable) ends its turn with a warning."""
        assert self._source is not None
        while len(self._pending) < n:
            try:
                chunk = next(self._source, None)
            except (OSError, av.error.FFmpegError) as exc:
                turn = self.timings[-1]
                self.warnings.append(f"{turn.path.name}: stopped playing ({exc}); the rest of"
                                     " the turn was skipped")
                self._source = iter(())
                chunk = None
            if chunk is None:
                break
            self._pending = np.concatenate([self._pending, chunk])
        if not len(self._pending):
            return None
        out, self._pending = self._pending[:n], self._pending[n:]
        return out

    async def __anext__(self) -> rtc.AudioFrame:
        if self._closed:
            raise StopAsyncIteration
        now = self._now()
        if self._t0 is None:
            self._t0 = now
        due = self._t0 + self._sent * self._frame_s
        if due - now > 0:
            await asyncio.sleep(due - now)
        elif now - due > 1.0:  # the consumer stalled: don't burst a second of catch-up
            self._t0, self._sent, due = now, 0, now
        if self._closed:
            raise StopAsyncIteration
        self._sent += 1

        n = self._samples_per_frame
        samples = np.zeros(n, dtype=np.int16)
        # Scheduled on the audio's own timeline (the frame's due time), so a busy machine
        # that delivers frames late doesn't shorten the pause before a turn.
        if self._source is None and self._turn_due(due):
            self._begin_turn()
        if self._source is not None:
            speech = self._speech(n)
            if speech is None:
                self._end_turn()
            else:
                samples[: len(speech)] = speech
                if len(speech) < n:
                    self._end_turn()
        return rtc.AudioFrame(data=samples.tobytes(), sample_rate=self.sample_rate,
                              num_channels=1, samples_per_channel=n)
