"""The local voice settings (``provider: local``): only the models mockflow ships pins
for, and only in English (MF204)."""

from __future__ import annotations

from mockflow.format.model import LOCAL_STT_MODELS, LOCAL_TTS_MODELS, LOCAL_TTS_VOICES, Interview
from mockflow.format.reporter import Reporter, did_you_mean


def local_voice(r: Reporter, iv: Interview) -> None:
    """``provider: local`` runs only the models mockflow ships pins for, in English."""
    if not r.intact("voice"):
        return
    stt, tts = iv.voice.stt, iv.voice.tts
    shipped = [(stt.provider, ("voice", "stt", "model"), stt.model, LOCAL_STT_MODELS),
               (tts.provider, ("voice", "tts", "model"), tts.model, LOCAL_TTS_MODELS),
               (tts.provider, ("voice", "tts", "voice"), tts.voice, LOCAL_TTS_VOICES)]
    for provider, path, value, names in shipped:
        if provider == "local" and value is not None and value not in names:
            hint = did_you_mean(value, names)
            r.at(path, "MF204",
                 f"{'.'.join(path)} must be one of: {', '.join(names)} with provider local"
                 f" (the models mockflow ships); got '{value}'{'; ' + hint if hint else ''}")
    language = stt.language or iv.interviewer.language
    if stt.provider == "local" and language.split("-")[0].lower() != "en":
        where = ("voice", "stt", "language") if stt.language else ("interviewer", "language")
        r.at(where, "MF204",
             f"the local speech-to-text ({LOCAL_STT_MODELS[0]}) understands English only, but"
             f" the interview's language is '{language}': choose voice.stt provider deepgram"
             " or openai")
