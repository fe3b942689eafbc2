"""Instant acknowledgement on the voice path, through LiveKit's real audio pipeline.

A scripted STT feeds LiveKit's audio recognition, turn detection and preemptive drafts; a
streaming TTS fake with a fixed time to first byte and a speaker fake that plays in real
time stand in for the audio edge; the real openai plugin talks to the local fake model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mockflow.format.compile import CompiledInterview
from mockflow.results.files import read_transcript
from mockflow.testing.rig import Rig, run, until, voice_rig, with_turn

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "interviews" / "backend.yaml"
ANSWER = ("First I would roll back the deploy and then read the error logs to find"
          " which request fails")


def variant(**voice_turn: Any) -> CompiledInterview:
    return with_turn(BACKEND, **voice_turn)


def instant_rig(tmp_path: Path, compiled: CompiledInterview) -> Any:
    """The voice path with a streaming TTS and a speaker, preemptive drafts on."""
    return voice_rig(tmp_path, compiled, tts=True, preemptive=True, settle=True)


FAST: dict[str, Any] = {"min_endpointing_delay": 0.05, "max_endpointing_delay": 1.0}


def test_one_acknowledgement_per_answer_said_first_and_never_twice(tmp_path: Path) -> None:
    async def main() -> tuple[Rig, list[str], int]:
        async with instant_rig(tmp_path, variant(**FAST)) as rig:
            await rig.answer("Yes, I'm ready.")
            await until(lambda: rig.engine.current is not None)
            await rig.settle()
            before = len(rig.said())
            await rig.answer(ANSWER, drafts=2)
            await until(lambda: bool(rig.engine.records[0].turns))
            await rig.settle()
            return rig, rig.said()[before:], rig.agent.stats.acks

    rig, said, acks = run(main())
    assert acks == 2  # "ready" and the answer: one each
    ack = said[0]
    assert said[1:] and not said[1].startswith(ack), said
    assert all(ack not in s for s in said[1:]), said
    # what the engine committed says the same acknowledgement
    assert [seg.text for seg in rig.tts.segments[-2:]] == said[-2:]
    transcript = [(t["role"], t.get("kind"), t["text"])
                  for t in read_transcript(rig.recorder.transcript_path)]
    assert ("interviewer", "ack", ack) in transcript
    assert transcript.index(("interviewer", "ack", ack)) < len(transcript) - 1


def test_no_acknowledgement_for_requests_or_discarded_drafts(tmp_path: Path) -> None:
    async def main() -> tuple[Rig, list[tuple[str, int, int, int]]]:
        log: list[tuple[str, int, int, int]] = []
        async with instant_rig(tmp_path, variant(**FAST)) as rig:
            await rig.answer("Yes, I'm ready.")
            await until(lambda: rig.engine.current is not None)
            await rig.settle()
            for text, drafts in (("Could you repeat the question?", 1),
                                 ("Can I get a hint?", 0),
                                 (ANSWER, 2),
                                 ("I would add a test that reproduces it first", 3)):
                s0 = rig.agent.stats
                before = (s0.acks, s0.discarded, rig.engine.sequence)
                await rig.answer(text, drafts=drafts)
                await until(lambda b=before: rig.engine.sequence > b[2])
                await rig.settle()
                s1 = rig.agent.stats
                log.append((text, s1.acks - before[0], s1.discarded - before[1],
                            rig.engine.sequence - before[2]))
            return rig, log

    rig, log = run(main())
    (_, repeat_acks, _, _), (_, hint_acks, _, _) = log[0], log[1]
    assert repeat_acks == 0 and hint_acks == 0, log
    assert rig.agent.stats.requests == {"repeat": 1, "hint": 1}
    for text, acks, _discarded, commits in log[2:]:
        assert commits == 1 and acks == 1, (text, log)
    assert sum(d for _, _, d, _ in log) >= 1, log  # drafts really were thrown away
    assert rig.agent.stats.acks_cut == 0


def test_instant_ack_off_leaves_the_acknowledgement_to_the_reply(tmp_path: Path) -> None:
    async def main() -> tuple[Rig, list[str]]:
        async with instant_rig(tmp_path, variant(instant_ack=False, **FAST)) as rig:
            await rig.answer("Yes, I'm ready.")
            await until(lambda: rig.engine.current is not None)
            await rig.settle()
            before = len(rig.said())
            await rig.answer(ANSWER, drafts=1)
            await until(lambda: bool(rig.engine.records[0].turns))
            await rig.settle()
            return rig, rig.said()[before:]

    rig, said = run(main())
    assert rig.agent.stats.acks == 0
    assert len(said) == 1  # one reply that starts with the acknowledgement itself
    record = rig.engine.records[0]
    assert said[0].startswith(("Thanks", "Okay", "Got it", "Understood", "Thank you",
                               "Alright", "Noted", "Roll back")), said
    assert record.turns[0].text == ANSWER


def test_talking_over_the_acknowledgement_cuts_it_and_the_next_turn_gets_its_own(
        tmp_path: Path) -> None:
    async def main() -> Rig:
        async with instant_rig(tmp_path, variant(**FAST)) as rig:
            await rig.answer("Yes, I'm ready.")
            await until(lambda: rig.engine.current is not None)
            await rig.settle()
            rig.tts.seconds_per_char = 0.2  # a long acknowledgement, to talk over
            first_frames = len(rig.out.first_frames)
            await rig.answer(ANSWER)
            await until(lambda: len(rig.out.first_frames) > first_frames)  # ack playing
            await rig.answer("and I would tell the team in the incident channel")
            await until(lambda: rig.agent.stats.acks >= 3, timeout=30)
            rig.tts.seconds_per_char = 0.01
            await rig.settle()
            return rig

    rig = run(main())
    stats = rig.agent.stats
    assert stats.acks == 3 and stats.acks_cut == 1, stats  # ready, the cut one, the next turn
    acks = [t for t in read_transcript(rig.recorder.transcript_path) if t.get("kind") == "ack"]
    assert len(acks) <= 3  # a cut acknowledgement is recorded only if some of it was heard


def test_preemptive_drafts_default_to_the_opposite_of_the_instant_ack() -> None:
    shipped = variant().interview.voice.turn
    assert shipped.instant_ack is True and shipped.preemptive_generation is False
    off = variant(instant_ack=False).interview.voice.turn
    assert off.instant_ack is False and off.preemptive_generation is True
    both = variant(preemptive_generation=True).interview.voice.turn
    assert both.instant_ack is True and both.preemptive_generation is True
