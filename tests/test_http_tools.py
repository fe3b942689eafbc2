"""Declared HTTP actions: POST JSON, allow-list, no redirects, timeout, size cap."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
from aiohttp import web

from mockflow.format.model import HttpTool
from mockflow.live.http_tools import HttpToolError, call_http_tool

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def guarded() -> T:
        return await asyncio.wait_for(coro, 30)

    return asyncio.run(guarded())


@asynccontextmanager
async def service() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def slots(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append({"body": body, "content_type": request.content_type})
        return web.json_response({"slots": ["10:00", "14:30"], "day": body.get("day")})

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://127.0.0.1:1/elsewhere")

    async def big(request: web.Request) -> web.Response:
        return web.Response(text="x" * 5000)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=503, text="down")

    app = web.Application()
    app.add_routes([web.post("/slots", slots), web.post("/redirect", redirect),
                    web.post("/big", big), web.post("/slow", slow), web.post("/broken", broken)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


def tool(url: str, **kwargs: Any) -> HttpTool:
    host = url.split("/")[2]
    defaults: dict[str, Any] = {"allow_hosts": (host,), "timeout_s": 1.0,
                                "max_response_bytes": 1000}
    defaults.update(kwargs)
    return HttpTool(name="check_slot", description="d", url=url, parameters={"type": "object"},
                    **defaults)


def test_posts_json_and_returns_the_response() -> None:
    async def main() -> tuple[str, list[dict[str, Any]]]:
        async with service() as (base, seen):
            return await call_http_tool(tool(f"{base}/slots"), {"day": "monday"}), seen

    text, seen = run(main())
    assert json.loads(text) == {"slots": ["10:00", "14:30"], "day": "monday"}
    assert seen == [{"body": {"day": "monday"}, "content_type": "application/json"}]


@pytest.mark.parametrize(
    ("path", "kwargs", "message"),
    [
        ("/redirect", {}, "redirects are not followed"),
        ("/big", {}, "larger than 1000 bytes"),
        ("/slow", {"timeout_s": 0.2}, "no answer within 0.2s"),
        ("/broken", {}, "answered 503"),
        ("/slots", {"allow_hosts": ("api.example.com",)}, "is not allowed"),
    ],
)
def test_failures_are_tool_errors(path: str, kwargs: dict[str, Any], message: str) -> None:
    async def main() -> None:
        async with service() as (base, _):
            await call_http_tool(tool(f"{base}{path}", **kwargs), {"day": "monday"})

    with pytest.raises(HttpToolError, match=message):
        run(main())


def test_connection_refused_is_a_tool_error() -> None:
    with pytest.raises(HttpToolError, match="request failed"):
        run(call_http_tool(tool("http://127.0.0.1:1/slots"), {}))
