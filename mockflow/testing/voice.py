"""Fakes of the audio edge (imports livekit): a microphone that sends silence and an STT
whose events a test or benchmark scripts (interim, preflight and final transcripts,
start/end of speech).

Everything behind them — LiveKit's audio recognition, turn detection, preemptive
generation, the agent, the real openai plugin — runs for real.
"""

from __future__ import annotations

import asyncio
from typing import Any

from livekit import rtc
from livekit.agents import utils
from livekit.agents.language import LanguageCode
from livekit.agents.stt import (
    STT,
    RecognizeStream,
    SpeechData,
    SpeechEvent,
    SpeechEventType,
    STTCapabilities,
)
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from livekit.agents.voice.io import AudioInput

SAMPLE_RATE = 16000


class FakeMic(AudioInput):
    """An audio input that yields silent frames when pushed."""

    def __init__(self) -> None:
        super().__init__(label="fake-mic")
        self._frames = utils.aio.Chan[rtc.AudioFrame]()

    async def __anext__(self) -> rtc.AudioFrame:
        return await self._frames.__anext__()

    def push(self, seconds: float = 0.02) -> None:
        samples = int(SAMPLE_RATE * seconds)
        self._frames.send_nowait(rtc.AudioFrame(data=b"\x00\x00" * samples,
                                                sample_rate=SAMPLE_RATE, num_channels=1,
                                                samples_per_channel=samples))


class ScriptedSTT(STT[Any]):
    """A streaming STT whose transcripts the test emits."""

    def __init__(self) -> None:
        super().__init__(capabilities=STTCapabilities(streaming=True, interim_results=True))
        self.streams: list[ScriptedStream] = []

    async def _recognize_impl(self, buffer: Any, *, language: Any = None,
                              conn_options: APIConnectOptions) -> SpeechEvent:
        raise NotImplementedError("ScriptedSTT only streams")

    def stream(self, *, language: Any = None,
               conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS) -> ScriptedStream:
        stream = ScriptedStream(stt=self, conn_options=conn_options)
        self.streams.append(stream)
        return stream

    async def wait_for_stream(self, timeout: float = 5.0) -> ScriptedStream:
        async def poll() -> ScriptedStream:
            while not self.streams:
                await asyncio.sleep(0.01)
            return self.streams[-1]

        return await asyncio.wait_for(poll(), timeout)


class ScriptedStream(RecognizeStream):
    async def _run(self) -> None:
        async for _ in self._input_ch:
            pass

    def emit(self, kind: SpeechEventType, text: str = "") -> None:
        alternatives = [SpeechData(text=text, language=LanguageCode("en"))] if text else []
        self._event_ch.send_nowait(SpeechEvent(type=kind, alternatives=alternatives))


class Speaker:
    """Drives one candidate's speech: each call emits an event and a bit of audio."""

    def __init__(self, stream: ScriptedStream, mic: FakeMic) -> None:
        self.stream = stream
        self.mic = mic

    async def say(self, kind: SpeechEventType, text: str = "", wait: float = 0.05) -> None:
        self.stream.emit(kind, text)
        self.mic.push()
        await asyncio.sleep(wait)

    async def start(self) -> None:
        await self.say(SpeechEventType.START_OF_SPEECH)

    async def interim(self, text: str) -> None:
        await self.say(SpeechEventType.INTERIM_TRANSCRIPT, text)

    async def preflight(self, text: str) -> None:
        await self.say(SpeechEventType.PREFLIGHT_TRANSCRIPT, text)

    async def final(self, text: str) -> None:
        await self.say(SpeechEventType.FINAL_TRANSCRIPT, text)

    async def end(self, wait: float = 0.05) -> None:
        await self.say(SpeechEventType.END_OF_SPEECH, wait=wait)
