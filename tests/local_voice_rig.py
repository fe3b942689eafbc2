"""Real speech for tests: the local models (loaded once per process) and candidate answers
synthesised with the local TTS, cached per test session (never committed)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from mockflow.live.audio_files import read_pcm, write_wav
from mockflow.live.local_voice import LocalVoiceSettings, load_local_voice

T = TypeVar("T")

ANSWERS = {
    "cache": ("I would put a read-through cache in front of the pricing service, with a short"
              " time to live and invalidation on write."),
    "queue": "For the queue I would pick Kafka, partitioned by customer, with idempotent"
             " consumers.",
    "short": "Yes, that works for me.",
    "ready": "Yes, I'm ready.",
    "no_questions": "No questions from me, thank you.",
}


class VoiceAudio:
    """``wav(key)``: ``ANSWERS[key]`` spoken by the local voice, as a wav at ``rate``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.models = load_local_voice(LocalVoiceSettings())
        assert self.models.tts is not None and self.models.stt is not None
        self.tts = self.models.tts
        self.stt = self.models.stt
        self._made: dict[tuple[str, int], Path] = {}

    def wav(self, key: str, *, rate: int = 16000) -> Path:
        if (key, rate) not in self._made:
            # no sampling noise: the same audio every run, so WER bounds don't wobble
            pcm = self.tts.synthesize(ANSWERS[key], deterministic=True)
            native = self.folder / f"{key}-native.wav"
            write_wav(native, pcm, self.tts.sample_rate)
            path = self.folder / f"{key}-{rate}.wav"
            write_wav(path, read_pcm(native, rate=rate), rate)
            self._made[(key, rate)] = path
        return self._made[(key, rate)]


def run(coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
    """Run a coroutine with a generous hang guard (never a timed assertion)."""

    async def guarded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(guarded())
