"""The voice pipeline from the file's ``voice`` section (agent layer: imports livekit).

STT, LLM (the model chain: the file's models, then the offline interviewer), TTS, VAD and the
``turn_handling`` options. Constructors read provider keys from the environment; the
CLI has already checked they are set (``mockflow.live.startup``). Provider ``local`` builds
Whisper / Piper on this machine (``mockflow.live.local_voice``): the models come from
``load_local_voice``, loaded once per process (call it in prewarm to share them).
"""

from __future__ import annotations

import copy
from typing import Any

from livekit.agents import llm as lk_llm
from livekit.agents import stt as lk_stt
from livekit.agents import tts as lk_tts
from livekit.agents import vad as lk_vad

from mockflow.format.model import (
    LOCAL_STT_MODELS,
    LlmModel,
    SttConfig,
    TtsConfig,
    TurnConfig,
    VoiceConfig,
)
from mockflow.live.model_chain import ModelChain
from mockflow.live.model_clients import with_shared_tls
from mockflow.live.shared import shared

DEFAULT_STT_MODELS = {"deepgram": "nova-3", "openai": "gpt-4o-mini-transcribe"}
DEFAULT_TTS_MODEL = "gpt-4o-mini-tts"
DEFAULT_LOCAL_STT_MODEL = LOCAL_STT_MODELS[0]


def build_llm_model(cfg: LlmModel, *, api_key: str | None = None) -> lk_llm.LLM[Any]:
    from livekit.plugins import openai

    kwargs: dict[str, Any] = {"model": cfg.model, "temperature": cfg.temperature}
    if cfg.base_url:
        kwargs["base_url"] = cfg.base_url
    if api_key is not None:
        kwargs["api_key"] = api_key
    return with_shared_tls(openai.LLM, **kwargs)


def build_persona_llm(model: str) -> lk_llm.LLM[Any]:
    """The OpenAI model that plays a simulated candidate (``simulate --llm-persona``)."""
    from livekit.plugins import openai

    return openai.LLM(model=model)


def model_label(cfg: LlmModel) -> str:
    """How a model is named in session records: provider, model and endpoint host."""
    where = ""
    if cfg.base_url:
        from urllib.parse import urlsplit

        where = f" at {urlsplit(cfg.base_url).netloc}"
    return f"{cfg.provider} {cfg.model}{where}"


def build_llm(voice: VoiceConfig, *, api_key: str | None = None) -> ModelChain:
    """The interviewer's model chain: the primary, the file's fallbacks, then the offline
    interviewer (``mockflow.live.model_chain``)."""
    models = [(model_label(m), build_llm_model(m, api_key=api_key))
              for m in (voice.llm.primary, *voice.llm.fallback)]
    return ModelChain(models, timeout_s=voice.llm.timeout_s)


def build_stt(cfg: SttConfig, language: str, *, threads: int = 1) -> lk_stt.STT[Any]:
    lang = cfg.language or language
    if cfg.provider == "local":
        from mockflow.live.local_voice import LocalVoiceSettings, load_local_voice
        from mockflow.live.local_voice.stt import LocalSTT

        models = load_local_voice(LocalVoiceSettings(
            stt_model=cfg.model or DEFAULT_LOCAL_STT_MODEL, tts_voice=None, threads=threads))
        assert models.stt is not None
        # Non-streaming: LiveKit's agent wraps it in stt.StreamAdapter with the session VAD.
        return LocalSTT(models.stt, language=lang)
    model = cfg.model or DEFAULT_STT_MODELS[cfg.provider]
    if cfg.provider == "deepgram":
        from livekit.plugins import deepgram

        return deepgram.STT(model=model, language=lang)
    from livekit.plugins import openai

    return openai.STT(model=model, language=lang.split("-")[0])


def build_tts(cfg: TtsConfig, *, threads: int = 1) -> lk_tts.TTS[Any]:
    if cfg.provider == "local":
        from mockflow.live.local_voice import LocalVoiceSettings, load_local_voice
        from mockflow.live.local_voice.tts import LocalTTS

        models = load_local_voice(LocalVoiceSettings(
            stt_model=None, tts_voice=cfg.voice, threads=threads))
        assert models.tts is not None
        # Non-streaming: LiveKit's agent wraps it in tts.StreamAdapter (one sentence at a time).
        return LocalTTS(models.tts, speed=cfg.speed or 1.0)
    from livekit.plugins import openai

    kwargs: dict[str, Any] = {"model": cfg.model or DEFAULT_TTS_MODEL, "voice": cfg.voice}
    if cfg.speed is not None:
        kwargs["speed"] = cfg.speed
    return with_shared_tls(openai.TTS, **kwargs)


def plugin_modules(voice: VoiceConfig) -> list[str]:
    """The LiveKit plugin modules this voice section uses. The worker imports them on its
    main thread before any job (LiveKit plugins may only register there) and has the
    forkserver preload them."""
    modules = ["livekit.plugins.openai", "livekit.plugins.silero"]  # LLM and TTS, VAD
    if voice.stt.provider == "deepgram":
        modules.append("livekit.plugins.deepgram")
    return modules


def import_plugins(voice: VoiceConfig) -> list[str]:
    """Import this voice section's plugins now, on the calling thread, which must be the
    main thread: a plugin imported first by a job thread fails ("Plugins must be
    registered on the main thread"). The imported module names."""
    import importlib

    modules = plugin_modules(voice)
    for module in modules:
        importlib.import_module(module)
    return modules


def build_vad(name: str) -> lk_vad.VAD:
    """A VAD for one session around the process's one model (``mockflow.live.shared``):
    a plugin object carries its session's streams and metrics listeners, so each session
    gets its own, while the ONNX inference session (about 10 MiB, thread-safe to run) is
    loaded once per process."""
    from livekit.plugins import silero

    if name != "silero":  # the schema only allows silero; keep the error typed if it grows
        raise ValueError(f"unknown VAD '{name}'")
    model = shared(("vad", name), silero.VAD.load)
    onnx_session = getattr(model, "_onnx_session", None)
    options = getattr(model, "_opts", None)
    if onnx_session is None or options is None:  # another plugin version: a model per session
        return silero.VAD.load()
    return silero.VAD(session=onnx_session, opts=copy.copy(options))


def turn_detection(turn: TurnConfig) -> Any:
    """The detector named explicitly, never LiveKit's implicit default."""
    if turn.detector == "model":
        from livekit.agents import inference

        # The local end-of-turn model: no network, no inference credentials.
        return inference.TurnDetector(version="v1-mini")
    return turn.detector  # "vad" | "stt" | "manual"


def turn_handling(turn: TurnConfig, *, detector: Any = None) -> dict[str, Any]:
    """The file's turn settings as LiveKit 1.8 ``turn_handling`` options."""
    return {
        "turn_detection": detector if detector is not None else turn_detection(turn),
        "endpointing": {
            "min_delay": turn.min_endpointing_delay,
            "max_delay": turn.max_endpointing_delay,
        },
        "interruption": {"enabled": turn.allow_interruptions},
        "preemptive_generation": {"enabled": turn.preemptive_generation},
    }


def text_turn_handling() -> dict[str, Any]:
    """For text sessions (console, simulate, tests): no audio, no turn-detector model."""
    return {"turn_detection": "manual", "preemptive_generation": {"enabled": False}}
