"""Local speech (agent layer): Whisper STT and Piper TTS from pinned, verified weights.

``weights`` (pins and the verified reader), ``models`` (``load_local_voice``, cached per
process; no livekit) and the LiveKit plugins ``stt.LocalSTT`` and ``tts.LocalTTS``. Needs
the ``local-voice`` extra; importing this package needs nothing beyond mockflow.
"""

from mockflow.live.local_voice.errors import (
    INSTALL_HINT,
    LocalVoiceUnavailable,
    WeightMismatch,
)
from mockflow.live.local_voice.models import (
    DEFAULT_STT_MODEL,
    DEFAULT_TTS_VOICE,
    LocalVoiceModels,
    LocalVoiceSettings,
    load_local_voice,
)

__all__ = [
    "DEFAULT_STT_MODEL",
    "DEFAULT_TTS_VOICE",
    "INSTALL_HINT",
    "LocalVoiceModels",
    "LocalVoiceSettings",
    "LocalVoiceUnavailable",
    "WeightMismatch",
    "load_local_voice",
]
