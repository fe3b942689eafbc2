"""Declared HTTP actions: POST JSON, allow-list, no redirects, timeout, size cap."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from mockflow.format.model import HttpTool
from mockflow.live.http_tools import HttpToolError, call_http_tool
from mockflow.testing.waiting import run


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


# ------------------------------------------------------------------ bodies read in full


# 20 MB of "a" from about 20 KB, compressed once here: compressing it inside the handler
# took longer than the call's 1 s deadline on a busy machine (a timeout, not the size cap)
BOMB = gzip.compress(b"a" * 20_000_000)


@asynccontextmanager
async def misbehaving() -> AsyncIterator[tuple[str, list[str]]]:
    """A local service that answers in the awkward ways real ones do."""
    hosts: list[str] = []
    document = json.dumps({"items": ["y" * 100] * 340}).encode()  # about 35 KB

    async def stream(request: web.Request, parts: list[bytes], pause: float = 0.0,
                     headers: dict[str, str] | None = None) -> web.StreamResponse:
        hosts.append(request.headers.get("Host", ""))
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        for part in parts:
            await response.write(part)
            await asyncio.sleep(pause)
        await response.write_eof()
        return response

    async def chunked(request: web.Request) -> web.StreamResponse:  # 200 KB, chunked
        return await stream(request, [b"x" * 1024] * 200)

    async def two_chunks(request: web.Request) -> web.StreamResponse:
        return await stream(request, [document[:17505], document[17505:]], pause=0.05)

    async def drip(request: web.Request) -> web.StreamResponse:
        return await stream(request, [b"z"] * 100, pause=0.1)

    async def bomb(request: web.Request) -> web.StreamResponse:
        return await stream(request, [BOMB], headers={"Content-Encoding": "gzip"})

    async def packed(request: web.Request) -> web.StreamResponse:
        return await stream(request, [gzip.compress(document)],
                            headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.add_routes([web.post("/chunked", chunked), web.post("/two", two_chunks),
                    web.post("/drip", drip), web.post("/bomb", bomb),
                    web.post("/packed", packed)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", hosts
    finally:
        await runner.cleanup()


def call_misbehaving(path: str, **kwargs: Any) -> str:
    async def main() -> str:
        async with misbehaving() as (base, _):
            return await call_http_tool(tool(f"{base}{path}", **kwargs), {})

    return run(main())


# The size caps are not about the deadline: a generous one, so a busy machine can't turn
# the cap into a timeout.
CAP_TEST_TIMEOUT_S = 30.0


def test_a_chunked_body_over_the_cap_fails_clearly() -> None:
    with pytest.raises(HttpToolError, match="larger than 65536 bytes"):
        call_misbehaving("/chunked", max_response_bytes=65536, timeout_s=CAP_TEST_TIMEOUT_S)


def test_a_body_in_several_chunks_is_read_whole() -> None:
    text = call_misbehaving("/two", max_response_bytes=65536, timeout_s=CAP_TEST_TIMEOUT_S)
    assert json.loads(text) == {"items": ["y" * 100] * 340}


def test_a_dripping_body_fails_at_the_overall_deadline() -> None:
    with pytest.raises(HttpToolError, match=r"no answer within 1s \(the whole response"):
        call_misbehaving("/drip", timeout_s=1.0)


def test_a_compressed_body_is_capped_after_decompression() -> None:
    with pytest.raises(HttpToolError, match="larger than 65536 bytes"):
        call_misbehaving("/bomb", max_response_bytes=65536, timeout_s=CAP_TEST_TIMEOUT_S)
    text = call_misbehaving("/packed", max_response_bytes=65536, timeout_s=CAP_TEST_TIMEOUT_S)
    assert json.loads(text) == {"items": ["y" * 100] * 340}


# ------------------------------------------------------------------ where a call may go


@pytest.mark.parametrize(
    ("host", "kind"),
    [("2130706433", "loopback"), ("0177.0.0.1", "loopback"), ("0x7f.1", "loopback"),
     ("127.1", "loopback"), ("[::ffff:127.0.0.1]", "loopback"), ("[::1]", "loopback"),
     ("0.0.0.0", "unspecified"), ("169.254.169.254", "link-local"), ("10.1.2.3", "private"),
     ("192.168.0.1", "private"), ("[fe80::1]", "link-local")],
)
def test_addresses_that_are_not_public_are_refused_in_every_notation(host: str,
                                                                      kind: str) -> None:
    async def main() -> list[dict[str, Any]]:
        async with service() as (base, seen):
            port = base.rsplit(":", 1)[1]
            bare = HttpTool(name="check_slot", description="d",
                            url=f"http://{host}:{port}/slots", parameters={"type": "object"},
                            allow_hosts=(host,), hosts_given=False, timeout_s=2.0)
            with pytest.raises(HttpToolError, match=f"a {kind} address; such addresses"
                               " are refused unless listed"):
                await call_http_tool(bare, {"day": "monday"})
            return seen

    assert run(main()) == []  # nothing reached the service


def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    async def internal(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]  # one bad address is enough to refuse

    named = HttpTool(name="check_slot", description="d", url="https://api.example.com/x",
                     parameters={"type": "object"}, allow_hosts=("api.example.com",),
                     hosts_given=False)
    with pytest.raises(HttpToolError, match="api.example.com is 10.0.0.7, a private"):
        run(call_http_tool(named, {}, resolve=internal))


def test_the_connection_goes_to_the_checked_address() -> None:
    """The name is resolved once, checked, and the connection made to that address: the
    service sees the tool's host name, which no resolver here knows."""
    lookups: list[str] = []

    async def local(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    async def main() -> tuple[str, list[str]]:
        async with misbehaving() as (base, hosts):
            port = base.rsplit(":", 1)[1]
            named = HttpTool(name="check_slot", description="d",
                             url=f"http://calendar.invalid:{port}/two",
                             parameters={"type": "object"},
                             allow_hosts=("calendar.invalid", "127.0.0.1"),
                             max_response_bytes=65536)
            return await call_http_tool(named, {}, resolve=local), hosts

    text, hosts = run(main())
    assert json.loads(text)["items"][0] == "y" * 100
    assert lookups == ["calendar.invalid"]
    assert hosts == [f"calendar.invalid:{hosts[0].rsplit(':', 1)[1]}"]


def test_an_allowed_port_is_the_only_port() -> None:
    async def main() -> None:
        async with service() as (base, _):
            await call_http_tool(tool(f"{base}/slots", allow_hosts=("127.0.0.1:1",)), {})

    with pytest.raises(HttpToolError, match="is not allowed"):
        run(main())


def test_a_url_with_user_info_is_refused_at_call_time_too() -> None:
    async def main() -> list[dict[str, Any]]:
        async with service() as (base, seen):
            port = base.rsplit(":", 1)[1]
            await call_http_tool(
                tool(f"http://ats.example.com:secret@127.0.0.1:{port}/slots",
                     allow_hosts=("127.0.0.1",)), {})
            return seen

    with pytest.raises(HttpToolError, match="is not allowed"):
        run(main())


@pytest.mark.parametrize(("url", "listed", "codes"), [
    ("http://localhost:8080/slots", None, ["MF115"]),  # always refused at call time
    ("http://localhost:8080/slots", ["localhost:8080"], []),
    ("http://app.localhost:8080/slots", None, ["MF115"]),
    ("https://ats/slots", None, ["MF521"]),  # probably private: only DNS can tell
    ("https://ats.corp.internal/slots", None, ["MF521"]),
    ("https://ats.example.com/slots", None, []),
])
def test_validate_says_what_the_call_would_refuse(url: str, listed: list[str] | None,
                                                  codes: list[str]) -> None:
    """A tool on a host that is never public (localhost) used to validate cleanly and then
    fail at every call: validate now says so, with the fix."""
    from mockflow.format.hosts import tool_url_problems
    from mockflow.format.model import _tool

    http: dict[str, Any] = {"url": url, **({"allow_hosts": listed} if listed else {})}
    t = _tool({"name": "slots", "description": "d", "http": http})
    found = tool_url_problems(t.name, t.url, t.allow_hosts, t.explicit_hosts)
    assert [c for c, _ in found] == codes, found
    if codes == ["MF115"]:
        assert "is a loopback name" in found[0][1] and "add allow_hosts:" in found[0][1]


def test_a_listed_localhost_tool_is_called() -> None:
    async def body() -> None:
        async with service() as (base, _):
            port = int(base.rsplit(":", 1)[1])
            t = tool(f"http://localhost:{port}/slots", allow_hosts=(f"localhost:{port}",),
                     hosts_given=True)

            async def loopback(host: str, p: int) -> list[str]:
                return ["127.0.0.1"]

            assert json.loads(await call_http_tool(t, {"day": "mon"}, resolve=loopback))

    run(body())
