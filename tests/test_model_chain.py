"""The interview never stalls on the model.

Room-less text sessions through the real ``openai`` plugin against the local fake
OpenAI server, which fails, stalls, answers empty or breaks off on cue. The chain is the
one ``mockflow run`` builds (``build_llm``): the file's models, then the offline
interviewer that speaks the engine's moves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from conftest import ROOT
from livekit.agents import llm

from mockflow.format.compile import CompiledInterview
from mockflow.format.model import LlmConfig, LlmModel
from mockflow.format.validate import load_interview
from mockflow.interview.engine import InterviewEngine
from mockflow.interview.prompting import APOLOGY, GIVE_UP, RESTART
from mockflow.live.plugins import build_llm
from mockflow.results.files import read_transcript
from mockflow.testing import ChatRequest, Reply
from mockflow.testing.policies import interviewer_policy
from mockflow.testing.rig import Rig, openai_model, retrying, run, text_rig

BACKEND = ROOT / "interviews" / "backend.yaml"
HANG_GUARD_S = 45  # a stall of a minute would be waited out without the timeout


def with_llm(compiled: CompiledInterview, base_url: str, *, fallback: int = 0,
             timeout_s: float = 5.0, tools: tuple[Any, ...] = ()) -> CompiledInterview:
    """The interview with its models pointed at the fake server."""
    iv = compiled.interview
    models = LlmConfig(
        LlmModel(model="primary-model", base_url=base_url),
        tuple(LlmModel(model=f"fallback-{i}", base_url=base_url) for i in range(fallback)),
        timeout_s=timeout_s)
    voice = replace(iv.voice, llm=models)
    return replace(compiled, interview=replace(iv, voice=voice, tools=tools or iv.tools))


def chain_model(compiled: CompiledInterview, base_url: str) -> llm.LLM[Any]:
    """The chain ``mockflow run`` builds: the file's models, then the offline one."""
    return build_llm(compiled.interview.voice, api_key="x")


@asynccontextmanager
async def rig(tmp_path: Path, policy: Callable[[ChatRequest], Any] = interviewer_policy, *,
              chain: bool = True, fallback: int = 0, timeout_s: float = 5.0,
              max_retry: int = 0, tools: tuple[Any, ...] = ()) -> AsyncIterator[Rig]:
    """The shared text rig with the interview's models on the fake server: the chain,
    or (``chain=False``) one bare model with LiveKit's own retries."""
    def interview(base_url: str) -> CompiledInterview:
        return with_llm(load_interview(BACKEND), base_url, fallback=fallback,
                        timeout_s=timeout_s, tools=tools)

    async with text_rig(
            tmp_path, interview, policy=policy, greeting=True,
            model=chain_model if chain else openai_model("primary-model"),
            conn_options=None if chain else retrying(max_retry, timeout=timeout_s)) as r:
        yield r


def failing(*indexes: int, reply: Reply | None = None) -> Callable[[ChatRequest], Reply]:
    """The scripted interviewer, but the given requests get ``reply`` (default: 500)."""
    def policy(request: ChatRequest) -> Reply:
        if request.index in indexes:
            return reply or Reply(status=500, error="upstream overloaded")
        return interviewer_policy(request)

    return policy


def test_errors_livekit_recovers_from_are_not_apologised_for(tmp_path: Path) -> None:
    """Two 500s, then LiveKit's third attempt succeeds: the candidate hears the reply
    once and no apology (it used to hear 'Sorry, I had a problem' for each retry)."""
    async def main() -> tuple[list[str], int]:
        async with rig(tmp_path, chain=False, max_retry=3) as r:
            await r.reply_to("Yes, ready.")
            r.server.fail_next(500, count=2)
            said = await r.reply_to("I built a billing service that retries payments.")
            return said, r.agent.stats.llm_failures

    said, failures = run(main(), HANG_GUARD_S)
    assert len(said) == 1 and not said[0].startswith(APOLOGY), said
    assert failures == 0


def test_a_dead_model_degrades_to_the_engines_words_and_is_recorded(tmp_path: Path) -> None:
    def dead(request: ChatRequest) -> Reply:
        return Reply(status=500, error="model is down")

    async def main() -> tuple[list[list[str]], dict[str, Any], InterviewEngine]:
        async with rig(tmp_path, dead) as r:
            turns = [await r.reply_to("Yes, ready."),
                     await r.reply_to("I built a billing service that retries payments."),
                     await r.reply_to("I would add idempotency keys next time.")]
            r.agent.write_results()
            return turns, r.session_record(), r.engine

    turns, record, engine = run(main(), HANG_GUARD_S)
    assert all(len(said) == 1 and said[0] and APOLOGY not in said[0] for said in turns), turns
    assert "First question" in turns[0][0]  # the interview moved on, scripted
    assert len(engine.records) >= 1 and engine.records[0].turns
    degraded = record["degraded"]
    assert degraded["reason"] == "model unavailable"
    assert degraded["at"].endswith("Z") and degraded["scripted_turns"] == 3
    assert "HTTP 500" in degraded["why"] and "model is down" in degraded["why"]
    assert "openai primary-model at 127.0.0.1" in degraded["why"]


def test_a_stall_goes_to_the_next_model_at_once(tmp_path: Path) -> None:
    """The primary stalls for a minute; with timeout_s 0.5 the fallback model answers
    (the hang guard would fire if the stall were waited out)."""
    async def main() -> tuple[list[str], list[str], dict[str, Any]]:
        async with rig(tmp_path, fallback=1, timeout_s=0.5) as r:
            await r.reply_to("Yes, ready.")
            r.server.stall_next(60)
            said = await r.reply_to("I built a billing service that retries payments.")
            r.agent.write_results()
            models = [e.request.model for e in r.server.exchanges]
            return said, models, r.session_record()

    said, models, record = run(main(), HANG_GUARD_S)
    assert len(said) == 1 and said[0].startswith("Thanks"), said
    # the primary stalled; the fallback answered (LiveKit probes the primary meanwhile)
    assert models[1] == "primary-model" and "fallback-0" in models[2:4]
    assert record["degraded"] is None  # a hosted model answered
    [failure] = [e for e in record["model"]["events"] if e["what"] == "failed"][:1]
    assert failure["why"] == "waited 0.5s for the first token (voice.llm.timeout_s)"


def test_an_empty_reply_is_a_failed_turn(tmp_path: Path) -> None:
    async def main() -> tuple[list[str], dict[str, Any]]:
        async with rig(tmp_path, failing(1, reply=Reply(text="  "))) as r:
            await r.reply_to("Yes, ready.")
            said = await r.reply_to("I built a billing service that retries payments.")
            r.agent.write_results()
            return said, r.session_record()

    said, record = run(main(), HANG_GUARD_S)
    assert len(said) == 1 and said[0].strip(), said  # never a silent turn
    assert record["degraded"]["why"].endswith("the reply was empty")


def test_an_empty_reply_from_a_bare_model_gets_one_apology(tmp_path: Path) -> None:
    async def main() -> list[str]:
        async with rig(tmp_path, failing(1, reply=Reply(text="")), chain=False) as r:
            await r.reply_to("Yes, ready.")
            return await r.reply_to("I built a billing service that retries payments.")

    said = run(main(), HANG_GUARD_S)
    assert len(said) == 1 and said[0].startswith(f"{APOLOGY} Let me ask again:"), said


def test_a_reply_that_breaks_off_is_finished_in_the_engines_words(tmp_path: Path) -> None:
    cut = Reply(text="Thanks for walking me through that, it sounds", disconnect_after=4)

    async def main() -> tuple[list[str], Rig]:
        async with rig(tmp_path, failing(1, reply=cut)) as r:
            await r.reply_to("Yes, ready.")
            said = await r.reply_to("I built a billing service that retries payments.")
            return said, r

    said, r = run(main(), HANG_GUARD_S)
    assert len(said) == 1, said  # one reply, not a broken one and then another
    first, _, rest = said[0].partition(RESTART)
    assert first.startswith("Thanks for walking me") and rest.strip()
    assert APOLOGY not in said[0]
    assert r.agent.stats.delivered == 2  # the move went out once and was committed once
    transcript = [t for t in read_transcript(r.recorder.transcript_path)
                  if t["role"] == "interviewer"]
    assert sum(RESTART in t["text"] for t in transcript) == 1


def test_failed_turns_in_a_row_end_the_interview_politely(tmp_path: Path) -> None:
    """A bare model that is down for good (no chain): one apology per failed turn, then
    a goodbye and the session closes, instead of apologising forever."""
    def dead(request: ChatRequest) -> Reply:
        return Reply(status=500, error="model is down")

    async def main() -> tuple[list[list[str]], str | None]:
        async with rig(tmp_path, dead, chain=False) as r:
            turns = [await r.reply_to(f"Answer {i}.") for i in range(3)]
            await asyncio.sleep(0.3)
            return turns, r.agent.close_reason

    turns, reason = run(main(), HANG_GUARD_S)
    assert [len(t) for t in turns] == [1, 1, 1]
    assert turns[0][0].startswith(APOLOGY) and turns[1][0].startswith(APOLOGY)
    assert turns[2] == [GIVE_UP]
    assert reason == "model_unavailable"


def test_the_shipped_interviews_configure_a_fallback_model() -> None:
    for path in sorted((ROOT / "interviews").glob("*.yaml")):
        assert load_interview(path).interview.voice.llm.fallback, path


def test_a_failed_http_tool_goes_back_to_the_model_not_an_apology(tmp_path: Path) -> None:
    """The declared tool's service answers 503: the model hears the tool failed and
    speaks the move; the candidate's answer counts (no 'let me ask again')."""
    from aiohttp import web

    from mockflow.format.model import HttpTool
    from mockflow.testing import ToolCall

    async def down(request: web.Request) -> web.Response:
        return web.Response(status=503, text="down")

    def policy(request: ChatRequest) -> Reply:
        if request.index == 1:
            return Reply(tool_calls=(ToolCall("check_slot", '{"day": "monday"}'),))
        if request.messages and request.messages[-1].get("role") == "tool":
            assert "answered 503" in str(request.messages[-1].get("content"))  # told why
            return interviewer_policy(replace_tool_turn(request))
        return interviewer_policy(request)

    async def main() -> tuple[list[str], InterviewEngine]:
        app = web.Application()
        app.router.add_post("/slots", down)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host = f"127.0.0.1:{runner.addresses[0][1]}"
        tool = HttpTool(name="check_slot", description="d", url=f"http://{host}/slots",
                        allow_hosts=(host,), parameters={"type": "object"})
        try:
            async with rig(tmp_path, policy, tools=(tool,)) as r:
                await r.reply_to("Yes, ready.")
                said = await r.reply_to("I built a billing service that retries payments.")
                return said, r.engine
        finally:
            await runner.cleanup()

    said, engine = run(main(), HANG_GUARD_S)
    assert len(said) == 1 and APOLOGY not in said[0], said
    assert engine.records[0].turns  # the answer counted


def replace_tool_turn(request: ChatRequest) -> ChatRequest:
    """The request as the scripted interviewer reads it, without the tool exchange."""
    kept = [m for m in request.messages
            if m.get("role") != "tool" and not m.get("tool_calls")]
    return replace(request, messages=kept)
