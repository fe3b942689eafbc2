"""The local text-to-speech as a LiveKit ``tts.TTS`` (agent layer).

Piper synthesises a sentence at a time. The TTS is non-streaming, so LiveKit's agent wraps
it in ``tts.StreamAdapter`` (``Agent.default.tts_node``): the reply is cut into sentences as
the model writes it, and each sentence is synthesised on its own. Inside a sentence's
request, every chunk Piper finishes is pushed through LiveKit's ``AudioEmitter`` at once
(from the worker thread to the event loop), so the first sentence plays while the rest of
the reply is still being written or synthesised; nothing waits for the whole reply.
Synthesis runs in a worker thread and stops between sentences once the request is
cancelled (an interruption).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from livekit.agents import tts, utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

from mockflow.live.local_voice.models import PiperSynthesizer, SpeechChunk


class LocalTTS(tts.TTS[Any]):
    """Piper on this machine: no network, no key."""

    def __init__(self, synthesizer: PiperSynthesizer, *, speed: float = 1.0) -> None:
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False),
                         sample_rate=synthesizer.sample_rate, num_channels=1)
        self._synthesizer = synthesizer
        self._speed = speed

    @property
    def model(self) -> str:
        return f"piper-{self._synthesizer.name}"

    @property
    def provider(self) -> str:
        return "local"

    def synthesize(self, text: str, *,
                   conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
                   ) -> LocalChunkedStream:
        return LocalChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class LocalChunkedStream(tts.ChunkedStream):
    def __init__(self, *, tts: LocalTTS, input_text: str,
                 conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._local = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        local = self._local
        output_emitter.initialize(request_id=utils.shortuuid("local_tts_"),
                                  sample_rate=local.sample_rate, num_channels=1,
                                  mime_type="audio/pcm")
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[SpeechChunk | BaseException | None] = asyncio.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for chunk in local._synthesizer.sentences(self.input_text, speed=local._speed):
                    if stop.is_set():
                        break
                    loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            except BaseException as exc:  # handed to the event loop and raised there
                loop.call_soon_threadsafe(chunks.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(chunks.put_nowait, None)

        worker = asyncio.ensure_future(asyncio.to_thread(produce))
        try:
            while (item := await chunks.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                output_emitter.push(item.pcm.tobytes())
            output_emitter.flush()
        finally:
            stop.set()
            await asyncio.shield(worker)
