"""A wav file as the interviewer's speaker (agent layer).

``WavSpeaker`` is a LiveKit ``io.AudioOutput`` with no device: it "plays" the interviewer's
audio in real time, reports playback started and finished with the position reached (an
interruption reports how much was heard; without these reports a session waits forever),
can pause and resume (LiveKit's handling of a false interruption),
and writes what was heard to a wav file on the session's timeline (silence where the
interviewer was silent), private (0600); with no path it keeps nothing (a session from
files whose interviewer isn't recorded). ``segments`` says when each stretch was spoken,
on the clock the session gives.
"""

from __future__ import annotations

import asyncio
import os
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents.voice.io import AudioOutput, AudioOutputCapabilities


@dataclass(slots=True)
class SpokenSegment:
    """One stretch of interviewer speech as played, on the session's clock."""

    start: float
    audio: float = 0.0  # seconds of audio given
    played: float = 0.0  # seconds heard (less than audio when interrupted)
    end: float | None = None
    interrupted: bool = False
    _pcm: list[bytes] = field(default_factory=list, repr=False)


class WavSpeaker(AudioOutput):
    """The interviewer's audio played in real time to a wav file (see the module doc)."""

    def __init__(self, path: Path | None, *, sample_rate: int = 24000,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], float] | None = None) -> None:
        """``clock``: the session's (segments' times); ``now``: the playback's own time
        (default: the event loop's)."""
        super().__init__(label="mockflow-wav-speaker",
                         capabilities=AudioOutputCapabilities(pause=True),
                         sample_rate=sample_rate)
        self.path = path
        self._rate = sample_rate
        self._clock = clock
        self._raw: Any = None
        self._wav: Any = None
        if path is not None:  # None: played in real time, kept nowhere
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._raw = os.fdopen(fd, "wb")
            self._wav = wave.open(self._raw, "wb")
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(sample_rate)
        self._origin: float | None = None  # loop time of the file's first sample
        self._written = 0  # samples in the file
        self.segments: list[SpokenSegment] = []
        self._current: SpokenSegment | None = None
        # the current segment's playback: runs of (loop time, segment offset s, seconds)
        # already played, the one playing now (None: paused) and the seconds before it
        self._runs: list[tuple[float, float, float]] = []
        self._run_start: float | None = None
        self._played_before = 0.0
        self._loop_now = now
        self._timer: asyncio.TimerHandle | None = None
        self._flushed = False
        self._closed = False

    def _now(self) -> float:
        return self._loop_now() if self._loop_now is not None \
            else asyncio.get_running_loop().time()

    def _position(self, now: float) -> float:
        """Seconds of the current segment heard by ``now``."""
        running = 0.0 if self._run_start is None else max(0.0, now - self._run_start)
        return self._played_before + running

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._current is None:
            now = self._now()
            if self._origin is None:
                self._origin = now
            self._current = SpokenSegment(start=self._clock())
            self._runs, self._run_start, self._played_before = [], now, 0.0
            self._flushed = False
            self.segments.append(self._current)
            self.on_playback_started(created_at=time.time())
        data = bytes(frame.data)
        if frame.num_channels > 1:
            pcm = np.frombuffer(data, dtype=np.int16).reshape(-1, frame.num_channels)
            data = pcm.mean(axis=1).astype(np.int16).tobytes()
        self._current._pcm.append(data)
        self._current.audio += frame.samples_per_channel / frame.sample_rate

    def flush(self) -> None:
        super().flush()
        if self._current is None or self._flushed:
            return
        self._flushed = True
        self._schedule()

    def _schedule(self) -> None:
        """The current segment ends when its audio has played (not while paused)."""
        if self._current is None or not self._flushed or self._run_start is None:
            return
        if self._timer is not None:
            self._timer.cancel()
        left = self._current.audio - self._position(self._now())
        self._timer = asyncio.get_running_loop().call_later(
            max(0.0, left), self._finish, False)

    def pause(self) -> None:
        """Hold the current segment where it is (LiveKit pauses the interviewer when the
        candidate may be interrupting, and resumes if they weren't)."""
        super().pause()
        if self._current is None or self._run_start is None:
            return
        now = self._now()
        heard = min(self._current.audio, self._position(now)) - self._played_before
        self._runs.append((self._run_start, self._played_before, max(0.0, heard)))
        self._played_before += max(0.0, heard)
        self._run_start = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def resume(self) -> None:
        super().resume()
        if self._current is None or self._run_start is not None:
            return
        self._run_start = self._now()
        self._schedule()

    def clear_buffer(self) -> None:
        if self._current is not None:
            self._finish(True)

    def _finish(self, interrupted: bool) -> None:
        segment = self._current
        if segment is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        played = segment.audio
        if interrupted:
            played = min(segment.audio, self._position(self._now()))
        if self._run_start is not None:
            self._runs.append((self._run_start, self._played_before,
                               max(0.0, played - self._played_before)))
            self._run_start = None
        segment.played, segment.interrupted, segment.end = played, interrupted, self._clock()
        self._write(segment, played)
        self._current = None
        self.on_playback_finished(playback_position=played, interrupted=interrupted)

    def _write(self, segment: SpokenSegment, played: float) -> None:
        if self._closed or self._origin is None or self._wav is None:
            segment._pcm.clear()
            return
        audio = b"".join(segment._pcm)[: int(played * self._rate) * 2]
        segment._pcm.clear()
        for started, at, seconds in self._runs:  # each stretch where it was heard
            offset = int(round((started - self._origin) * self._rate))
            if offset > self._written:  # the silence before it: the file keeps real time
                self._wav.writeframes(b"\x00\x00" * (offset - self._written))
                self._written = offset
            first = int(round(at * self._rate)) * 2
            pcm = audio[first: first + int(round(seconds * self._rate)) * 2]
            self._wav.writeframes(pcm)
            self._written += len(pcm) // 2

    def close(self) -> None:
        """Finish the file (an unfinished segment is written as heard so far)."""
        if self._current is not None and self._origin is not None:
            self._finish(True)
        if not self._closed:
            self._closed = True
            if self._wav is not None:
                self._wav.close()
                self._raw.close()
