"""Recruiter-declared HTTP actions: POST the arguments as JSON, bounded in every way.

Before any byte is sent: the URL's host must be in the allow-list (the URL's own host and
port by default), and every address it resolves to must be public — loopback,
link-local, private, unspecified and reserved addresses, in any notation and inside
IPv4-mapped IPv6, are refused unless the file lists that address in ``allow_hosts``. The
connection goes to the addresses that were checked (no second lookup, so DNS can't
change the answer in between), on the URL's port. No redirects, no proxy from the
environment, no cookies. The response is read to its end within the tool's timeout (one
deadline for the whole exchange, so a server that drips a byte at a time fails too) and
at most ``max_response_bytes`` of it, after decompression. Only the response text goes
back to the model. Plain aiohttp: the agent layer wraps it as a function tool.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Mapping

import aiohttp

from mockflow.format.addresses import (
    AddressRefused,
    Resolve,
    pinned_resolver,
    system_resolve,
)
from mockflow.format.addresses import checked_addresses as _checked
from mockflow.format.errors import MockflowError
from mockflow.format.hosts import url_problem
from mockflow.format.model import HttpTool


class HttpToolError(MockflowError):
    """The action failed; the message is safe to show the model."""


async def checked_addresses(tool: HttpTool, resolve: Resolve = system_resolve
                            ) -> tuple[str, int, tuple[str, ...]]:
    """(host, port, addresses) the tool may connect to; raises HttpToolError otherwise."""
    try:
        return await _checked(tool.name, tool.url, tool.explicit_hosts, resolve)
    except AddressRefused as exc:
        raise HttpToolError(str(exc)) from None


class _Body:
    """The response body up to a cap, decompressing gzip/deflate with a bound on the
    output (a small compressed body can't expand past the cap)."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.raw = 0
        enc = encoding.strip().lower()
        self._zlib: zlib._Decompress | None
        if enc in ("", "identity"):
            self._zlib = None
        elif enc in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise ValueError(enc)

    def feed(self, chunk: bytes) -> bool:
        """Add a chunk; False once the body is over the cap."""
        self.raw += len(chunk)
        if self.raw > self.cap:
            return False
        if self._zlib is None:
            self.data += chunk
            return len(self.data) <= self.cap
        while chunk:
            self.data += self._zlib.decompress(chunk, self.cap + 1 - len(self.data))
            if len(self.data) > self.cap:
                return False
            chunk = self._zlib.unconsumed_tail
        return True

    def finish(self) -> bool:
        if self._zlib is not None:
            self.data += self._zlib.flush(self.cap + 1 - len(self.data))
        return len(self.data) <= self.cap


async def call_http_tool(tool: HttpTool, arguments: Mapping[str, object], *,
                         resolve: Resolve = system_resolve) -> str:
    """POST ``arguments`` to the tool's URL; return the response text (JSON re-serialised).
    Raises ``HttpToolError`` with a message for the model on any failure."""
    try:
        async with asyncio.timeout(tool.timeout_s):
            return await _call(tool, arguments, resolve)
    except TimeoutError:
        raise HttpToolError(f"{tool.name}: no answer within {tool.timeout_s:g}s"
                            " (the whole response must arrive in that time)") from None
    except aiohttp.ClientError as exc:
        raise HttpToolError(f"{tool.name}: request failed ({type(exc).__name__})") from None
    except OSError as exc:
        raise HttpToolError(f"{tool.name}: request failed ({exc.strerror or exc})") from None


async def _call(tool: HttpTool, arguments: Mapping[str, object], resolve: Resolve) -> str:
    try:
        allowed = tool.host_allowed() and url_problem(tool.url) is None
    except ValueError:
        allowed = False
    if not allowed:
        raise HttpToolError(f"{tool.name}: host of {tool.url} is not allowed")
    host, _, addresses = await checked_addresses(tool, resolve)
    connector = aiohttp.TCPConnector(resolver=pinned_resolver(host, addresses),
                                     use_dns_cache=False, force_close=True)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                     trust_env=False,
                                     cookie_jar=aiohttp.DummyCookieJar()) as client:
        async with client.post(tool.url, json=dict(arguments), allow_redirects=False,
                               headers={"Accept-Encoding": "gzip, deflate"}) as response:
            if 300 <= response.status < 400:
                raise HttpToolError(f"{tool.name}: the service redirected"
                                    f" ({response.status}); redirects are not followed")
            cap = tool.max_response_bytes
            too_large = HttpToolError(f"{tool.name}: the response is larger than {cap}"
                                      " bytes (max_response_bytes)")
            if response.content_length is not None and response.content_length > cap:
                raise too_large
            encoding = response.headers.get("Content-Encoding", "")
            try:
                body = _Body(encoding, cap)
            except ValueError:
                raise HttpToolError(f"{tool.name}: the response uses an unsupported"
                                    f" encoding '{encoding}'") from None
            try:
                async for chunk in response.content.iter_any():
                    if not body.feed(chunk):
                        raise too_large
                if not body.finish():
                    raise too_large
            except zlib.error:
                raise HttpToolError(f"{tool.name}: the response is not valid"
                                    f" {encoding}") from None
            if response.status >= 400:
                raise HttpToolError(f"{tool.name}: the service answered {response.status}")
    text = bytes(body.data).decode("utf-8", errors="replace")
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except (json.JSONDecodeError, RecursionError):
        return text
