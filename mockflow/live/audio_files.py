"""Audio files as the candidate's microphone and the interviewer's speaker (agent layer).

``FileMicrophone`` is a LiveKit ``io.AudioInput``: the ``.wav`` files of a folder are the
candidate's turns, in natural name order (``2.wav`` before ``10.wav``). Any sample rate
(8 kHz to 384 kHz), sample format (integer or float, also the extensible wavs Python's
``wave`` can't read) and channel count is decoded with ``av`` and converted to one rate and
mono for the whole session (STT and VAD lock to the first frame's rate). Frames go out at
real-time pace, 20 ms each, with silence between turns, because end of speech is only ever
detected from silent frames. A turn starts ``reply_delay`` seconds after the interviewer
stops speaking (``interviewer_finished``; ``follow(output)`` wires it to any audio output's
playback events); the interviewer starting again before then postpones it. When the files
run out the candidate is silent.

Decoding streams: a file is read a few milliseconds at a time while it plays, so memory
does not grow with its length. A turn longer than ``max_turn_seconds`` (default 15
minutes) is refused up front with a message that says to split it; unreadable, empty and
zero-length files and absurd sample rates are refused up front too (``AudioFileError``),
before the session starts. Stereo and resampled files are played and noted in
``warnings``.

``WavSpeaker`` is the matching ``io.AudioOutput``: it "plays" the interviewer's audio in
real time (no device), reports playback started and finished with the position reached
(an interruption reports how much was heard), and writes what was heard to a wav file on
the session's timeline (silence where the interviewer was silent), private (0600).

Cut-ins: the microphone knows when candidate audio is playing, so it counts each time the
interviewer starts speaking over it (``cut_ins``) and stamps every turn's start and end on
the clock the session gives (``clock``; ``time.monotonic`` by default).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
from livekit import rtc
from livekit.agents.voice.io import (
    AudioInput,
    AudioOutput,
    AudioOutputCapabilities,
    PlaybackFinishedEvent,
)

from mockflow.format.errors import InputError

SESSION_RATE = 16000  # one rate for the whole session: what Whisper and Silero hear
FRAME_MS = 20
MIN_RATE, MAX_RATE = 8000, 384000
DEFAULT_MAX_TURN_SECONDS = 15 * 60.0
DEFAULT_REPLY_DELAY = 1.0


class AudioFileError(InputError):
    """A candidate audio file (or folder) can't be used; the message names it and the fix."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True, slots=True)
class TurnFile:
    """A candidate turn on disk, checked: it decodes, has audio, and isn't too long."""

    path: Path
    duration: float  # seconds (from the container; 0.0 when it doesn't say)
    sample_rate: int
    channels: int


def _natural_key(path: Path) -> list[Any]:
    return [int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", path.name)]


def probe_turn(path: Path, *, max_seconds: float = DEFAULT_MAX_TURN_SECONDS) -> TurnFile:
    """Check one file before the session starts; raise ``AudioFileError`` on bad input."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioFileError(path, f"can't be read ({exc.strerror or exc})") from exc
    if size == 0:
        raise AudioFileError(path, "is empty (0 bytes): record the answer again or remove"
                                   " the file")
    try:
        with av.open(str(path)) as container:
            streams = container.streams.audio
            if not streams:
                raise AudioFileError(path, "has no audio stream: give a .wav recording")
            stream = streams[0]
            rate = int(stream.codec_context.sample_rate or 0)
            channels = int(stream.codec_context.channels or 0)
            if not MIN_RATE <= rate <= MAX_RATE:
                raise AudioFileError(
                    path, f"has a sample rate of {rate} Hz; speech needs {MIN_RATE} to"
                          f" {MAX_RATE} Hz: re-export it at 16000 Hz or more")
            duration = 0.0
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            if duration > max_seconds:
                raise AudioFileError(
                    path, f"is {_clock(duration)} long; a turn may be at most"
                          f" {_clock(max_seconds)}: split the recording into one file per"
                          " answer")
            heard = False
            for frame in container.decode(stream):
                if frame.samples:
                    heard = True
                    break
            if not heard:
                raise AudioFileError(path, "has no audio samples (a header only): record the"
                                           " answer again or remove the file")
    except AudioFileError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise AudioFileError(path, f"is not a readable audio file ({exc}): give a .wav"
                                   " recording") from exc
    return TurnFile(path=path, duration=duration, sample_rate=rate, channels=channels)


def turn_files(folder: Path, *, max_seconds: float = DEFAULT_MAX_TURN_SECONDS
               ) -> list[TurnFile]:
    """The ``.wav`` files of ``folder`` in natural name order, each checked."""
    if not folder.is_dir():
        raise AudioFileError(folder, "is not a folder: give the folder that holds the"
                                     " candidate's .wav files")
    paths = sorted((p for p in folder.iterdir() if p.suffix.lower() == ".wav" and p.is_file()),
                   key=_natural_key)
    if not paths:
        raise AudioFileError(folder, "holds no .wav files: put one .wav file per candidate"
                                     " turn in it (played in name order)")
    return [probe_turn(p, max_seconds=max_seconds) for p in paths]


def _clock(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def decode_pcm(path: Path, *, rate: int = SESSION_RATE,
               max_seconds: float = DEFAULT_MAX_TURN_SECONDS) -> Iterator[np.ndarray]:
    """A file as 16-bit mono PCM at ``rate``, a decoded packet at a time (streaming).

    Stops at ``max_seconds`` even when the container didn't say how long it is.
    """
    limit = int(max_seconds * rate)
    emitted = 0
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                pcm = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
                pcm = pcm[: max(0, limit - emitted)]
                emitted += len(pcm)
                if len(pcm):
                    yield pcm
                if emitted >= limit:
                    return
        for out in resampler.resample(None):
            pcm = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
            pcm = pcm[: max(0, limit - emitted)]
            emitted += len(pcm)
            if len(pcm):
                yield pcm


def read_pcm(path: Path, *, rate: int = SESSION_RATE) -> np.ndarray:
    """A whole (short) file as 16-bit mono PCM at ``rate``: for tests and benchmarks."""
    parts = list(decode_pcm(path, rate=rate))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    """16-bit mono PCM to a wav file, private (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(pcm, dtype=np.int16).tobytes())


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

    # --------------------------------------------------------------- the session's side

    @property
    def playing(self) -> bool:
        """Candidate audio is playing now (a turn started and has not ended)."""
        return self._source is not None

    @property
    def exhausted(self) -> bool:
        """Every turn has been played to its end."""
        return self._next >= len(self._turns) and self._source is None

    @property
    def turns_total(self) -> int:
        return len(self._turns)

    def interviewer_started(self) -> None:
        """The interviewer began speaking: a cut-in if the candidate's audio is playing;
        otherwise the next turn waits for the interviewer to finish."""
        self._interviewer_speaking = True
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
        elif self._next < len(self._turns):
            self._start_at = self._now() + self.reply_delay

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

    def _begin_turn(self) -> None:
        turn = self._turns[self._next]
        self._source = decode_pcm(turn.path, rate=self.sample_rate,
                                  max_seconds=self.max_turn_seconds)
        self.timings.append(TurnTiming(index=self._next, path=turn.path, start=self._clock()))
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
                and self._next < len(self._turns)):
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
        if (self._source is None and self._next < len(self._turns)
                and (self._start_now or (self._start_at is not None
                                         and due >= self._start_at))):
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

    def __init__(self, path: Path, *, sample_rate: int = 24000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(label="mockflow-wav-speaker",
                         capabilities=AudioOutputCapabilities(pause=False),
                         sample_rate=sample_rate)
        self.path = path
        self._rate = sample_rate
        self._clock = clock
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
        self._play_start = 0.0  # loop time the current segment began to play
        self._timer: asyncio.TimerHandle | None = None
        self._flushed = False
        self._closed = False

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._current is None:
            now = self._now()
            if self._origin is None:
                self._origin = now
            self._current = SpokenSegment(start=self._clock())
            self._play_start = now
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
        left = self._play_start + self._current.audio - self._now()
        self._timer = asyncio.get_running_loop().call_later(
            max(0.0, left), self._finish, False)

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
            played = min(segment.audio, max(0.0, self._now() - self._play_start))
        segment.played, segment.interrupted, segment.end = played, interrupted, self._clock()
        self._write(segment, played)
        self._current = None
        self.on_playback_finished(playback_position=played, interrupted=interrupted)

    def _write(self, segment: SpokenSegment, played: float) -> None:
        if self._closed or self._origin is None:
            return
        offset = int(round((self._play_start - self._origin) * self._rate))
        if offset > self._written:  # the silence before it, so the file keeps real time
            self._wav.writeframes(b"\x00\x00" * (offset - self._written))
            self._written = offset
        pcm = b"".join(segment._pcm)[: int(played * self._rate) * 2]
        segment._pcm.clear()
        self._wav.writeframes(pcm)
        self._written += len(pcm) // 2

    def close(self) -> None:
        """Finish the file (an unfinished segment is written as heard so far)."""
        if self._current is not None and self._origin is not None:
            self._finish(True)
        if not self._closed:
            self._closed = True
            self._wav.close()
            self._raw.close()
