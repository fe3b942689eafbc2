"""Turn-taking that follows the interview (issue 23): endpointing per phase, requests for
time, the silence prompt and per-question STT keyterms, through LiveKit's real audio
recognition fed by the scripted STT (``mockflow.testing.rig.voice_rig``). Real speech
through Silero, the turn detector and Whisper: tests/test_turn_taking_speech.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mockflow.format.compile import CompiledInterview
from mockflow.interview.thinking import asks_for_time
from mockflow.interview.vocabulary import question_terms, text_terms
from mockflow.live.keyterms import apply_keyterms, bounded, route
from mockflow.results.files import read_transcript
from mockflow.testing.rig import Rig, run, text_rig, until, voice_rig, with_turn

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "interviews" / "backend.yaml"
ANSWER = "I would put a queue in front of the export and let a worker build the report"
# Fast delays so the rig's real waits stay short; distinct, so each phase's pair shows.
PAIRS: dict[str, Any] = {"answering": {"min_delay": 0.2, "max_delay": 1.2},
                         "conversational": {"min_delay": 0.05, "max_delay": 1.0}}


def variant(**voice_turn: Any) -> CompiledInterview:
    return with_turn(BACKEND, **{**PAIRS, **voice_turn})


def _endpointing(rig: Rig) -> tuple[float, float]:
    opts = rig.session.options.endpointing
    return opts["min_delay"], opts["max_delay"]


async def _to_first_question(rig: Rig) -> None:
    await rig.answer("Yes, I'm ready.")
    await until(lambda: rig.engine.current is not None)
    await rig.settle()


async def _speaking_to_first_question(rig: Rig) -> tuple[list[str], Any]:
    """At the first question: its key points' labels, and the scripted STT started."""
    await _to_first_question(rig)
    current = rig.engine.current
    assert current is not None
    question = rig.engine.compiled.interview.questions_by_id[current.question_id]
    speaker = rig.speaker
    assert speaker is not None
    await speaker.start()
    return [kp.label for kp in question.key_points], speaker


def test_endpointing_follows_the_interviews_phase(tmp_path: Path) -> None:
    async def main() -> list[tuple[str | None, tuple[float, float]]]:
        seen = []
        async with voice_rig(tmp_path, variant(), settle=True) as rig:
            seen.append((rig.agent.turn_taking.mode, _endpointing(rig)))  # greeting
            await _to_first_question(rig)
            seen.append((rig.agent.turn_taking.mode, _endpointing(rig)))  # answering
            await rig.answer("I want to stop the interview.")  # "Do you want to end...?"
            await until(lambda: rig.engine.confirming_stop)
            await rig.settle()
            seen.append((rig.agent.turn_taking.mode, _endpointing(rig)))
            await rig.answer("No, let's carry on.")
            await until(lambda: not rig.engine.confirming_stop)
            await rig.settle()
            seen.append((rig.agent.turn_taking.mode, _endpointing(rig)))
        return seen

    # an answer starts unfinished: answering's max_delay whatever the detector thinks
    assert run(main()) == [("conversational", (0.05, 1.0)), ("answering", (1.2, 1.2)),
                           ("conversational", (0.05, 1.0)), ("answering", (1.2, 1.2))]


def test_an_answer_that_covers_the_question_ends_sooner_than_one_that_does_not(
        tmp_path: Path) -> None:
    async def main() -> list[tuple[float, float]]:
        seen = []
        async with voice_rig(tmp_path, variant(), settle=True) as rig:
            labels, speaker = await _speaking_to_first_question(rig)
            await speaker.final(f"First I would think about {labels[0]}.")
            seen.append(_endpointing(rig))  # one point of several: keep waiting
            await speaker.final("Then " + ", ".join(labels[1:]) + ".")
            seen.append(_endpointing(rig))  # every point: a short silence ends it
            await speaker.end()
            await until(lambda: bool(rig.engine.records[0].turns))
            await rig.settle()
            seen.append(_endpointing(rig))  # the next answer starts unfinished again
        return seen

    assert run(main()) == [(1.2, 1.2), (0.2, 0.2), (1.2, 1.2)]


def test_a_turn_handed_back_ends_soon_and_words_that_end_open_keep_it_waiting(
        tmp_path: Path) -> None:
    async def main() -> list[tuple[float, float]]:
        seen = []
        async with voice_rig(tmp_path, variant(), settle=True) as rig:
            labels, speaker = await _speaking_to_first_question(rig)
            await speaker.final(f"I would look at {', '.join(labels)}, and then")
            seen.append(_endpointing(rig))  # every point, but mid-sentence: keep waiting
            await speaker.final("I think I covered it; nothing more to add.")
            seen.append(_endpointing(rig))  # says it is done, points or not
            await speaker.end()
        return seen

    assert run(main()) == [(1.2, 1.2), (0.2, 0.2)]


def test_an_answer_that_says_it_is_done_is_finished() -> None:
    from mockflow.interview.completeness import AnswerCheck, says_done

    assert says_done("I'd cache it with a TTL, and that's it.")
    assert says_done("So yeah.") and not says_done("So yeah, first I would add a cache")
    check = AnswerCheck.of(with_turn(BACKEND).interview.questions[0])
    assert not check.finished("I built a billing service.")
    assert not AnswerCheck(()).finished("anything at all")


def test_the_text_path_has_no_endpointing_to_change(tmp_path: Path) -> None:
    async def main() -> Rig:
        async with text_rig(tmp_path, variant(), greeting=True) as rig:
            await rig.turn("Yes, ready.")
            await rig.turn("Um, let me think.")  # typed: read as any other message
        return rig

    rig = run(main())
    assert rig.agent.turn_taking.mode is None
    assert rig.agent.stats.endpointing_changes == 0 and rig.agent.stats.waits == 0


def test_the_older_single_pair_sets_both_phases() -> None:
    turn = with_turn(BACKEND, min_endpointing_delay=1.5, max_endpointing_delay=3).interview
    assert (turn.voice.turn.answering.min_delay, turn.voice.turn.answering.max_delay) == (1.5, 3)
    assert turn.voice.turn.conversational == turn.voice.turn.answering
    both = with_turn(BACKEND, min_endpointing_delay=1.5, answering={"min_delay": 4}).interview
    assert both.voice.turn.answering.min_delay == 4
    assert both.voice.turn.answering.max_delay == 5.5  # the answering default's
    assert both.voice.turn.min_endpointing_delay == 1.5


def test_a_turn_that_only_asks_for_time_is_a_request_an_answer_that_starts_so_is_not() -> None:
    for wait in ("Let me think.", "Um, give me a moment.", "One sec.", "Hold on a second,"
                 " please.", "Hmm, good question. Let me think about that.",
                 "Can I have a minute to think?", "one second let me think"):
        assert asks_for_time(wait), wait
    for answer in ("Let me think, I would put a cache in front of it.",
                   "Let me think. I would use Kafka.", "Let me think about the cache layer.",
                   "Okay.", "Hmm.", "Could you repeat that?", "I think Kafka.", ""):
        assert not asks_for_time(answer), answer


def test_a_request_for_time_is_waited_for_and_the_next_words_are_the_answer(
        tmp_path: Path) -> None:
    async def main() -> tuple[Rig, dict[str, int], list[str]]:
        async with voice_rig(tmp_path, variant(), tts=True, settle=True) as rig:
            await _to_first_question(rig)
            before = {"requests": rig.server.request_count, "seq": rig.engine.sequence,
                      "acks": rig.agent.stats.acks, "said": len(rig.said())}
            await rig.answer("Um, let me think.")
            await until(lambda: rig.agent.stats.waits == 1)
            await until(lambda: len(rig.said()) > before["said"])
            await rig.settle()
            after_wait = {"requests": rig.server.request_count - before["requests"],
                          "seq": rig.engine.sequence - before["seq"],
                          "acks": rig.agent.stats.acks - before["acks"]}
            said = rig.said()[before["said"]:]
            await rig.answer(ANSWER)
            await until(lambda: bool(rig.engine.records[0].turns))
            await rig.settle()
        return rig, after_wait, said

    rig, after_wait, said = run(main())
    assert after_wait == {"requests": 0, "seq": 0, "acks": 0}  # no model, no move, no ack
    assert said == ["Take your time."]
    record = rig.engine.records[0]
    assert [t.text for t in record.turns] == [ANSWER]  # the answer is what came after
    lines = [(t["role"], t.get("kind"), t["text"])
             for t in read_transcript(rig.recorder.transcript_path)]
    wait_at = lines.index(("candidate", "wait", "Um, let me think."))
    assert lines[wait_at + 1] == ("interviewer", "wait_reply", "Take your time.")
    assert lines[wait_at + 2] == ("candidate", "answer", ANSWER)
    # the answer's time started with the request for time
    transcript = read_transcript(rig.recorder.transcript_path)
    assert transcript[wait_at + 2]["started_at"] == transcript[wait_at]["started_at"]


def test_an_empty_thinking_reply_says_nothing_and_an_answer_that_starts_so_is_answered(
        tmp_path: Path) -> None:
    async def main() -> tuple[Rig, int, int]:
        async with voice_rig(tmp_path, variant(thinking_reply=""), settle=True) as rig:
            await _to_first_question(rig)
            said = len(rig.said())
            await rig.answer("Give me a moment.")
            await until(lambda: rig.agent.stats.waits == 1)
            await rig.settle()
            silent = len(rig.said()) - said
            seq = rig.engine.sequence
            await rig.answer("Let me think, " + ANSWER)
            await until(lambda: rig.engine.sequence > seq)
            await rig.settle()
        return rig, silent, rig.agent.stats.waits

    rig, silent, waits = run(main())
    assert silent == 0 and waits == 1
    assert rig.engine.records[0].turns[0].text == "Let me think, " + ANSWER


def test_one_gentle_prompt_after_a_long_silence_and_yes_repeats_the_question(
        tmp_path: Path) -> None:
    async def main() -> tuple[Rig, list[bool], list[str]]:
        checks: list[bool] = []
        async with voice_rig(tmp_path, variant(silence_prompt_s=15), settle=True) as rig:
            await _to_first_question(rig)
            patience = rig.agent.patience
            rig.clock.advance(14)
            checks.append(patience.check())  # not yet
            patience.user_state("away")  # LiveKit's own long-silence state: no new silence
            rig.clock.advance(2)
            await until(lambda: rig.agent.stats.silence_prompts == 1)
            await rig.settle()
            rig.clock.advance(60)
            checks.append(patience.check())  # once per question
            said = len(rig.said())
            await rig.answer("Yes, please.")
            await until(lambda: rig.engine.current is not None
                        and rig.engine.current.repeats == 1)
            await rig.settle()
            return rig, checks, rig.said()[said:]

    rig, checks, repeated = run(main())
    assert checks == [False, False]
    assert rig.said().count("Take your time. Would you like me to repeat the question?") == 1
    current = rig.engine.current
    assert current is not None and current.turns == ()  # "yes" was no answer
    assert current.prompts[0] in " ".join(repeated)


def test_after_a_request_for_time_the_prompt_waits_for_thinking_wait_s(
        tmp_path: Path) -> None:
    async def main() -> list[bool]:
        checks: list[bool] = []
        compiled = variant(silence_prompt_s=10, thinking_wait_s=40)
        async with voice_rig(tmp_path, compiled, settle=True) as rig:
            await _to_first_question(rig)
            await rig.answer("Let me think about it for a second.")
            await until(lambda: rig.agent.stats.waits == 1)
            await rig.settle()
            rig.clock.advance(30)
            checks.append(rig.agent.patience.check())  # past silence_prompt_s: still waits
            rig.clock.advance(11)
            await until(lambda: rig.agent.stats.silence_prompts == 1)
            checks.append(True)
        return checks

    assert run(main()) == [False, True]


def test_the_silence_prompt_can_be_turned_off(tmp_path: Path) -> None:
    async def main() -> tuple[Rig, bool]:
        async with voice_rig(tmp_path, variant(silence_prompt_s=0), settle=True) as rig:
            await _to_first_question(rig)
            rig.clock.advance(600)
            checked = rig.agent.patience.check()
        return rig, checked

    rig, checked = run(main())
    assert checked is False and rig.agent.stats.silence_prompts == 0


def test_question_terms_come_from_the_interviews_own_vocabulary() -> None:
    compiled = with_turn(BACKEND)
    iv = compiled.interview
    question = next(q for q in iv.questions if "cache" in q.text)
    terms = question_terms(iv, question)
    labels = [kp.label for kp in question.key_points]
    assert terms[:len(labels)] == labels
    assert "ttl" in terms and "thundering herd" in terms
    assert text_terms("Would you use Kafka, gRPC, S3 or a read-through cache in Node.js?"
                      " Then say why.") == ["Kafka", "gRPC", "S3", "read-through", "Node.js"]
    assert question_terms(iv, None) == list(iv.glossary)


def test_the_glossary_reaches_the_stt_and_never_the_interviewer_model(tmp_path: Path) -> None:
    """The file's glossary biases recognition only: the keyterms hold it while questions
    are open, and no request to the interviewer model (instructions, turns, tools) holds
    any of it. The terms are made up so that no other part of the file can say them."""
    import json

    import yaml

    from mockflow.format.validate import check_bytes

    glossary = ["Zorblatt", "quuxbase", "Flimmer protocol"]
    data = yaml.safe_load(BACKEND.read_text("utf-8"))
    data["glossary"] = glossary
    data.setdefault("voice", {}).setdefault("turn", {}).update(PAIRS)
    checked = check_bytes(yaml.safe_dump(data).encode(), "glossary-variant.yaml")
    assert checked.compiled is not None, checked.problems

    async def main() -> tuple[Rig, list[list[str]]]:
        given: list[list[str]] = []
        async with voice_rig(tmp_path, checked.compiled, settle=True) as rig:
            await _to_first_question(rig)
            given.append(list(rig.agent.turn_taking.keyterms))
            await rig.answer(ANSWER)
            await until(lambda: len(rig.server.requests) >= 2)
            await rig.settle()
            given.append(list(rig.agent.turn_taking.keyterms))
        return rig, given

    rig, given = run(main())
    assert all(set(glossary) <= set(terms) for terms in given)
    sent = json.dumps([(r.messages, r.tools) for r in rig.server.requests]).casefold()
    assert len(rig.server.requests) >= 2
    for term in glossary:
        assert term.casefold() not in sent


def test_each_provider_gets_keyterms_only_the_way_it_takes_them() -> None:
    from livekit.plugins import deepgram, openai

    assert route(deepgram.STT(model="nova-3", api_key="x")) == "keyterms"
    assert route(deepgram.STT(model="nova-2", api_key="x")) == "none"  # keyterm is Nova-3's
    assert route(openai.STT(model="gpt-4o-mini-transcribe", api_key="x")) == "prompt"
    assert route(openai.STT(model="gpt-transcribe", api_key="x")) == "keyterms"
    assert bounded(["a" * 10] * 9, max_terms=5, max_chars=40) == ["a" * 10] * 3

    class _Session:  # the one attribute apply_keyterms reads for the prompt route
        stt = openai.STT(model="gpt-4o-mini-transcribe", api_key="x")

    assert apply_keyterms(_Session(), ["idempotent", "Kafka"]) == "prompt"  # type: ignore[arg-type]
    assert _Session.stt._opts.prompt == "Glossary: idempotent, Kafka."


def test_no_to_the_offer_is_one_more_request_for_time(tmp_path: Path) -> None:
    async def main() -> tuple[Rig, int]:
        async with voice_rig(tmp_path, variant(silence_prompt_s=15), settle=True) as rig:
            await _to_first_question(rig)
            rig.clock.advance(16)
            await until(lambda: rig.agent.stats.silence_prompts == 1)
            await rig.settle()
            seq = rig.engine.sequence
            await rig.answer("No, I'm fine, thanks.")
            await until(lambda: rig.agent.stats.waits == 1)
            await rig.settle()
            return rig, rig.engine.sequence - seq

    rig, moves = run(main())
    assert moves == 0 and rig.agent.patience.waiting
    current = rig.engine.current
    assert current is not None and current.turns == () and current.repeats == 0
