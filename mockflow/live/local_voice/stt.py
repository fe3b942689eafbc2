"""The local speech-to-text as a LiveKit ``stt.STT`` (agent layer).

Whisper recognises whole utterances, so this STT is non-streaming: LiveKit's agent wraps
it in ``stt.StreamAdapter`` with the session's VAD (``Agent.default.stt_node``), which
hands over each stretch of speech when the VAD sees it end. Recognition runs in a worker
thread, never on the event loop.

Keyterm biasing: the STT declares ``keyterms`` in its capabilities, so the terms a session
sets with ``session.update_options(keyterms=[...])`` (or ``stt_context_options``) reach
``_update_session_keyterms`` and go into Whisper's prompt for every later utterance,
together with the terms given to the constructor or ``update_options(keyterms=...)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import stt, utils
from livekit.agents.language import LanguageCode
from livekit.agents.types import NOT_GIVEN, APIConnectOptions, NotGivenOr

from mockflow.live.local_voice.errors import LocalVoiceUnavailable
from mockflow.live.local_voice.models import WHISPER_RATE, WhisperRecognizer

BIAS_MODES = ("prompt", "hotwords", "off")


def to_whisper_audio(buffer: utils.AudioBuffer) -> np.ndarray:
    """LiveKit frames (any rate, mono or stereo) as 16 kHz mono float32 in [-1, 1]."""
    frame = rtc.combine_audio_frames(buffer) if isinstance(buffer, list) else buffer
    if frame.samples_per_channel == 0:
        return np.zeros(0, dtype=np.float32)
    if frame.num_channels > 1:
        pcm = np.frombuffer(frame.data, dtype=np.int16).reshape(-1, frame.num_channels)
        mono = pcm.mean(axis=1).astype(np.int16)
        frame = rtc.AudioFrame(data=mono.tobytes(), sample_rate=frame.sample_rate,
                               num_channels=1, samples_per_channel=len(mono))
    if frame.sample_rate != WHISPER_RATE:
        resampler = rtc.AudioResampler(input_rate=frame.sample_rate, output_rate=WHISPER_RATE,
                                       num_channels=1, quality=rtc.AudioResamplerQuality.HIGH)
        parts = [*resampler.push(frame), *resampler.flush()]
        data = b"".join(bytes(p.data) for p in parts)
    else:
        data = bytes(frame.data)
    return np.frombuffer(data, dtype=np.int16).astype(np.float32) / 32768.0


class LocalSTT(stt.STT[Any]):
    """Whisper on this machine: no network, no key."""

    def __init__(self, recognizer: WhisperRecognizer, *, language: str = "en",
                 keyterms: Sequence[str] = (), bias: str = "prompt") -> None:
        super().__init__(capabilities=stt.STTCapabilities(
            streaming=False, interim_results=False, keyterms=bias != "off"))
        base = language.split("-")[0].lower()
        if base != "en":
            raise LocalVoiceUnavailable(
                f"the local speech-to-text ({recognizer.name}) understands English only, but"
                f" the interview's language is '{language}': use another voice.stt provider"
                " or an English interview")
        if bias not in BIAS_MODES:
            raise ValueError(f"bias must be one of {BIAS_MODES}, not {bias!r}")
        self._recognizer = recognizer
        self._language = base
        self._bias = bias
        self._user_keyterms = list(keyterms)
        self._session_keyterms: list[str] = []

    @property
    def model(self) -> str:
        return f"whisper-{self._recognizer.name}"

    @property
    def provider(self) -> str:
        return "local"

    @property
    def keyterms(self) -> list[str]:
        """The terms Whisper is biased toward now: the user's, then the session's."""
        return list(dict.fromkeys([*self._user_keyterms, *self._session_keyterms]))

    def update_options(self, *, keyterms: NotGivenOr[Sequence[str]] = NOT_GIVEN,
                       bias: NotGivenOr[str] = NOT_GIVEN) -> None:
        if utils.is_given(keyterms):
            self._user_keyterms = list(keyterms)
        if utils.is_given(bias):
            if bias not in BIAS_MODES:
                raise ValueError(f"bias must be one of {BIAS_MODES}, not {bias!r}")
            self._bias = bias

    def _update_session_keyterms(self, keyterms: list[str]) -> None:
        # LiveKit's hook for session.update_options(keyterms=...) / stt_context_options
        self._session_keyterms = list(keyterms)

    async def _recognize_impl(self, buffer: utils.AudioBuffer, *,
                              language: NotGivenOr[str] = NOT_GIVEN,
                              conn_options: APIConnectOptions) -> stt.SpeechEvent:
        audio = to_whisper_audio(buffer)
        terms = self.keyterms if self._bias != "off" else []
        result = await asyncio.to_thread(
            self._recognizer.transcribe, audio, language=self._language, keyterms=terms,
            bias=self._bias if self._bias != "off" else "prompt")
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            request_id=utils.shortuuid("local_stt_"),
            alternatives=[stt.SpeechData(language=LanguageCode(self._language),
                                         text=result.text, end_time=result.duration,
                                         confidence=1.0 if result.text else 0.0)],
        )
