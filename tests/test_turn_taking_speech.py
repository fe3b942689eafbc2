"""Turn-taking with real speech (issue 23): a two-question interview spoken from audio
synthesised by the local Piper voice at test time, heard through Silero VAD, LiveKit's
local end-of-turn model and Whisper, conducted by the interviewer agent
(``mockflow.testing.speech``). Real time: each session takes tens of seconds.

- an answer with a 4 s pause in the middle is not cut in on with the answering
  settings (the defaults), and the same audio *is* cut in on with LiveKit's default
  0.5 s delay, so the test can fail;
- "give me a moment" is waited for: no move, "Take your time.", the answer that follows
  is the answer;
- the open question's terms bias Whisper: "idempotent" (unbiased tiny.en hears "eyeed
  potent") and "read-through cache" ("retu cash") are heard;
- the instant acknowledgement is said once, after the answer's true end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockflow.format.compile import CompiledInterview
from mockflow.format.validate import check_bytes
from mockflow.interview.vocabulary import question_terms
from mockflow.live.persona_speech import Pause, PersonaVoice, Words
from mockflow.results.files import read_transcript
from mockflow.testing.speech import SpokenRun, spoken_interview
from mockflow.testing.waiting import run

# Real time: the two sessions share one worker, one after the other, so that they don't
# take each other's CPU (Silero and Whisper falling behind real time look like a
# candidate who paused longer).
pytestmark = pytest.mark.xdist_group("real-speech-turns")

INTERVIEW = """\
mockflow: 1
id: speech
title: Spoken interview
role: {{title: Engineer, level: mid}}
interviewer:
  name: Alex
  greeting: Hi, I'm Alex. Shall we start?
  closing: Thanks, that's all from me.
glossary: [idempotent]
voice:
  stt: {{provider: local}}
  tts: {{provider: local}}
  llm: {{base_url: "{base_url}"}}
  turn: {turn}
scale: {{min: 1, max: 5}}
competencies:
  - id: design
    name: Design
    anchors:
      - {{score: 1, behaviour: Names parts without saying how they fit.}}
      - {{score: 5, behaviour: Drives the design and weighs trade-offs.}}
ladder: {{levels: [mid], start: mid}}
stages:
  - id: main
    questions: [q-cache, q-queue]
questions:
  - id: q-cache
    competency: design
    level: mid
    text: How would you put a cache in front of a slow pricing service?
    key_points: [read-through cache, invalidation on write]
  - id: q-queue
    competency: design
    level: mid
    text: How would you process the export jobs?
    key_points: [queue, retries]
"""
FIRST = ("Let me put a read-through cache in front of the pricing service.",
         "Then I would use invalidation on write, and the workers that refill it must be"
         " idempotent.")
PATIENT = "{detector: model}"  # the answering and conversational defaults
SEED = "{detector: vad, min_endpointing_delay: 0.5, max_endpointing_delay: 3.0}"


def _source(turn: str) -> Any:
    def build(base_url: str) -> CompiledInterview:
        text = INTERVIEW.format(base_url=base_url, turn=turn)
        result = check_bytes(text.encode(), "speech.yaml")
        assert result.compiled is not None, result.problems
        return result.compiled
    return build


@pytest.fixture(scope="module")
def turns(voice_audio: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    voice = PersonaVoice(voice_audio.tts)
    folder = tmp_path_factory.mktemp("spoken")
    said = {"ready": [Words("Yes, I'm ready.")],
            "moment": [Words("Give me a moment.")],
            "paused": [Words(FIRST[0]), Pause(4.0), Words(FIRST[1])]}
    out = {}
    for name, parts in said.items():
        out[name] = folder / f"{name}.wav"
        voice.speak(parts).write(out[name])
    return out


def _answered(r: SpokenRun) -> bool:
    records = r.engine.records
    return bool(records) and bool(records[0].turns)


def _copy(turns: dict[str, Path], folder: Path, *names: str) -> list[Path]:
    paths = []
    for i, name in enumerate(names, 1):
        path = folder / f"{i}.wav"
        path.write_bytes(turns[name].read_bytes())
        paths.append(path)
    return paths


def test_a_thinking_candidate_is_waited_for_and_heard(turns: dict[str, Path],
                                                      tmp_path: Path) -> None:
    files = _copy(turns, tmp_path, "ready", "moment", "paused")
    spoken = run(spoken_interview(_source(PATIENT), files, tmp_path, done=_answered),
                 timeout=300)
    agent = spoken.interview.agent
    assert spoken.mic.cut_ins == 0, spoken.mic.timings  # not on "moment", not on the pause
    assert agent.stats.waits == 1
    record = spoken.engine.records[0]
    assert record.question_id == "q-cache" and len(record.turns) == 1
    answer = " ".join(record.turns[0].text.lower().replace("-", " ").split())
    # both halves of the paused answer are one answer, with the biased terms heard
    assert "read through cache" in answer and "idempotent" in answer, answer
    assert "invalidation on write" in answer, answer
    interview = spoken.interview.compiled.interview
    expected = question_terms(interview, interview.questions_by_id["q-cache"])
    assert expected in spoken.keyterms  # what Whisper was biased toward while answering
    lines = [(t["role"], t.get("kind")) for t in read_transcript(
        spoken.interview.recorder.transcript_path)]  # type: ignore[union-attr]
    assert ("candidate", "wait") in lines and ("interviewer", "wait_reply") in lines
    # the acknowledgement went out once, after the answer's true end
    assert agent.stats.acks >= 1
    after = spoken.first_audio_after(2)
    assert after is not None and after > 0


def test_the_same_pause_is_cut_in_on_with_livekits_default_delay(
        turns: dict[str, Path], tmp_path: Path) -> None:
    files = _copy(turns, tmp_path, "ready", "paused")
    spoken = run(spoken_interview(_source(SEED), files, tmp_path,
                                  done=lambda r: _answered(r) and r.mic.exhausted),
                 timeout=300)
    assert spoken.mic.cut_ins >= 1, spoken.mic.timings
