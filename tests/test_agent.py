"""The interviewer agent, end to end up to the network edge.

Room-less ``AgentSession``s with the real ``openai`` plugin pointed at the local
OpenAI-compatible server, the real engine, tools and results, started as ``mockflow run``
starts them (the shared rig, ``mockflow.testing.rig``). The audio path runs LiveKit's own
audio recognition and preemptive generation, fed by a scripted STT
(``mockflow.testing.voice``).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import yaml
from conftest import ROOT
from jsonschema import Draft202012Validator

from mockflow.format.schema import load_schema, validator
from mockflow.format.validate import check_bytes
from mockflow.interview.records import QuestionOutcome
from mockflow.results.files import read_transcript
from mockflow.testing import Reply, ToolCall
from mockflow.testing.policies import interviewer_policy
from mockflow.testing.rig import Rig, retrying, run, text_rig, until, voice_rig, with_turn

BACKEND = ROOT / "interviews" / "backend.yaml"


def variant(**voice_turn: Any) -> Any:
    """backend.yaml with voice.turn settings overridden (e.g. a short grace period)."""
    return with_turn(BACKEND, **voice_turn)


def _scorecard_valid(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    errors = list(Draft202012Validator(load_schema("scorecard")).iter_errors(data))
    assert errors == [], errors[:3]
    return data


# ------------------------------------------------------------------ the text path


def test_full_interview_costs_one_request_per_turn(tmp_path: Path) -> None:
    async def main() -> tuple[Rig, list[tuple[str, int, list[str]]]]:
        log: list[tuple[str, int, list[str]]] = []
        async with text_rig(tmp_path, BACKEND, conn_options=retrying()) as rig:
            script = iter([
                "Yes, ready.",
                "I rebuilt our invoice export into batches on a queue and owned the retries.",
                "Could you repeat the question?",
                "Can I get a hint?",
                "/skip",
                "I'd keep a table per entity with foreign keys and an index on the lookups.",
            ])
            while not rig.engine.ended:
                text = next(script, "I'd start from the logs and metrics and work it through.")
                cost, said = await rig.turn(text)
                log.append((text, cost, said))
                assert len(log) < 60
            await asyncio.sleep(0.1)
        return rig, log

    rig, log = run(main())
    assert all(cost == 1 for _, cost, _ in log), [(t, c) for t, c, _ in log if c != 1]
    assert rig.agent.stats.requests == {"repeat": 1, "hint": 1, "skip": 1}
    said = {t: s for t, _, s in log}
    assert said["Could you repeat the question?"][0].startswith("Of course.")
    # asked during the follow-up, which has no hint of its own: a neutral nudge, never the
    # question's own hints
    assert said["Can I get a hint?"][0].startswith("I don't have a hint for this part.")
    assert said["/skip"][0].startswith("No problem, let's skip that one.")
    # results on disk
    directory = rig.recorder.directory
    turns = read_transcript(directory / "transcript.jsonl")
    candidate = [t["text"] for t in turns if t["role"] == "candidate"]
    assert candidate[: len(log)] == [t for t, _, _ in log]
    assert turns[0]["role"] == "interviewer" and "Alex" in turns[0]["text"]
    card = _scorecard_valid(directory / "scorecard.json")
    assert card["interview"] == rig.engine.compiled.ref
    session = json.loads((directory / "session.json").read_text())
    assert session["end_reason"] is not None and session["stats"]["requests"]["hint"] == 1
    validator("session").validate(session)
    for turn in turns:
        validator("transcript").validate(turn)


def test_the_model_never_sees_scoring_material(tmp_path: Path) -> None:
    async def main() -> Rig:
        async with text_rig(tmp_path, BACKEND, conn_options=retrying()) as rig:
            for text in ["Ready.", "An answer about queues.", "Another about caches."]:
                await rig.turn(text)
        return rig

    rig = run(main())
    sent = json.dumps([r.messages for r in rig.server.requests])
    for q in rig.engine.compiled.interview.questions:
        for point in q.key_points:
            assert all(f'"{p}"' not in sent for p in point.phrases if len(p) > 12)
        assert q.examples.strong is None or q.examples.strong[:60] not in sent
    tools = [t["function"]["name"] for t in rig.server.requests[-1].tools]
    assert tools == ["candidate_request"]


def test_invalid_tool_arguments_get_an_apology_without_another_request(tmp_path: Path) -> None:
    calls = {"n": 0}

    def policy(request: Any) -> Reply:
        calls["n"] += 1
        if calls["n"] == 2:
            return Reply(tool_calls=(ToolCall("candidate_request", '{"kind": "dance"}'),))
        return interviewer_policy(request)

    async def main() -> tuple[Rig, list[str], int, str]:
        async with text_rig(tmp_path, BACKEND, policy=policy, conn_options=retrying()) as rig:
            await rig.turn("Ready.")
            question = rig.engine.current.prompts[0] if rig.engine.current else ""
            cost, said = await rig.turn("Let me think about that.")
        return rig, said, cost, question

    rig, said, cost, question = run(main())
    assert cost == 1
    assert said[-1].startswith("Sorry, I had a problem on my side. Let me ask again:")
    assert said[-1].endswith(question)
    assert rig.engine.current is not None and rig.engine.current.turns == ()


def test_malformed_tool_call_gets_an_apology_and_the_question_again(tmp_path: Path) -> None:
    calls = {"n": 0}

    def policy(request: Any) -> Reply:
        calls["n"] += 1
        if calls["n"] == 2:
            return Reply(tool_calls=(ToolCall("candidate_request", "not json at all"),))
        return interviewer_policy(request)

    async def main() -> tuple[Rig, list[str], str]:
        async with text_rig(tmp_path, BACKEND, policy=policy, conn_options=retrying()) as rig:
            await rig.turn("Ready.")
            question = rig.engine.current.prompts[0] if rig.engine.current else ""
            _, said = await rig.turn("Hmm.")
            _, after = await rig.turn("Now my real answer about services.")
        return rig, said + after, question

    rig, said, question = run(main())
    assert any(s.startswith("Sorry, I had a problem on my side") and question in s for s in said)
    assert rig.agent.stats.llm_failures == 1


def test_llm_outage_mid_interview_apologises_and_keeps_results(tmp_path: Path) -> None:
    async def main() -> tuple[Rig, list[str], str]:
        async with text_rig(tmp_path, BACKEND, conn_options=retrying(0)) as rig:
            await rig.turn("Ready.")
            question = rig.engine.current.prompts[0] if rig.engine.current else ""
            rig.server.fail_next(500)
            await rig.session.run(user_input="An answer the model never hears.")
            await asyncio.sleep(0.3)
            said = [m.text_content or "" for m in rig.session.history.messages()
                    if m.role == "assistant"]
            cost, after = await rig.turn("Let me answer again: queues and retries.")
            assert cost == 1 and after
        return rig, said, question

    rig, said, question = run(main())
    assert said[-1] == f"Sorry, I had a problem on my side. Let me ask again: {question}"
    record = rig.engine.records[0]
    assert record.turns and "queues and retries" in record.turns[0].text
    turns = read_transcript(rig.recorder.transcript_path)
    assert any("never hears" in t["text"] for t in turns)  # the candidate's words are kept
    assert (rig.recorder.directory / "scorecard.json").exists()


def test_stop_request_ends_the_interview_and_writes_results(tmp_path: Path) -> None:
    async def main() -> Rig:
        async with text_rig(tmp_path, BACKEND, conn_options=retrying()) as rig:
            await rig.turn("Ready.")
            # an answer that mentions stopping is an answer; a request is confirmed first
            await rig.turn("I would stop the deploy, then roll back and read the logs.")
            assert not rig.engine.ended and rig.engine.current is not None
            assert rig.engine.current.turns
            await rig.turn("Sorry, something came up. I'd like to stop the interview.")
            assert not rig.engine.ended
            assert rig.session.history.messages()[-1].text_content == (
                "Do you want to end the interview here?")
            await rig.turn("Yes, sorry.")
            await until(lambda: rig.agent.close_reason is not None)
        return rig

    rig = run(main())
    assert rig.engine.ended
    card = _scorecard_valid(rig.recorder.scorecard_path)
    assert card["end_reason"] == "candidate_stop"
    assert rig.agent.close_reason == "interview_ended"


# ------------------------------------------------------------------ timers (text)


def test_time_moves_on_in_a_text_session(tmp_path: Path) -> None:
    async def main() -> tuple[Rig, list[str]]:
        async with text_rig(tmp_path, BACKEND, conn_options=retrying(),
                            tick_interval=0.02) as rig:
            await rig.turn("Ready.")
            current = rig.engine.current
            assert current is not None
            def said_now() -> list[str]:
                return [m.text_content or "" for m in rig.session.history.messages()
                        if m.role == "assistant"]

            rig.clock.advance(current.budget * 0.85)
            await until(lambda: any(s.startswith("Just a heads-up:") for s in said_now()))
            rig.clock.advance(current.budget * 0.2)
            await until(lambda: any("keep to time" in s for s in said_now()))
            said = said_now()
        return rig, said

    rig, said = run(main())
    assert any(s.startswith("Just a heads-up:") for s in said), said
    assert any(s.startswith("Thank you, let's stop there so we keep to time.") for s in said)
    assert rig.engine.records[0].outcome is QuestionOutcome.MOVED_ON


# ------------------------------------------------------------------ the audio path


def test_audio_path_drafts_are_discarded_and_one_move_is_committed(tmp_path: Path) -> None:
    compiled = variant(min_endpointing_delay=0.05, max_endpointing_delay=1.0,
                       preemptive_generation=True)

    async def main() -> tuple[Rig, int, int]:
        async with voice_rig(tmp_path, compiled) as rig:
            speaker = rig.speaker
            assert speaker is not None
            await speaker.start()
            await speaker.final("Yes, I'm ready.")
            await speaker.end()
            await until(lambda: rig.engine.current is not None)
            commits_before = rig.agent.stats.commits
            requests_before = rig.server.request_count
            answer = "I rebuilt the invoice export on a queue and I owned the retry logic"
            await speaker.start()
            await speaker.interim("I rebuilt")
            await speaker.preflight("I rebuilt the invoice export", )
            await asyncio.sleep(0.1)  # the draft's request is in flight
            await speaker.interim("on a queue")
            await speaker.preflight(answer)
            await speaker.final(answer)
            await speaker.end()
            await until(lambda: bool(rig.engine.records[0].turns))
            await asyncio.sleep(0.5)
            return (rig, rig.agent.stats.commits - commits_before,
                    rig.server.request_count - requests_before)

    rig, commits, requests = run(main())
    assert commits == 1
    assert rig.agent.stats.discarded >= 1, rig.agent.stats
    assert rig.agent.stats.drafts == rig.agent.stats.delivered + rig.agent.stats.discarded
    assert requests == 2  # one drafted and discarded, one delivered
    outcomes = [e.outcome for e in rig.server.exchanges]
    assert "disconnected" in outcomes  # the discarded draft was cut off mid-stream
    record = rig.engine.records[0]
    assert [t.text for t in record.turns] == [
        "I rebuilt the invoice export on a queue and I owned the retry logic"]


def test_move_on_during_a_long_answer_keeps_every_word(tmp_path: Path) -> None:
    compiled = variant(min_endpointing_delay=0.05, max_endpointing_delay=1.0,
                       move_on_grace_seconds=0.3)
    words = ["First I would look at the queue depth", "then the consumer lag",
             "and then the retry storm we had"]

    async def main() -> Rig:
        async with voice_rig(tmp_path, compiled, tick_interval=0.02) as rig:
            speaker = rig.speaker
            assert speaker is not None
            await speaker.start()
            await speaker.final("Ready.")
            await speaker.end()
            await until(lambda: rig.engine.current is not None)
            current = rig.engine.current
            assert current is not None
            await speaker.start()
            for part in words:
                await speaker.final(part)
            await speaker.interim("and")  # still talking when time runs out
            rig.clock.advance(current.budget + 1)
            await until(lambda: rig.engine.records[0].outcome is not None)
            await asyncio.sleep(0.3)
        return rig

    rig = run(main())
    record = rig.engine.records[0]
    assert record.outcome is QuestionOutcome.MOVED_ON
    spoken = " ".join(t.text for t in record.turns)
    for part in words:
        assert part in spoken
    history = [m.text_content or "" for m in rig.session.history.messages() if m.role == "user"]
    assert any(all(p in h for p in words) for h in history), history
    transcript = [t["text"] for t in read_transcript(rig.recorder.transcript_path)
                  if t["role"] == "candidate"]
    assert any(all(p in t for p in words) for t in transcript), transcript
    said = [m.text_content or "" for m in rig.session.history.messages()
            if m.role == "assistant"]
    assert any("let's stop there so we keep to time" in s for s in said), said


def test_nudge_waits_for_a_pause(tmp_path: Path) -> None:
    compiled = variant(min_endpointing_delay=1.5, max_endpointing_delay=3.0)

    async def main() -> tuple[Rig, int, int]:
        async with voice_rig(tmp_path, compiled, tick_interval=0.02) as rig:
            speaker = rig.speaker
            assert speaker is not None
            await speaker.start()
            await speaker.final("Ready.")
            await speaker.end(wait=2.0)
            await until(lambda: rig.engine.current is not None)
            current = rig.engine.current
            assert current is not None

            def nudges() -> int:
                return sum(1 for m in rig.session.history.messages()
                           if m.role == "assistant" and (m.text_content or "").startswith(
                               "Just a heads-up"))

            await speaker.start()
            await speaker.interim("So the way I would approach it")
            rig.clock.advance(current.budget * 0.85)
            await asyncio.sleep(0.4)
            while_speaking = nudges()
            await speaker.end(wait=0.05)  # a pause, shorter than the end-of-turn delay
            await until(lambda: nudges() == 1)
            return rig, while_speaking, nudges()

    rig, while_speaking, after_pause = run(main())
    assert while_speaking == 0
    assert after_pause == 1


def test_declared_http_tool_runs_through_the_agent(tmp_path: Path) -> None:
    from aiohttp import web

    seen: list[dict[str, Any]] = []

    async def slots(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response({"slots": ["Tuesday 10:00"]})

    async def main() -> tuple[Rig, list[str]]:
        app = web.Application()
        app.router.add_post("/slots", slots)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        data = yaml.safe_load(BACKEND.read_text())
        data["tools"] = [{
            "name": "check_slot", "description": "Look up a follow-up interview slot",
            "http": {"url": f"http://127.0.0.1:{port}/slots", "timeout_s": 2,
                     "allow_hosts": [f"127.0.0.1:{port}"]},  # loopback: listed explicitly
            "parameters": {"type": "object", "properties": {"day": {"type": "string"}},
                           "required": ["day"], "additionalProperties": False},
        }]
        result = check_bytes(yaml.safe_dump(data).encode(), "with-tool.yaml")
        assert result.compiled is not None, result.problems
        calls = {"n": 0}

        def policy(request: Any) -> Reply:
            calls["n"] += 1
            if calls["n"] == 2:
                return Reply(tool_calls=(ToolCall("check_slot", '{"day": "tuesday"}'),))
            if calls["n"] == 3:
                tool_results = [m for m in request.messages if m.get("role") == "tool"]
                return Reply(text="We have " + json.loads(tool_results[-1]["content"])
                             ["slots"][0] + ". " + interviewer_policy(request).text)
            if calls["n"] == 4:
                return Reply(tool_calls=(ToolCall("check_slot", '{"weekday": 3}'),))
            return interviewer_policy(request)

        try:
            async with text_rig(tmp_path, result.compiled, policy=policy,
                                conn_options=retrying()) as rig:
                await rig.turn("Ready.")
                _, said = await rig.turn("When could we do a follow-up?")
                _, bad = await rig.turn("And on another day?")
        finally:
            await runner.cleanup()
        return rig, said + bad

    rig, said = run(main())
    assert seen == [{"day": "tuesday"}]  # the bad call never reached the service
    assert any(s.startswith("We have Tuesday 10:00.") for s in said), said
    assert any(s.startswith("Sorry, I had a problem on my side") for s in said), said
    names = [t["function"]["name"] for t in rig.server.requests[-1].tools]
    assert names == ["candidate_request", "check_slot"]


def test_move_on_keeps_words_heard_without_an_audio_path(tmp_path: Path) -> None:
    async def main() -> Rig:
        async with text_rig(tmp_path, BACKEND, conn_options=retrying(),
                            tick_interval=0.02) as rig:
            await rig.turn("Ready.")
            current = rig.engine.current
            assert current is not None
            rig.agent.hear("I rebuilt the export job on a queue")
            rig.agent.hear("and then we added retries", final=False)
            rig.clock.advance(current.budget + 1)
            await until(lambda: rig.engine.records[0].outcome is not None)
            await asyncio.sleep(0.2)
        return rig

    rig = run(main())
    record = rig.engine.records[0]
    assert record.outcome is QuestionOutcome.MOVED_ON
    assert record.turns[-1].text == "I rebuilt the export job on a queue and then we added retries"
    turns = read_transcript(rig.recorder.transcript_path)
    kept = [t for t in turns if t["role"] == "candidate" and t["kind"] == "cut_off"]
    assert [t["text"] for t in kept] == [record.turns[-1].text]
