"""Per-question keyterms for the STT: what each provider gets (agent layer).

LiveKit 1.8 passes ``session.update_options(keyterms=[...])`` to an STT only when its
capabilities declare ``keyterms`` (``STT._update_session_keyterms``); what reaches the
recogniser then depends on the plugin. Checked in livekit-agents 1.8.9:

- ``local`` (Whisper, ``mockflow.live.local_voice.stt``): the terms go into Whisper's
  prompt as a glossary, which the STT itself bounds to 200 tokens, earlier terms first.
- Deepgram: ``keyterm`` (Nova-3 models only; the plugin declares the capability for every
  model, so mockflow sends none to other models). An update reconnects the stream at the
  end of the current utterance. Deepgram takes up to 100 keyterms and 500 tokens; mockflow
  sends at most ``DEEPGRAM_MAX_TERMS`` terms and ``DEEPGRAM_MAX_CHARS`` characters.
- OpenAI: ``keywords`` on the gpt-transcribe models (the plugin's capability), else the
  free-text ``prompt`` of the transcription request ("Glossary: ..."), bounded to
  ``OPENAI_PROMPT_CHARS`` characters (Whisper reads about 224 tokens of prompt).
- any other STT: the session's keyterms when it declares the capability, else nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from livekit.agents import AgentSession

logger = logging.getLogger("mockflow.live.agent")

DEEPGRAM_MAX_TERMS = 50
DEEPGRAM_MAX_CHARS = 1000  # about 250 tokens, half Deepgram's 500-token limit
OPENAI_MAX_KEYWORDS = 50
OPENAI_PROMPT_CHARS = 800  # about 200 tokens


def bounded(terms: Sequence[str], *, max_terms: int, max_chars: int) -> list[str]:
    """The first terms that fit both bounds (later terms are dropped, never cut)."""
    out: list[str] = []
    used = 0
    for term in terms[:max_terms]:
        if used + len(term) > max_chars:
            break
        out.append(term)
        used += len(term) + 2
    return out


def route(stt: Any) -> str:
    """How this STT takes keyterms: ``keyterms`` (the session's keyterm list),
    ``prompt`` (OpenAI's free-text prompt) or ``none``."""
    module = type(stt).__module__
    declared = bool(getattr(getattr(stt, "capabilities", None), "keyterms", False))
    if module.startswith("livekit.plugins.deepgram"):
        return "keyterms" if str(getattr(stt, "model", "")).startswith("nova-3") else "none"
    if module.startswith("livekit.plugins.openai"):
        return "keyterms" if declared else "prompt"
    return "keyterms" if declared else "none"


def apply_keyterms(session: AgentSession[Any], terms: Sequence[str]) -> str:
    """Bias the session's STT toward ``terms`` (replacing the previous ones); the route
    taken (see ``route``)."""
    stt = session.stt
    if stt is None:
        return "none"
    how = route(stt)
    module = type(stt).__module__
    if how == "keyterms":
        if module.startswith("livekit.plugins.deepgram"):
            terms = bounded(terms, max_terms=DEEPGRAM_MAX_TERMS, max_chars=DEEPGRAM_MAX_CHARS)
        elif module.startswith("livekit.plugins.openai"):
            terms = bounded(terms, max_terms=OPENAI_MAX_KEYWORDS, max_chars=OPENAI_PROMPT_CHARS)
        session.update_options(keyterms=list(terms))
    elif how == "prompt":
        listed = bounded(terms, max_terms=len(terms), max_chars=OPENAI_PROMPT_CHARS - 12)
        update = getattr(stt, "update_options", None)
        if callable(update):
            update(prompt=f"Glossary: {', '.join(listed)}." if listed else "")
    return how
