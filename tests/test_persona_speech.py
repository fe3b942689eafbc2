"""A persona's answer as speech: thinking pauses, fillers and mid-answer pauses of the
given lengths (digital silence), with what was said when."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mockflow.live.audio_files import read_pcm
from mockflow.live.persona_speech import Pause, PersonaVoice, Words, plan_answer

ANSWER = ("I would start with the slow queries. Then I would add an index on the customer id."
          " After that I would cache the hot reads with a short expiry.")


def test_plan_places_pauses_at_sentence_boundaries() -> None:
    parts = plan_answer(ANSWER, think_seconds=2.0, filler="Um, let me think.",
                        mid_pauses=[3.0, 5.0])
    assert parts[:3] == [Pause(2.0, "think"), Words("Um, let me think.", filler=True),
                         Pause(1.0, "think")]
    words = [p.text for p in parts if isinstance(p, Words) and not p.filler]
    assert words == ["I would start with the slow queries.",
                     "Then I would add an index on the customer id.",
                     "After that I would cache the hot reads with a short expiry."]
    assert [p.seconds for p in parts if isinstance(p, Pause) and p.kind == "mid"] == [3.0, 5.0]


def test_plan_falls_back_to_clauses_then_words() -> None:
    parts = plan_answer("Sharding, replication and a cache", mid_pauses=[1.0])
    assert parts == [Words("Sharding,"), Pause(1.0), Words("replication and a cache")]
    parts = plan_answer("idempotent consumers only", mid_pauses=[1.0, 8.0])
    assert [p.text for p in parts if isinstance(p, Words)] == ["idempotent", "consumers",
                                                                "only"]
    assert plan_answer("Yes.", mid_pauses=[2.0, 2.0]) == [Words("Yes.")]


def test_speech_has_silences_of_the_given_lengths(voice_audio: Any, tmp_path: Path) -> None:
    voice = PersonaVoice(voice_audio.tts)
    spoken = voice.speak(plan_answer(ANSWER, think_seconds=1.0, filler="Um, let me think.",
                                     mid_pauses=[3.0]))
    rate = spoken.sample_rate
    assert [p.kind for p in spoken.parts] == ["think", "filler", "think", "words", "mid",
                                              "words"]
    for pause in spoken.pauses:
        # the parts' times are sample counts / rate: round back, never truncate (a
        # truncated start can land on the last sample of the words before)
        segment = spoken.pcm[round(pause.start * rate):round(pause.end * rate)]
        assert not segment.any()  # digital silence, not synthesised
    mid = spoken.pauses[-1]
    assert mid.end - mid.start == pytest.approx(3.0, abs=1 / rate)
    words = [p for p in spoken.parts if p.kind == "words"]
    assert all(np.abs(spoken.pcm[int(p.start * rate):int(p.end * rate)]).max() > 1000
               for p in words)
    assert spoken.said.startswith("Um, let me think. I would start")
    assert spoken.answer.startswith("I would start") and "Um" not in spoken.answer
    assert spoken.duration == pytest.approx(spoken.parts[-1].end)
    spoken.write(tmp_path / "answer.wav")
    assert abs(len(read_pcm(tmp_path / "answer.wav", rate=rate)) - len(spoken.pcm)) < 10
