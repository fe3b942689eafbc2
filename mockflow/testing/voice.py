"""Fakes of the audio edge (imports livekit): a microphone that sends silence, an STT
whose events a test or benchmark scripts (interim, preflight and final transcripts,
start/end of speech), a streaming TTS with a fixed time to first byte, and a speaker (audio
output) that plays in (scaled) real time and notes when each segment's first frame came.

Everything behind them — LiveKit's audio recognition, turn detection, preemptive
generation, the agent, the real openai plugin — runs for real.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from livekit import rtc
from livekit.agents import llm, tts, utils
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
from livekit.agents.voice.io import AudioInput, AudioOutput, AudioOutputCapabilities

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

    def close(self) -> None:
        """No more audio: the session's audio input ends."""
        self._frames.close()


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
    """Drives one candidate's speech: each call emits an event and a bit of audio, then
    waits ``wait`` seconds (divided by ``speed``) before the next."""

    def __init__(self, stream: ScriptedStream, mic: FakeMic, *, speed: float = 1.0) -> None:
        self.stream = stream
        self.mic = mic
        self.speed = speed

    async def say(self, kind: SpeechEventType, text: str = "", wait: float = 0.05) -> None:
        self.stream.emit(kind, text)
        self.mic.push()
        await asyncio.sleep(wait / self.speed)

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


# ------------------------------------------------------------------ the interviewer's voice

TTS_SAMPLE_RATE = 24000


@dataclass
class TtsSegment:
    """One synthesised segment: its text, and when (``perf_counter``) its first text came
    in and its first audio went out."""

    text: str = ""
    first_text_at: float = 0.0
    first_audio_at: float = 0.0


class FakeStreamingTTS(tts.TTS[Any]):
    """A streaming TTS with a fixed time to first byte: a segment's first audio comes
    ``ttfb`` seconds after its first text, then audio for each piece of text as it
    arrives (``seconds_per_char`` of silence per character, about natural speech)."""

    def __init__(self, *, ttfb: float = 0.15, seconds_per_char: float = 0.06) -> None:
        super().__init__(capabilities=tts.TTSCapabilities(streaming=True),
                         sample_rate=TTS_SAMPLE_RATE, num_channels=1)
        self.ttfb = ttfb
        self.seconds_per_char = seconds_per_char
        self.segments: list[TtsSegment] = []  # every segment synthesised, in order

    @property
    def model(self) -> str:
        return "fake-streaming-tts"

    @property
    def provider(self) -> str:
        return "mockflow-testing"

    def synthesize(self, text: str, *,
                   conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
                   ) -> tts.ChunkedStream:
        return self._synthesize_with_stream(text, conn_options=conn_options)

    def stream(self, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
               ) -> FakeTTSStream:
        return FakeTTSStream(tts=self, conn_options=conn_options)


class FakeTTSStream(tts.SynthesizeStream):
    def __init__(self, *, tts: FakeStreamingTTS, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, conn_options=conn_options)
        self._fake = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        fake = self._fake
        output_emitter.initialize(request_id=utils.shortuuid(), sample_rate=TTS_SAMPLE_RATE,
                                  num_channels=1, mime_type="audio/pcm", stream=True)
        segment: TtsSegment | None = None
        async for item in self._input_ch:
            if isinstance(item, str):
                if not item:
                    continue
                if segment is None:
                    segment = TtsSegment(first_text_at=time.perf_counter())
                    fake.segments.append(segment)
                    output_emitter.start_segment(segment_id=utils.shortuuid())
                    self._mark_started()
                    await asyncio.sleep(fake.ttfb)
                    segment.first_audio_at = time.perf_counter()
                segment.text += item
                samples = max(1, int(len(item) * fake.seconds_per_char * TTS_SAMPLE_RATE))
                output_emitter.push(b"\x00\x00" * samples)
            elif segment is not None:  # a flush ends the segment
                output_emitter.end_segment()
                segment = None
        if segment is not None:
            output_emitter.end_segment()


class FakeSpeaker(AudioOutput):
    """An audio output that plays what it is given ``speed`` times faster than real time
    (1.0: real time) and notes the ``perf_counter`` of each segment's first frame."""

    def __init__(self, *, speed: float = 1.0) -> None:
        super().__init__(label="fake-speaker",
                         capabilities=AudioOutputCapabilities(pause=False))
        self.speed = speed
        self.first_frames: list[float] = []
        self._audio = 0.0  # seconds of audio in the current segment
        self._playing = False
        self._started_at = 0.0
        self._finish_timer: asyncio.TimerHandle | None = None

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if not self._playing:
            self._playing = True
            self._audio = 0.0
            self._started_at = time.perf_counter()
            self.first_frames.append(self._started_at)
            self.on_playback_started(created_at=time.time())
        self._audio += frame.duration

    def flush(self) -> None:
        super().flush()
        if self._playing:
            left = self._started_at + self._audio / self.speed - time.perf_counter()
            self._finish_timer = asyncio.get_running_loop().call_later(
                max(0.0, left), self._finish, self._audio, False)

    def clear_buffer(self) -> None:
        if self._playing:
            played = (time.perf_counter() - self._started_at) * self.speed
            self._finish(min(self._audio, played), True)

    def _finish(self, position: float, interrupted: bool) -> None:
        if self._finish_timer is not None:
            self._finish_timer.cancel()
            self._finish_timer = None
        if self._playing:
            self._playing = False
            self.on_playback_finished(playback_position=position, interrupted=interrupted)


# ------------------------------------------------------------------ a model that just talks


class CannedLLM(llm.LLM[Any]):
    """Replies with the given texts in turn (the last one again once they run out): a
    trivial model for tests of the audio path, where what is said doesn't matter."""

    def __init__(self, replies: list[str]) -> None:
        super().__init__()
        self.replies = replies
        self.requests = 0

    @property
    def model(self) -> str:
        return "canned"

    @property
    def provider(self) -> str:
        return "mockflow-testing"

    def chat(self, *, chat_ctx: llm.ChatContext, tools: list[llm.Tool] | None = None,
             conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
             parallel_tool_calls: Any = None, tool_choice: Any = None,
             extra_kwargs: Any = None) -> llm.LLMStream:
        text = self.replies[min(self.requests, len(self.replies) - 1)]
        self.requests += 1
        return _CannedStream(self, text, chat_ctx=chat_ctx, tools=tools or [],
                             conn_options=conn_options)


class _CannedStream(llm.LLMStream):
    def __init__(self, owner: CannedLLM, text: str, **kwargs: Any) -> None:
        super().__init__(owner, **kwargs)
        self._text = text

    async def _run(self) -> None:
        request_id = utils.shortuuid("canned_")
        for piece in self._text.split(" "):
            self._event_ch.send_nowait(llm.ChatChunk(
                id=request_id, delta=llm.ChoiceDelta(role="assistant", content=piece + " ")))
