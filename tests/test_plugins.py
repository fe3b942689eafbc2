"""The voice pipeline built from the file's voice section, every provider, fake keys."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from livekit.agents import inference
from livekit.agents.llm import FallbackAdapter
from livekit.plugins import deepgram, openai, silero

from mockflow.format.model import (
    Endpointing,
    LlmConfig,
    LlmModel,
    SttConfig,
    TtsConfig,
    TurnConfig,
    VoiceConfig,
)
from mockflow.live.plugins import (
    build_llm,
    build_stt,
    build_tts,
    build_vad,
    text_turn_handling,
    turn_handling,
)
from mockflow.live.startup import missing_provider_keys, provider_keys


@pytest.fixture(autouse=True)
def fake_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
    monkeypatch.setenv("DEEPGRAM_API_KEY", "dg-fake")


def in_loop(fn: Any) -> Any:
    async def main() -> Any:
        return fn()

    return asyncio.run(main())


def test_stt_providers() -> None:
    dg = in_loop(lambda: build_stt(SttConfig("deepgram", "nova-3", None), "en-GB"))
    assert isinstance(dg, deepgram.STT)
    assert dg.model == "nova-3" and dg._opts.language == "en-GB"
    oa = in_loop(lambda: build_stt(SttConfig("openai", None, "de-DE"), "en-US"))
    assert isinstance(oa, openai.STT) and oa.model == "gpt-4o-mini-transcribe"


def test_llm_with_base_url_and_fallback() -> None:
    single = build_llm(VoiceConfig(llm=LlmConfig(LlmModel(model="gpt-4o-mini",
                                                          base_url="http://127.0.0.1:9/v1"))))
    primary = single.guarded[0].inner
    assert isinstance(primary, openai.LLM) and primary.model == "gpt-4o-mini"
    assert str(primary._client.base_url).startswith("http://127.0.0.1:9/v1")
    # the chain always ends in the offline interviewer, which speaks the engine's moves
    assert isinstance(single, FallbackAdapter)
    assert [m.model for m in single._llm_instances] == ["gpt-4o-mini", "mockflow-offline"]
    fallback = build_llm(VoiceConfig(llm=LlmConfig(
        LlmModel(model="gpt-4o"), (LlmModel(model="gpt-4o-mini", temperature=0.1),),
        timeout_s=2.5)))
    assert [m.model for m in fallback._llm_instances] == ["gpt-4o", "gpt-4o-mini",
                                                          "mockflow-offline"]
    assert [g.timeout_s for g in fallback.guarded] == [2.5, 2.5, 2.5]
    assert fallback._attempt_timeout == 2.5


def test_tts_and_vad() -> None:
    tts = build_tts(TtsConfig(voice="verse", speed=1.2))
    assert isinstance(tts, openai.TTS) and tts._opts.voice == "verse"
    assert isinstance(build_vad("silero"), silero.VAD)
    with pytest.raises(ValueError, match="unknown VAD"):
        build_vad("webrtc")


def test_turn_handling_names_the_detector_explicitly() -> None:
    options = turn_handling(TurnConfig(detector="vad", conversational=Endpointing(0.6, 3.5),
                                       allow_interruptions=False,
                                       preemptive_generation=False))
    assert options == {
        "turn_detection": "vad",
        "endpointing": {"min_delay": 0.6, "max_delay": 3.5},
        "interruption": {"enabled": False},
        "preemptive_generation": {"enabled": False},
    }
    model = turn_handling(TurnConfig(detector="model"))["turn_detection"]
    assert isinstance(model, inference.TurnDetector)
    assert text_turn_handling()["turn_detection"] == "manual"


def test_provider_keys_name_who_needs_them() -> None:
    voice = VoiceConfig(llm=LlmConfig(LlmModel(), (LlmModel(model="gpt-4o"),)))
    assert provider_keys(voice) == {
        "DEEPGRAM_API_KEY": ["voice.stt (deepgram)"],
        "OPENAI_API_KEY": ["voice.llm (openai gpt-4o-mini)",
                           "voice.llm.fallback[0] (openai gpt-4o)", "voice.tts (openai)"],
    }
    assert missing_provider_keys(voice, {"OPENAI_API_KEY": "x"}) == {
        "DEEPGRAM_API_KEY": ["voice.stt (deepgram)"]}
