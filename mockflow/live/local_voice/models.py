"""Loading the local voice models once per process (no livekit).

``load_local_voice(settings)`` returns the Whisper recogniser and the Piper voice the
settings ask for, loaded from their pinned, verified bytes (``weights``). It is a plain
function, cached per process and thread-safe: call it from the worker's prewarm (before
the forkserver forks job processes, so they share the pages) or once per process when
jobs run as threads; every later call with the same settings returns the same objects.
Never per turn.

Both models run on the CPU with a fixed thread count (``LocalVoiceSettings.threads``,
default 1: one core per model, so concurrent interviews don't fight over cores). The
Hugging Face hub is never contacted: ``HF_HUB_OFFLINE=1`` is set before faster-whisper is
imported, and the tokenizer is handed over as bytes, so faster-whisper has nothing to
fetch.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mockflow.live.local_voice.errors import INSTALL_HINT, LocalVoiceUnavailable
from mockflow.live.local_voice.weights import (
    STT_MODELS,
    TTS_VOICES,
    WeightSet,
    read_verified,
)

DEFAULT_STT_MODEL = "tiny.en"
DEFAULT_TTS_VOICE = "en_US-joe-medium"
WHISPER_RATE = 16000  # Whisper hears 16 kHz mono
# Whisper's prompt holds at most half its 448-token context; stay under it with room for
# the special tokens faster-whisper adds.
MAX_PROMPT_TOKENS = 200
WINDOW_S = 30.0  # Whisper hears 30 s at a time
CUT_SEARCH_S = 5.0  # a longer utterance is cut at its quietest point in a window's last 5 s


@dataclass(frozen=True, slots=True)
class LocalVoiceSettings:
    """Which local models a process needs. ``None`` leaves that side out."""

    stt_model: str | None = DEFAULT_STT_MODEL
    tts_voice: str | None = DEFAULT_TTS_VOICE
    threads: int = 1
    # Where the pinned files are read from instead of the installed packages (the pins
    # still apply): for weights copied to an offline machine, and for tests.
    stt_dir: Path | None = None
    tts_dir: Path | None = None

    @classmethod
    def from_voice(cls, voice: Any, *, threads: int = 1) -> LocalVoiceSettings:
        """The settings a file's ``voice`` section (``VoiceConfig``) needs: only the sides
        whose provider is ``local``."""
        stt = (voice.stt.model or DEFAULT_STT_MODEL) if voice.stt.provider == "local" else None
        tts = voice.tts.voice if voice.tts.provider == "local" else None
        return cls(stt_model=stt, tts_voice=tts, threads=threads)


def _import(module: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise LocalVoiceUnavailable(
            f"the local {what} needs the Python package '{module.split('.')[0]}', which is not"
            f" installed: {INSTALL_HINT}"
        ) from exc


def _weight_set(table: dict[str, WeightSet], name: str, what: str) -> WeightSet:
    if name not in table:
        raise LocalVoiceUnavailable(
            f"no local {what} named '{name}'; mockflow ships: {', '.join(sorted(table))}")
    return table[name]


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    language: str
    duration: float  # seconds of audio heard


class WhisperRecognizer:
    """Whisper (faster-whisper, CTranslate2 int8) over 16 kHz mono float audio.

    ``transcribe`` is blocking and serialised (one model, one lock): call it from a worker
    thread. Bias toward a vocabulary with ``keyterms``: the terms go into Whisper's prompt
    as a glossary (``bias="prompt"``, the default) or as faster-whisper's ``hotwords``,
    bounded to ``MAX_PROMPT_TOKENS`` tokens (earlier terms win).
    """

    def __init__(self, model: Any, name: str) -> None:
        self._model = model
        self.name = name
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self._model.hf_tokenizer.encode(text, add_special_tokens=False).ids)

    def bias_text(self, keyterms: Sequence[str]) -> str:
        """The glossary for ``keyterms``: unique, in order, cut to the token budget."""
        chosen: list[str] = []
        seen: set[str] = set()
        for term in keyterms:
            term = " ".join(term.split())
            if not term or term.casefold() in seen:
                continue
            candidate = ", ".join([*chosen, term])
            if self.count_tokens(f"Glossary: {candidate}.") > MAX_PROMPT_TOKENS:
                break
            chosen.append(term)
            seen.add(term.casefold())
        return ", ".join(chosen)

    def transcribe(self, audio: np.ndarray, *, language: str = "en",
                   keyterms: Sequence[str] = (), bias: str = "prompt",
                   beam_size: int = 5) -> Transcript:
        options: dict[str, Any] = {}
        glossary = self.bias_text(keyterms) if keyterms else ""
        if glossary and bias == "prompt":
            options["initial_prompt"] = f"Glossary: {glossary}."
        elif glossary and bias == "hotwords":
            options["hotwords"] = glossary
        # temperature 0 only: faster-whisper's default falls back to *sampling* at higher
        # temperatures when a decode looks unsure, so the same audio could be heard two
        # ways (and decoded up to six times, on the turn's critical path).
        # Each 30 s window is decoded on its own call: faster-whisper gives the initial
        # prompt to the first window only (without conditioning on previous text it resets
        # the prompt after each window), so the glossary would stop biasing after 30 s.
        texts = []
        with self._lock:
            for piece in windows(audio):
                segments, info = self._model.transcribe(
                    piece, language=language, beam_size=beam_size, vad_filter=False,
                    temperature=0.0, condition_on_previous_text=False,
                    without_timestamps=True, **options)
                texts.append("".join(segment.text for segment in segments).strip())
        text = " ".join(t for t in texts if t)
        return Transcript(text=text, language=info.language, duration=len(audio) / WHISPER_RATE)


def windows(audio: np.ndarray) -> list[np.ndarray]:
    """16 kHz audio in pieces Whisper hears whole (at most ``WINDOW_S``), each longer
    stretch cut at the quietest 20 ms in the last ``CUT_SEARCH_S`` of its window (between
    words, where there is a pause). Empty audio is one empty piece."""
    size, search, frame = (int(WHISPER_RATE * s) for s in (WINDOW_S, CUT_SEARCH_S, 0.02))
    pieces = []
    start = 0
    while len(audio) - start > size:
        tail = audio[start + size - search:start + size]
        energy = (tail[:len(tail) // frame * frame].reshape(-1, frame) ** 2).sum(axis=1)
        cut = start + size - search + int(np.argmin(energy)) * frame + frame // 2
        pieces.append(audio[start:cut])
        start = cut
    pieces.append(audio[start:])
    return pieces


@dataclass(frozen=True, slots=True)
class SpeechChunk:
    """One sentence of synthesised speech: 16-bit mono PCM at ``sample_rate``."""

    pcm: np.ndarray  # int16
    sample_rate: int


class PiperSynthesizer:
    """A Piper voice: text to 16-bit mono PCM, one sentence at a time.

    ``sentences`` is a blocking generator (ONNX Runtime): iterate it in a worker thread.
    ``speed`` > 1 speaks faster (Piper's length scale is its inverse).
    """

    def __init__(self, voice: Any, name: str) -> None:
        self._voice = voice
        self.name = name
        self.sample_rate = int(voice.config.sample_rate)
        self._lock = threading.Lock()

    def sentences(self, text: str, *, speed: float = 1.0,
                  deterministic: bool = False) -> Iterator[SpeechChunk]:
        """Each sentence's audio as soon as it is made. ``deterministic``: no sampling noise
        (the same audio every time, a little flatter), for tests."""
        from piper.config import SynthesisConfig

        config = SynthesisConfig(length_scale=1.0 / speed)
        if deterministic:
            config.noise_scale = config.noise_w_scale = 0.0
        chunks = iter(self._voice.synthesize(text, syn_config=config))
        while True:
            # one synthesis step at a time per voice: the interviewer's replies and a
            # simulated candidate's speech (simulate --voice) may run in two threads, and
            # espeak-ng's phonemizer keeps global state
            with self._lock:
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield SpeechChunk(pcm=chunk.audio_int16_array, sample_rate=chunk.sample_rate)

    def synthesize(self, text: str, *, speed: float = 1.0,
                   deterministic: bool = False) -> np.ndarray:
        """The whole text as one int16 array (for tests and benchmarks, not replies)."""
        parts = [c.pcm for c in self.sentences(text, speed=speed, deterministic=deterministic)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


@dataclass(frozen=True, slots=True)
class LocalVoiceModels:
    settings: LocalVoiceSettings
    stt: WhisperRecognizer | None = None
    tts: PiperSynthesizer | None = None


def _load_whisper(name: str, threads: int, directory: Path | None) -> WhisperRecognizer:
    weights = _weight_set(STT_MODELS, name, "speech-to-text model")
    # Explicit: nothing below may reach the Hugging Face hub (read at import time).
    os.environ["HF_HUB_OFFLINE"] = "1"
    faster_whisper = _import("faster_whisper", "speech-to-text (Whisper)")
    files = read_verified(weights, directory)
    try:
        model = faster_whisper.WhisperModel(
            f"mockflow-{weights.name}", device="cpu", compute_type="int8",
            cpu_threads=threads, num_workers=1, files=files)
    except Exception as exc:  # a pinned file that CTranslate2 can't read: a broken install
        raise LocalVoiceUnavailable(
            f"the {weights.name} model could not be loaded ({exc}): {INSTALL_HINT}") from exc
    return WhisperRecognizer(model, weights.name)


def _load_piper(name: str, threads: int, directory: Path | None) -> PiperSynthesizer:
    weights = _weight_set(TTS_VOICES, name, "voice")
    _import("piper", "text-to-speech (Piper)")
    onnxruntime = _import("onnxruntime", "text-to-speech (Piper)")
    from piper.config import PiperConfig
    from piper.voice import PiperVoice

    files = read_verified(weights, directory)
    model_file, config_file = (f for f, _ in weights.files)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        session = onnxruntime.InferenceSession(
            files[model_file], sess_options=options, providers=["CPUExecutionProvider"])
        config = PiperConfig.from_dict(json.loads(files[config_file]))
    except Exception as exc:
        raise LocalVoiceUnavailable(
            f"the {weights.name} voice could not be loaded ({exc}): {INSTALL_HINT}") from exc
    return PiperSynthesizer(PiperVoice(session=session, config=config), weights.name)


_STT_CACHE: dict[tuple[str, int, Path | None], WhisperRecognizer] = {}
_TTS_CACHE: dict[tuple[str, int, Path | None], PiperSynthesizer] = {}
_CACHE_LOCK = threading.Lock()


def load_local_voice(settings: LocalVoiceSettings) -> LocalVoiceModels:
    """The models ``settings`` asks for, loaded once per process (see the module doc).

    Each model is cached on its own (name, threads, folder), so a prewarm that loads both
    and a later call that asks for one of them share the same objects. Raises
    ``LocalVoiceUnavailable`` (missing extra or file) or ``WeightMismatch``.
    """
    with _CACHE_LOCK:  # one load at a time: a second caller waits and gets the same models
        stt = tts = None
        if settings.stt_model:
            key = (settings.stt_model, settings.threads, settings.stt_dir)
            if key not in _STT_CACHE:
                _STT_CACHE[key] = _load_whisper(*key)
            stt = _STT_CACHE[key]
        if settings.tts_voice:
            key = (settings.tts_voice, settings.threads, settings.tts_dir)
            if key not in _TTS_CACHE:
                _TTS_CACHE[key] = _load_piper(*key)
            tts = _TTS_CACHE[key]
        return LocalVoiceModels(settings=settings, stt=stt, tts=tts)


def loaded_models() -> list[str]:
    """What this process has loaded, e.g. ``['stt:tiny.en', 'tts:en_US-joe-medium']``."""
    with _CACHE_LOCK:
        return ([f"stt:{k[0]}" for k in _STT_CACHE] + [f"tts:{k[0]}" for k in _TTS_CACHE])
