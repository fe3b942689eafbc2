"""Candidate audio files (no session logic): checking, decoding and writing wavs.

``turn_files(folder)`` lists a folder's ``.wav`` files in natural name order (``2.wav``
before ``10.wav``), each checked by ``probe_turn`` before a session starts: it decodes, has
audio samples, a sample rate speech fits in (8 kHz to 384 kHz) and is not longer than
``max_turn_seconds`` (default 15 minutes; a longer file is refused with a message that
says to split it). Each problem is an ``AudioFileError`` that names the file and the fix.
Any sample format (integer or float, also the extensible wavs Python's ``wave`` can't read)
and channel count is decoded with ``av``; ``decode_pcm`` streams 16-bit mono PCM at one
rate a packet at a time, so memory doesn't grow with a file's length. ``write_wav`` writes
a private (0600) 16-bit mono wav.

The candidate's microphone built on them is ``mockflow.live.file_microphone``; the
interviewer's file speaker is ``mockflow.live.wav_speaker``.
"""

from __future__ import annotations

import os
import re
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

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
