"""The voice settings' own rules: the local voice (``provider: local``) runs only the
models mockflow ships pins for, and only in English (MF204); the turn-taking delays are in
order (MF118) and given in one form (MF210)."""

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


_TURN = ("voice", "turn")
_LEGACY = ("min_endpointing_delay", "max_endpointing_delay")


def turn_taking(r: Reporter, iv: Interview) -> None:
    """Each phase's endpointing pair in order; the older single pair or ``conversational``,
    not both."""
    if not r.intact("voice"):
        return
    turn = iv.voice.turn
    legacy = [k for k in _LEGACY if (*_TURN, k) in r.doc.positions]
    if legacy and (*_TURN, "conversational") in r.doc.positions:
        r.at((*_TURN, legacy[0]), "MF210",
             f"voice.turn has both '{legacy[0]}' and 'conversational'; keep only one of them"
             " (min/max_endpointing_delay are the older form of the conversational pair)",
             key=True)
        return
    if legacy and (*_TURN, "answering") not in r.doc.positions:
        if turn.conversational.min_delay > turn.conversational.max_delay:
            r.at((*_TURN, "min_endpointing_delay"), "MF118",
                 f"min_endpointing_delay ({turn.min_endpointing_delay:g}s) is above"
                 f" max_endpointing_delay ({turn.max_endpointing_delay:g}s); swap or fix them")
        return
    for name, pair in (("answering", turn.answering), ("conversational", turn.conversational)):
        if pair.min_delay > pair.max_delay:
            where = (*_TURN, name, "min_delay") if (*_TURN, name, "min_delay") in \
                r.doc.positions else (*_TURN, name)
            r.at(where, "MF118",
                 f"voice.turn.{name}: min_delay ({pair.min_delay:g}s) is above max_delay"
                 f" ({pair.max_delay:g}s); swap or fix them")
