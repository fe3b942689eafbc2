"""Whole voice sessions for ``voice_real_audio.py``: one interview, spoken by a scripted
candidate whose answers are synthesised by the local TTS with a pause inside each, through
mockflow's production voice pipeline with no room (``mockflow.live.voice_console``), in
one of two configurations:

- ``mockflow``: the interview file's own voice settings, read from the compiled interview
  (its ``voice.turn``: detector, endpointing, instant acknowledgement ...), and whatever
  keyterms the interviewer gives the STT as it asks each question;
- ``seed``: a default LiveKit agent's turn handling (``AgentSession``'s own defaults:
  LiveKit's end-of-turn model and endpointing delays, preemptive generation on, kept for
  the whole interview: mockflow's turn-taking is taken out of the agent,
  ``SeedTurnTaking``), and an STT without any keyterms.

Both run the same interviewer (mockflow's agent with the offline, deterministic model: no
LLM latency in either), the same Silero VAD, Whisper and Piper, and hear the very same
audio (each answer is synthesised once, cached, and played to both). A cut-in is the
interviewer starting to speak while the candidate's audio is still playing; first audio is
measured from the true end of an answer (the end of its last audio sample) to the
interviewer's next audio.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

READY = "Yes, I'm ready."
NOTHING_MORE = "I think I covered that; nothing to add."
NO_QUESTIONS = "No questions from me, thank you."


@dataclass
class SpokenAnswer:
    question_id: str
    text: str
    keyterms: list[str]  # every alternative (the STT may be given them all)


@dataclass
class TurnResult:
    kind: str  # ready | answer | other
    said: str
    heard: str
    keyterms: list[str]  # terms the answer said
    pause: float | None  # the pause inside it (answers)
    cut_ins: int
    first_audio: float | None  # s from the end of its audio to the interviewer's next audio
    delay: float | None = None  # the endpointing delay that applied (when min = max)


@dataclass
class SessionResult:
    config: str
    turns: list[TurnResult] = field(default_factory=list)
    keyterms_given: list[str] = field(default_factory=list)  # what the STT was given
    end_reason: str | None = None

    @property
    def cut_ins(self) -> int:
        return sum(t.cut_ins for t in self.turns)

    def answers(self) -> list[TurnResult]:
        return [t for t in self.turns if t.kind == "answer"]


def add_noise(pcm: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """White noise at ``snr_db`` below the speech's power (speech: samples above a floor)."""
    signal = pcm.astype(np.float64)
    speech = signal[np.abs(signal) > 300]
    power = float(np.mean(speech ** 2)) if len(speech) else 1.0
    noise = np.random.default_rng(seed).normal(0, np.sqrt(power / 10 ** (snr_db / 10)),
                                               len(signal))
    return np.clip(signal + noise, -32768, 32767).astype(np.int16)


class AudioCache:
    """Each spoken turn synthesised once, shared by both configurations."""

    def __init__(self, voice: Any, folder: Path) -> None:
        self.voice = voice  # PersonaVoice
        self.folder = folder
        self._made: dict[tuple[str, float | None, float | None], tuple[Path, str]] = {}

    def turn(self, text: str, pause: float | None, snr_db: float | None) -> tuple[Path, str]:
        from mockflow.live.audio_files import write_wav
        from mockflow.live.persona_speech import plan_answer

        key = (text, pause, snr_db)
        if key not in self._made:
            parts = plan_answer(text, mid_pauses=(pause,) if pause else ())
            audio = self.voice.speak(parts)
            pcm = audio.pcm if snr_db is None else add_noise(audio.pcm, snr_db,
                                                              seed=len(self._made))
            path = self.folder / f"turn-{len(self._made)}.wav"
            write_wav(path, pcm, audio.sample_rate)
            self._made[key] = (path, audio.said)
        return self._made[key]


def seed_handling() -> dict[str, Any]:
    """A default LiveKit agent's turn handling: nothing set, LiveKit's defaults apply."""
    return {}


class SeedTurnTaking:
    """What a seed-style agent has in place of mockflow's turn-taking: nothing. The
    session keeps LiveKit's default endpointing for the whole interview and the STT is
    given no keyterms (mockflow's agent would otherwise set both at every move, and the
    anchor would measure mockflow)."""

    def start(self) -> None:
        pass

    def heard(self, partial: str) -> None:
        pass


def strip_turn_taking(agent: Any) -> None:
    agent.turn_taking = SeedTurnTaking()


async def run_session(compiled: Any, config: str, answers: dict[str, SpokenAnswer],
                      pauses: list[float], cache: AudioCache, results: Path, *,
                      snr_db: float | None = None, whisper: Any = None,
                      reply_delay: float = 1.0, seed: int = 1) -> SessionResult:
    """One interview in ``config`` (``mockflow`` or ``seed``); the k-th answer carries
    ``pauses[k]`` (none once they run out)."""
    from mockflow.live.console import prompt_for
    from mockflow.live.local_voice.stt import LocalSTT
    from mockflow.live.offline_llm import OfflineInterviewerLLM
    from mockflow.live.persona_microphone import PersonaMicrophone, PersonaTurn
    from mockflow.live.voice_console import VoiceIO, run_voice_interview
    from mockflow.live.wav_speaker import WavSpeaker

    result = SessionResult(config)
    agents: list[Any] = []
    planned: list[tuple[str, list[str], float | None]] = []  # (kind, terms, pause) per turn
    asked: set[str] = set()
    stts: list[Any] = []

    async def supply() -> PersonaTurn | None:
        if not agents or agents[0].engine.ended:
            return None
        prompt = prompt_for(agents[0].engine)
        pause: float | None = None
        terms: list[str] = []
        if prompt.phase == "greeting":
            kind, text = "ready", READY
        elif prompt.question_id in answers and prompt.question_id not in asked:
            answer = answers[prompt.question_id]
            asked.add(answer.question_id)
            k = len(asked) - 1
            pause = pauses[k] if k < len(pauses) else None
            kind, text, terms = "answer", answer.text, answer.keyterms
        else:
            kind = "other"
            text = NO_QUESTIONS if prompt.question_id is None else NOTHING_MORE
        path, said = await asyncio.to_thread(cache.turn, text, pause, snr_db)
        planned.append((kind, terms, pause))
        return path, said

    mic = PersonaMicrophone(supply, reply_delay=reply_delay)
    speaker = WavSpeaker(None)
    io = VoiceIO(mic, speaker, "persona", "none", reply_delay=reply_delay,
                 close=speaker.close)
    stt = None
    handling = None
    if config == "seed":
        stt = LocalSTT(whisper, bias="off")
        handling = seed_handling()

    def session_seen(session: Any) -> None:
        stts.append(session.stt)

    def agent_seen(agent: Any) -> None:
        if config == "seed":
            strip_turn_taking(agent)
        agents.append(agent)

    model = OfflineInterviewerLLM()
    try:
        outcome = await run_voice_interview(
            compiled, io=io, model=model, results_root=results, seed=seed, kind="simulation",
            simulation={"persona": "benchmark", "seed": seed, "voice": True},
            session_id=f"{config}-{random.randrange(1 << 30):x}", stt=stt, handling=handling,
            on_agent=agent_seen, on_session=session_seen)
    finally:
        await model.aclose()
    import json

    voice = json.loads((outcome.recorder.directory / "session.json").read_text())["voice"]
    result.end_reason = outcome.scorecard.get("end_reason")
    starts = [s.start for s in speaker.segments]
    for i, timing in enumerate(mic.timings):
        kind, terms, pause = planned[i] if i < len(planned) else ("other", [], None)
        turn = voice["turns"][i]
        said = turn.get("said", "")
        from mockflow.live.speech_metrics import keyterm_hits

        spoken_terms = [t for t, hit in zip(terms, keyterm_hits(terms, said), strict=True)
                        if hit]
        first: float | None = None
        if timing.end is not None and not timing.cut_ins:
            after = [s for s in starts if s >= timing.end]
            first = after[0] - timing.end if after else None
        pair = turn.get("endpointing_s")
        delay = pair[0] if pair and pair[0] == pair[1] else None
        result.turns.append(TurnResult(kind, said, turn["heard"], spoken_terms, pause,
                                       timing.cut_ins, first, delay))
    if stts:
        result.keyterms_given = list(getattr(stts[0], "keyterms", []) or [])
    return result


def temp_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="mockflow-bench-voice-")
