"""A simulated candidate's answer as speech, with the pauses real candidates make (no
livekit; needs the local TTS).

``plan_answer`` turns an answer's text into parts: an optional thinking pause before it, an
optional filler ("Um, let me think."), the answer's words, and pauses of given lengths in
the middle of the answer, placed at the sentence boundaries nearest to evenly spaced points
(clause boundaries, then word boundaries, when the answer has too few sentences).
``PersonaVoice.speak`` synthesises the words with the local TTS and inserts each pause as
digital silence (never TTS), returning the audio and what was said when, so a run can
compare what the persona said with what the STT heard, and check a pause was not taken for
the end of the answer. Used by ``simulate --voice`` and the real-audio benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mockflow.live.local_voice.models import PiperSynthesizer

FILLERS = ("Um, let me think.", "Hmm, give me a second.", "Okay, so.")


@dataclass(frozen=True, slots=True)
class Words:
    text: str
    filler: bool = False  # not part of the answer proper ("um, let me think")


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: float
    kind: str = "mid"  # "think": before the answer; "mid": inside it


Part = Words | Pause


@dataclass(frozen=True, slots=True)
class SpokenPart:
    """One part as rendered: its text ("" for a pause) and where it lies in the audio."""

    text: str
    start: float
    end: float
    kind: str  # "words", "filler", "think", "mid"


@dataclass(frozen=True, slots=True)
class PersonaAudio:
    pcm: np.ndarray  # int16 mono
    sample_rate: int
    parts: tuple[SpokenPart, ...]

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate

    @property
    def said(self) -> str:
        """Everything spoken, fillers included: what an STT should hear."""
        return " ".join(p.text for p in self.parts if p.kind in ("words", "filler"))

    @property
    def answer(self) -> str:
        """The answer proper, without fillers."""
        return " ".join(p.text for p in self.parts if p.kind == "words")

    @property
    def pauses(self) -> list[SpokenPart]:
        return [p for p in self.parts if p.kind in ("think", "mid")]

    def write(self, path: Path) -> None:
        from mockflow.live.audio_files import write_wav

        write_wav(path, self.pcm, self.sample_rate)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")


def _split_points(text: str, pattern: re.Pattern[str]) -> list[int]:
    return [m.end() for m in pattern.finditer(text) if 0 < m.end() < len(text)]


def _cut(text: str, pauses: int) -> list[int]:
    """Up to ``pauses`` character offsets to pause at, nearest to evenly spaced points."""
    if pauses <= 0:
        return []
    for candidates in (_split_points(text, _SENTENCE_END), _split_points(text, _CLAUSE_END),
                       [m.end() for m in re.finditer(r"\s+", text)]):
        if len(candidates) >= pauses:
            break
    chosen: list[int] = []
    for k in range(1, pauses + 1):
        target = len(text) * k / (pauses + 1)
        free = [c for c in candidates if c not in chosen]
        if not free:
            break
        chosen.append(min(free, key=lambda c: abs(c - target)))
    return sorted(chosen)


def plan_answer(answer: str, *, think_seconds: float = 0.0, filler: str | None = None,
                mid_pauses: Sequence[float] = ()) -> list[Part]:
    """The parts of a spoken answer (see the module doc). ``mid_pauses`` are placed in
    order from the start of the answer."""
    text = " ".join(answer.split())
    parts: list[Part] = []
    if think_seconds > 0:
        parts.append(Pause(think_seconds, "think"))
    if filler:
        parts.append(Words(filler, filler=True))
        if think_seconds > 0:
            parts.append(Pause(think_seconds / 2, "think"))
    cuts = _cut(text, len(mid_pauses))
    start = 0
    for cut, seconds in zip(cuts, mid_pauses, strict=False):
        parts.append(Words(text[start:cut].strip()))
        parts.append(Pause(seconds, "mid"))
        start = cut
    parts.append(Words(text[start:].strip()))
    return [p for p in parts if not (isinstance(p, Words) and not p.text)]


class PersonaVoice:
    """Speaks planned parts with a local Piper voice (``speed`` > 1 is faster)."""

    def __init__(self, synthesizer: PiperSynthesizer, *, speed: float = 1.0) -> None:
        self.synthesizer = synthesizer
        self.speed = speed
        self.sample_rate = synthesizer.sample_rate

    def speak(self, parts: Sequence[Part]) -> PersonaAudio:
        chunks: list[np.ndarray] = []
        spoken: list[SpokenPart] = []
        at = 0
        for part in parts:
            if isinstance(part, Pause):
                pcm = np.zeros(int(round(part.seconds * self.sample_rate)), dtype=np.int16)
                text, kind = "", part.kind
            else:
                pcm = self.synthesizer.synthesize(part.text, speed=self.speed)
                text, kind = part.text, "filler" if part.filler else "words"
            chunks.append(pcm)
            spoken.append(SpokenPart(text=text, start=at / self.sample_rate,
                                     end=(at + len(pcm)) / self.sample_rate, kind=kind))
            at += len(pcm)
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return PersonaAudio(pcm=pcm, sample_rate=self.sample_rate, parts=tuple(spoken))
