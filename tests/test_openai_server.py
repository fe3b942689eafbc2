"""Tests for mockflow.testing.openai_server: the scripted OpenAI-compatible server.

Clients under test: the real ``livekit.plugins.openai.LLM``, the official ``openai`` client and
raw aiohttp (to check the wire format). Everything talks to 127.0.0.1 only; every async test
runs under a hang guard.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from typing import Any

import aiohttp
import openai
import pytest
from conftest import ROOT
from livekit.agents import (
    APIConnectionError,
    APIConnectOptions,
    APIStatusError,
    APITimeoutError,
    llm,
)
from livekit.plugins import openai as lk_openai

from mockflow.testing import (
    ChatRequest,
    FakeOpenAIServer,
    Reply,
    ScriptedPolicy,
    ToolCall,
    echo_policy,
    parse_script,
    reply_from_json,
)
from mockflow.testing.waiting import run

NO_RETRY = APIConnectOptions(max_retry=0, timeout=5.0)




def user_ctx(text: str = "Tell me about yourself.") -> llm.ChatContext:
    ctx = llm.ChatContext.empty()
    ctx.add_message(role="system", content="You are an interviewer.")
    ctx.add_message(role="user", content=text)
    return ctx


def oai_client(server: FakeOpenAIServer, **kwargs: Any) -> openai.AsyncOpenAI:
    kwargs.setdefault("max_retries", 0)
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="x", **kwargs)


async def collect_lk(
    model: lk_openai.LLM,
    ctx: llm.ChatContext,
    *,
    tools: list[llm.Tool] | None = None,
    conn_options: APIConnectOptions = NO_RETRY,
) -> tuple[str, list[llm.FunctionToolCall], list[llm.ChatChunk]]:
    text, calls, chunks = "", [], []
    async with model.chat(chat_ctx=ctx, tools=tools, conn_options=conn_options) as stream:
        async for chunk in stream:
            chunks.append(chunk)
            if chunk.delta is not None:
                text += chunk.delta.content or ""
                calls.extend(chunk.delta.tool_calls)
    return text, calls, chunks


async def sse_events(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> list[str]:
    """POST and return the ``data:`` payloads of an SSE response, checking the framing."""
    async with session.post(url, json=body) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        raw = (await resp.read()).decode()
    assert raw.endswith("\n\n")
    events = raw.split("\n\n")[:-1]
    assert all(e.startswith("data: ") for e in events)
    return [e.removeprefix("data: ") for e in events]


# -- the real livekit openai plugin --------------------------------------------------------


def test_livekit_plugin_streams_scripted_text() -> None:
    script = "Thanks for joining. Could you walk me through your last project?"

    async def main() -> None:
        async with FakeOpenAIServer(ScriptedPolicy([script])) as server:
            model = lk_openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
            try:
                text, calls, chunks = await collect_lk(model, user_ctx("Hi, I'm Ada."))
            finally:
                await model.aclose()

            assert text == script
            assert calls == []
            assert len([c for c in chunks if c.delta and c.delta.content]) > 1  # streamed
            usage = [c.usage for c in chunks if c.usage is not None]
            assert len(usage) == 1 and usage[0].completion_tokens > 0

            assert server.request_count == 1
            (req,) = server.requests
            assert req.index == 0 and req.model == "gpt-4o-mini" and req.stream
            assert req.messages == [
                {"role": "system", "content": "You are an interviewer."},
                {"role": "user", "content": "Hi, I'm Ada."},
            ]
            assert req.last_user_text == "Hi, I'm Ada."
            assert req.raw["stream_options"] == {"include_usage": True}
            assert req.tools == [] and "tools" not in req.raw
            assert req.headers["authorization"] == "<redacted>"
            (exchange,) = server.exchanges
            assert exchange.outcome == "ok" and exchange.status == 200
            assert exchange.first_chunk_at is not None and exchange.finished_at is not None
            assert req.received_at <= exchange.first_chunk_at <= exchange.finished_at

    run(main())


def test_livekit_plugin_receives_tool_calls_verbatim() -> None:
    good_args = '{"score": 4, "notes": "clear explanation of the cache design"}'
    bad_args = '{"score": 4, "notes": '  # deliberately malformed JSON

    async def handler(raw_arguments: dict[str, object]) -> str:
        return "ok"

    tool = llm.function_tool(
        handler,
        raw_schema={
            "name": "record_score",
            "description": "Record the candidate's score for the current question.",
            "parameters": {
                "type": "object",
                "properties": {"score": {"type": "integer"}, "notes": {"type": "string"}},
                "required": ["score", "notes"],
            },
        },
    )
    policy = ScriptedPolicy(
        [
            Reply(tool_calls=(ToolCall("record_score", good_args, id="call_good"),)),
            Reply(
                text="Noted.",
                tool_calls=(
                    ToolCall("record_score", bad_args),
                    ToolCall("record_score", "{}"),
                ),
            ),
        ]
    )

    async def main() -> None:
        async with FakeOpenAIServer(policy) as server:
            model = lk_openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
            try:
                text, calls, _ = await collect_lk(model, user_ctx(), tools=[tool])
                assert text == ""
                assert [(c.name, c.arguments, c.call_id) for c in calls] == [
                    ("record_score", good_args, "call_good")
                ]
                assert isinstance(calls[0], llm.FunctionToolCall)

                text, calls, _ = await collect_lk(model, user_ctx(), tools=[tool])
                assert text == "Noted."
                assert [(c.name, c.arguments) for c in calls] == [
                    ("record_score", bad_args),
                    ("record_score", "{}"),
                ]
                assert calls[0].call_id.startswith("call_") and calls[0].call_id != calls[1].call_id
            finally:
                await model.aclose()

            sent_tools = server.requests[0].tools
            assert [t["function"]["name"] for t in sent_tools] == ["record_score"]
            assert sent_tools[0]["type"] == "function"
            assert sent_tools[0]["function"]["parameters"]["required"] == ["score", "notes"]

    run(main())


def test_livekit_plugin_error_without_retry_is_api_status_error() -> None:
    async def main() -> None:
        async with FakeOpenAIServer(ScriptedPolicy(["only one"])) as server:
            model = lk_openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
            try:
                server.fail_next(503)
                with pytest.raises(APIStatusError) as failed:
                    await collect_lk(model, user_ctx())
                assert failed.value.status_code == 503
                assert isinstance(failed.value.body, dict)
                assert failed.value.body["type"] == "server_error"

                # the injected failure did not use up the script
                text, _, _ = await collect_lk(model, user_ctx())
                assert text == "only one"

                with pytest.raises(APIStatusError) as exhausted:
                    await collect_lk(model, user_ctx())
                assert exhausted.value.status_code == 500
                assert "script exhausted" in exhausted.value.message
            finally:
                await model.aclose()
            assert [e.outcome for e in server.exchanges] == ["injected", "ok", "error"]

    run(main())


def test_livekit_plugin_retries_through_fail_next() -> None:
    async def main() -> None:
        async with FakeOpenAIServer(ScriptedPolicy(["recovered"])) as server:
            model = lk_openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
            try:
                server.fail_next(500)
                opts = APIConnectOptions(max_retry=1, retry_interval=0.0, timeout=5.0)
                text, _, _ = await collect_lk(model, user_ctx(), conn_options=opts)
                assert text == "recovered"
                assert server.request_count == 2

                # retries exhausted -> the plugin reports an APIConnectionError
                server.fail_next(502, count=2)
                with pytest.raises(APIConnectionError):
                    await collect_lk(model, user_ctx(), conn_options=opts)
                assert server.request_count == 4
            finally:
                await model.aclose()
            assert [e.status for e in server.exchanges] == [500, 200, 502, 502]

    run(main())


def test_livekit_plugin_times_out_on_a_stalled_stream() -> None:
    async def main() -> None:
        async with FakeOpenAIServer(ScriptedPolicy(["finally"])) as server:
            model = lk_openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
            try:
                server.stall_next(seconds=5.0)
                opts = APIConnectOptions(max_retry=0, timeout=0.5)
                with pytest.raises(APITimeoutError):
                    await collect_lk(model, user_ctx(), conn_options=opts)
                text, _, _ = await collect_lk(model, user_ctx())
                assert text == "finally"
            finally:
                await model.aclose()
            assert [e.outcome for e in server.exchanges] == ["stalled", "ok"]

    run(main())


def test_livekit_plugin_ttft_lower_bound() -> None:
    async def first_content_after(model: lk_openai.LLM) -> float:
        start = time.perf_counter()
        first: float | None = None
        async with model.chat(chat_ctx=user_ctx(), conn_options=NO_RETRY) as stream:
            async for chunk in stream:
                if first is None and chunk.delta and chunk.delta.content:
                    first = time.perf_counter() - start
        assert first is not None
        return first

    async def main() -> None:
        policy = ScriptedPolicy(["a b c", Reply(text="d e f", ttft=0.2)])
        async with FakeOpenAIServer(policy, ttft=0.3) as server:
            model = lk_openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
            try:
                assert await first_content_after(model) >= 0.3  # server-wide ttft
                server.ttft = 0.0
                assert await first_content_after(model) >= 0.2  # per-reply override
            finally:
                await model.aclose()
            ttfts = [e.ttft for e in server.exchanges]
            assert ttfts[0] is not None and ttfts[0] >= 0.3
            assert ttfts[1] is not None and ttfts[1] >= 0.2

    run(main())


# -- the official openai client ------------------------------------------------------------


def test_openai_client_non_streaming() -> None:
    policy = ScriptedPolicy(
        [
            "Hello, candidate.",
            Reply(tool_calls=(ToolCall("end_interview", '{"reason": "done"', id="call_1"),)),
            Reply(text="cut", finish_reason="length"),
        ]
    )

    async def main() -> None:
        async with FakeOpenAIServer(policy) as server, oai_client(server) as client:
            messages: Any = [{"role": "user", "content": "hi"}]
            first = await client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            assert first.object == "chat.completion"
            assert first.model == "gpt-4o-mini"
            assert first.choices[0].message.role == "assistant"
            assert first.choices[0].message.content == "Hello, candidate."
            assert first.choices[0].finish_reason == "stop"
            assert first.usage is not None
            assert first.usage.total_tokens == (
                first.usage.prompt_tokens + first.usage.completion_tokens
            )

            second = await client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            message = second.choices[0].message
            assert second.choices[0].finish_reason == "tool_calls"
            assert message.content is None
            assert message.tool_calls is not None and len(message.tool_calls) == 1
            call: Any = message.tool_calls[0]
            assert (call.id, call.type) == ("call_1", "function")
            assert call.function.name == "end_interview"
            assert call.function.arguments == '{"reason": "done"'  # malformed, verbatim

            third = await client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            assert third.choices[0].finish_reason == "length"

            assert [r.stream for r in server.requests] == [False, False, False]
            assert all(e.first_chunk_at is not None for e in server.exchanges)

    run(main())


def test_openai_client_streaming_chunks() -> None:
    text = "Let's start with a warm-up question."
    policy = ScriptedPolicy([text, "no usage please"])

    async def main() -> None:
        async with FakeOpenAIServer(policy) as server, oai_client(server) as client:
            messages: Any = [{"role": "user", "content": "ready"}]
            stream = await client.chat.completions.create(
                model="gpt-4o-mini",
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
            chunks = [chunk async for chunk in stream]
            assert all(c.object == "chat.completion.chunk" for c in chunks)
            assert len({c.id for c in chunks}) == 1
            assert chunks[0].choices[0].delta.role == "assistant"
            assert chunks[0].choices[0].delta.content == ""
            *choice_chunks, usage_chunk = chunks
            assert "".join(c.choices[0].delta.content or "" for c in choice_chunks) == text
            assert [c.choices[0].finish_reason for c in choice_chunks][-1] == "stop"
            assert all(c.choices[0].finish_reason is None for c in choice_chunks[:-1])
            assert usage_chunk.choices == [] and usage_chunk.usage is not None
            assert usage_chunk.usage.completion_tokens == len(choice_chunks) - 2

            stream = await client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, stream=True
            )
            chunks = [chunk async for chunk in stream]
            assert all(c.choices and c.usage is None for c in chunks)
            assert "".join(c.choices[0].delta.content or "" for c in chunks) == "no usage please"

    run(main())


def test_openai_client_error_shapes_and_fail_next_recovery() -> None:
    async def main() -> None:
        policy = ScriptedPolicy(["after the storm", Reply(status=400, error="bad things")])
        async with FakeOpenAIServer(policy) as server, oai_client(server) as client:
            messages: Any = [{"role": "user", "content": "hi"}]
            server.fail_next(429, count=2, message="slow down")
            for _ in range(2):
                with pytest.raises(openai.RateLimitError) as limited:
                    await client.chat.completions.create(model="m", messages=messages)
                assert limited.value.status_code == 429
                assert limited.value.body == {
                    "message": "slow down",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            ok = await client.chat.completions.create(model="m", messages=messages)
            assert ok.choices[0].message.content == "after the storm"

            with pytest.raises(openai.BadRequestError) as bad:
                await client.chat.completions.create(model="m", messages=messages)
            assert isinstance(bad.value.body, dict) and bad.value.body["message"] == "bad things"

            with pytest.raises(openai.InternalServerError) as exhausted:
                await client.chat.completions.create(model="m", messages=messages, stream=True)
            assert "script exhausted" in exhausted.value.message
            assert isinstance(exhausted.value.body, dict)
            assert exhausted.value.body["code"] == "script_exhausted"
            assert server.request_count == 5

    run(main())


def test_models_endpoint_lists_configured_and_seen_models() -> None:
    async def main() -> None:
        async with (
            FakeOpenAIServer(models=["interviewer-1"]) as server,
            oai_client(server) as client,
        ):
            messages: Any = [{"role": "user", "content": "echo me"}]
            reply = await client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            assert reply.choices[0].message.content == "echo me"  # default policy echoes
            page = await client.models.list()
            assert [m.id for m in page.data] == ["interviewer-1", "gpt-4o-mini"]
            assert server.models == ["interviewer-1", "gpt-4o-mini"]

    run(main())


# -- wire format, limits and failures (raw HTTP) -------------------------------------------


def test_sse_wire_format_for_tool_calls() -> None:
    args = '{"question_id": "q-17", "score": 3}'
    policy = ScriptedPolicy([Reply(tool_calls=(ToolCall("record", args, id="call_x"),))])

    async def main() -> None:
        async with FakeOpenAIServer(policy) as server, aiohttp.ClientSession() as session:
            body = {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "score it"}],
                "stream": True,
                "stream_options": {"include_usage": True},
            }
            events = await sse_events(session, f"{server.base_url}/chat/completions", body)
            assert events[-1] == "[DONE]"
            chunks = [json.loads(e) for e in events[:-1]]
            *choice_chunks, usage_chunk = chunks
            assert usage_chunk["choices"] == []
            assert set(usage_chunk["usage"]) == {
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
            }
            for c in chunks:
                assert c["object"] == "chat.completion.chunk"
                assert {"id", "created", "model", "choices"} <= set(c)
            deltas = [c["choices"][0]["delta"] for c in choice_chunks]
            opening = deltas[0]
            assert opening["role"] == "assistant"
            assert opening["tool_calls"] == [
                {
                    "index": 0,
                    "id": "call_x",
                    "type": "function",
                    "function": {"name": "record", "arguments": ""},
                }
            ]
            fragments = [d["tool_calls"][0] for d in deltas[1:-1]]
            assert len(fragments) > 1
            assert all(f["index"] == 0 and set(f) == {"index", "function"} for f in fragments)
            assert "".join(f["function"]["arguments"] for f in fragments) == args
            assert deltas[-1] == {}
            assert choice_chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
            assert all(c["usage"] is None for c in choice_chunks)

    run(main())


def test_invalid_requests_get_openai_shaped_errors() -> None:
    async def main() -> None:
        server = FakeOpenAIServer(require_api_key="sk-test", max_body_bytes=2048)
        async with server, aiohttp.ClientSession() as session:
            url = f"{server.base_url}/chat/completions"
            auth = {"Authorization": "Bearer sk-test"}
            cases: list[tuple[int, dict[str, Any]]] = []

            async def check(status: int, **kwargs: Any) -> None:
                async with session.request(**kwargs) as resp:
                    assert resp.status == status, await resp.text()
                    payload = await resp.json()
                cases.append((status, payload))
                assert set(payload["error"]) == {"message", "type", "param", "code"}

            await check(401, method="POST", url=url, json={"model": "m", "messages": []})
            await check(400, method="POST", url=url, data=b"{not json", headers=auth)
            await check(400, method="POST", url=url, json={"messages": []}, headers=auth)
            await check(
                400, method="POST", url=url, json={"model": "m", "messages": "hi"}, headers=auth
            )
            big = {"model": "m", "messages": [{"role": "user", "content": "x" * 4096}]}
            await check(413, method="POST", url=url, json=big, headers=auth)
            await check(404, method="GET", url=f"{server.base_url}/nope", headers=auth)
            await check(405, method="GET", url=url, headers=auth)
            assert cases[0][1]["error"]["code"] == "invalid_api_key"
            assert server.request_count == 0  # rejected requests are not recorded

    run(main())


def test_stall_next_times_out_the_client_then_recovers() -> None:
    async def main() -> None:
        async with FakeOpenAIServer(ScriptedPolicy(["back again"])) as server:
            async with oai_client(server, timeout=0.5) as client:
                messages: Any = [{"role": "user", "content": "hi"}]
                server.stall_next(seconds=5.0)
                with pytest.raises(openai.APITimeoutError):
                    await client.chat.completions.create(model="m", messages=messages)
                ok = await client.chat.completions.create(model="m", messages=messages)
                assert ok.choices[0].message.content == "back again"
            assert [e.outcome for e in server.exchanges] == ["stalled", "ok"]
            assert server.exchanges[0].first_chunk_at is None

    run(main())


def test_stop_ends_a_stalled_stream_promptly() -> None:
    async def main() -> None:
        server = FakeOpenAIServer()
        await server.start()
        async with oai_client(server, timeout=20.0) as client:
            server.stall_next(seconds=60.0)  # far beyond the hang guard

            async def consume() -> None:
                messages: Any = [{"role": "user", "content": "hi"}]
                stream = await client.chat.completions.create(
                    model="m", messages=messages, stream=True
                )
                async with stream:
                    async for _ in stream:
                        pass

            task = asyncio.create_task(consume())
            await server.wait_for_requests(1)
            await server.stop()
            with pytest.raises(Exception):  # noqa: B017 - any transport error is fine
                await task
            assert server.exchanges[0].outcome == "stalled"
            assert server.exchanges[0].status == 200

    run(main())


def test_client_hanging_up_mid_stream_is_recorded_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    long_text = " ".join(f"word{i}" for i in range(200))

    async def main() -> None:
        policy = ScriptedPolicy([long_text, "still alive"])
        async with FakeOpenAIServer(policy, tokens_per_s=50) as server:
            body = {"model": "m", "messages": [{"role": "user", "content": "go"}], "stream": True}
            async with aiohttp.ClientSession() as session:
                async with session.post(f"{server.base_url}/chat/completions", json=body) as resp:
                    assert (await resp.content.readline()).startswith(b"data: ")
                    resp.close()  # hang up after the first event
            while server.exchanges[0].outcome == "pending":
                await asyncio.sleep(0.01)
            assert server.exchanges[0].outcome == "disconnected"
            async with oai_client(server) as client:
                messages: Any = [{"role": "user", "content": "hi"}]
                ok = await client.chat.completions.create(model="m", messages=messages)
                assert ok.choices[0].message.content == "still alive"

    with caplog.at_level("WARNING"):
        run(main())
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def test_concurrent_streams_and_wait_for_requests() -> None:
    async def policy(request: ChatRequest) -> str:
        await asyncio.sleep(0.05)
        return f"answer {request.last_user_text}"

    async def main() -> None:
        async with FakeOpenAIServer(policy, ttft=0.2, tokens_per_s=200) as server:
            model = lk_openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
            try:
                results = await asyncio.gather(
                    *(collect_lk(model, user_ctx(str(i))) for i in range(3))
                )
                await server.wait_for_requests(3, timeout=1.0)
                with pytest.raises(TimeoutError):
                    await server.wait_for_requests(4, timeout=0.05)
            finally:
                await model.aclose()
            assert sorted(text for text, _, _ in results) == ["answer 0", "answer 1", "answer 2"]
            assert sorted(r.index for r in server.requests) == [0, 1, 2]

    run(main())


def test_policy_failures_become_500s() -> None:
    def broken(request: ChatRequest) -> Reply:
        raise RuntimeError("boom")

    async def never(request: ChatRequest) -> Reply:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def main() -> None:
        async with FakeOpenAIServer(broken, policy_timeout=0.2) as server:
            async with oai_client(server) as client:
                messages: Any = [{"role": "user", "content": "hi"}]
                with pytest.raises(openai.InternalServerError, match="RuntimeError: boom"):
                    await client.chat.completions.create(model="m", messages=messages)
                server.policy = never
                with pytest.raises(openai.InternalServerError, match="did not answer"):
                    await client.chat.completions.create(model="m", messages=messages)

    run(main())


# -- pure helpers ----------------------------------------------------------------------------


def test_parse_script_and_reply_from_json() -> None:
    script = "\n".join(
        [
            "# an interview script",
            "Welcome! Tell me about yourself.",
            "",
            '{"tool_calls": [{"name": "score", "arguments": {"value": 3}}]}',
            '{"tool_calls": [{"name": "score", "arguments": "{oops"}], "text": "hm"}',
            '{"status": 503, "error": "overloaded"}',
        ]
    )
    replies = parse_script(script)
    assert replies == [
        Reply(text="Welcome! Tell me about yourself."),
        Reply(tool_calls=(ToolCall("score", '{"value": 3}'),)),
        Reply(text="hm", tool_calls=(ToolCall("score", "{oops"),)),
        Reply(status=503, error="overloaded"),
    ]
    assert reply_from_json("plain") == Reply(text="plain")
    with pytest.raises(ValueError, match="line 1"):
        parse_script('{"txet": "typo"}')
    with pytest.raises(ValueError):
        Reply(status=204)


def test_scripted_policy_bookkeeping_and_cycle() -> None:
    def request(index: int) -> ChatRequest:
        return ChatRequest(
            index=index,
            model="m",
            messages=[{"role": "user", "content": [{"type": "text", "text": "hey"}]}],
            tools=[],
            stream=False,
            raw={},
            headers={},
            received_at=0.0,
        )

    policy = ScriptedPolicy(["a", Reply(text="b")])
    assert (policy.remaining, policy.exhausted) == (2, False)
    assert [policy(request(i)).text for i in range(2)] == ["a", "b"]
    assert policy.exhausted and policy.used == 2
    exhausted = policy(request(2))
    assert exhausted.status == 500 and exhausted.error.startswith("script exhausted")

    cycling = ScriptedPolicy(["x", "y"], cycle=True)
    assert [cycling(request(i)).text for i in range(5)] == ["x", "y", "x", "y", "x"]
    assert not cycling.exhausted
    assert echo_policy(request(0)).text == "hey"


def test_binds_to_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeOpenAIServer(host="0.0.0.0")
    with pytest.raises(RuntimeError):
        _ = FakeOpenAIServer().base_url


# -- command line --------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT")
def test_cli_serves_scripted_replies_until_interrupted() -> None:
    async def main() -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mockflow.testing.serve",
            "--port",
            "0",
            "--reply",
            "First scripted line.",
            "--reply",
            "Second.",
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            banner = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()  # type: ignore[union-attr]
            assert banner.startswith("serving http://127.0.0.1:"), banner
            base_url = banner.split()[1]
            async with openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0) as client:
                messages: Any = [{"role": "user", "content": "hi"}]
                got = []
                for _ in range(2):
                    stream = await client.chat.completions.create(
                        model="m", messages=messages, stream=True
                    )
                    got.append("".join([c.choices[0].delta.content or "" async for c in stream]))
                assert got == ["First scripted line.", "Second."]
                with pytest.raises(openai.InternalServerError, match="script exhausted"):
                    await client.chat.completions.create(model="m", messages=messages)
            proc.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 0, stderr.decode()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.communicate()

    run(main())  # hang guard: a busy machine starts Python slowly


def test_message_text_reads_content_the_way_openai_does() -> None:
    """One helper for every fake that reads a chat message: a string as is, text parts
    joined without a separator (LiveKit's own provider format), other parts left out."""
    from mockflow.testing.openai_server import message_text
    from mockflow.testing.policies import simple_messages

    parts = [{"type": "text", "text": "Describe "},
             {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
             {"type": "text", "text": "your cache."}]
    assert message_text("plain") == "plain"
    assert message_text(parts) == "Describe your cache."
    assert message_text(None) == message_text(42) == ""
    assert simple_messages([{"role": "user", "content": parts}]) == \
        simple_messages([{"role": "user", "content": "Describe your cache."}])
