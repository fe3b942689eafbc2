"""A stand-in for the ``sounddevice`` module (put this folder first on PYTHONPATH): a
machine with one microphone and one speaker, where a candidate sits at the microphone and
answers the speaker. No sound device is opened.

The speaker's stream pulls the interviewer's audio through its callback at real-time
pace, 10 ms blocks, and notes when it heard speech. The microphone's stream sends
silence until the speaker has spoken and then been silent for ``PAUSE_S``, then the next
of the candidate's turns: the 24 kHz mono wavs in the folder ``MOCKFLOW_FAKE_SOUND_TURNS``
names, in name order; silence once they run out. ``MOCKFLOW_FAKE_SOUND_LOG``, if set, gets
one line per event (``speaker speech`` / ``mic turn N``) for the test to read."""

from __future__ import annotations

import os
import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

PAUSE_S = 2.5  # the speaker's silence that tells the candidate it is their turn
LOUD = 500  # a sample above this is speech


class PortAudioError(Exception):
    pass


def query_devices(device: Any = None, kind: str | None = None) -> dict[str, Any]:
    return {"name": "stand-in", "max_input_channels": 1, "max_output_channels": 1}


class _Times:
    def __init__(self) -> None:
        now = time.monotonic()
        self.currentTime = now
        self.inputBufferAdcTime = now - 0.01
        self.outputBufferDacTime = now + 0.01


class _Room:
    """What the microphone and the speaker share: when the interviewer last spoke."""

    def __init__(self) -> None:
        folder = os.environ.get("MOCKFLOW_FAKE_SOUND_TURNS")
        self.turns = sorted(Path(folder).glob("*.wav")) if folder else []
        self.spoke = False  # the interviewer spoke since the candidate's last turn
        self.last_loud = 0.0
        self.lock = threading.Lock()
        self.log_path = os.environ.get("MOCKFLOW_FAKE_SOUND_LOG")

    def log(self, line: str) -> None:
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as out:
                out.write(line + "\n")


_ROOM = _Room()


class _Stream:
    def __init__(self, *, callback: Any, samplerate: int, blocksize: int, channels: int,
                 dtype: str, device: Any = None) -> None:
        self.callback = callback
        self.rate = int(samplerate)
        self.block = int(blocksize)
        self._running = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._running = True
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running = False

    def close(self) -> None:
        self._running = False
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        start = time.monotonic()
        n = 0
        while self._running:
            due = start + n * self.block / self.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif wait < -1.0:  # fell far behind (a busy machine): don't burst
                start, n = time.monotonic(), 0
            self.step()
            n += 1

    def step(self) -> None:
        raise NotImplementedError


class OutputStream(_Stream):
    def step(self) -> None:
        out = np.zeros((self.block, 1), dtype=np.int16)
        self.callback(out, self.block, _Times(), None)
        if np.abs(out).max() > LOUD:
            with _ROOM.lock:
                if not _ROOM.spoke:
                    _ROOM.log("speaker speech")
                _ROOM.spoke = True
                _ROOM.last_loud = time.monotonic()


class InputStream(_Stream):
    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._next = 0
        self._pcm = np.zeros(0, dtype=np.int16)

    def _turn(self) -> None:
        with _ROOM.lock:
            due = (_ROOM.spoke and self._next < len(_ROOM.turns)
                   and time.monotonic() - _ROOM.last_loud >= PAUSE_S)
            if due:
                _ROOM.spoke = False
        if due:
            with wave.open(str(_ROOM.turns[self._next])) as wav:
                assert wav.getframerate() == self.rate and wav.getnchannels() == 1
                self._pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
            _ROOM.log(f"mic turn {self._next + 1}")
            self._next += 1

    def step(self) -> None:
        if not len(self._pcm):
            self._turn()
        block = np.zeros((self.block, 1), dtype=np.int16)
        chunk, self._pcm = self._pcm[: self.block], self._pcm[self.block:]
        block[: len(chunk), 0] = chunk
        self.callback(block, self.block, _Times(), None)
