"""Recruiter-declared HTTP actions: POST the arguments as JSON, bounded in every way.

Host allow-list (checked on the URL before any request), no redirects, a timeout, and a
response size cap. Only the response text goes back to the model. Plain aiohttp: the
agent layer wraps it as a function tool.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import aiohttp

from mockflow.format.errors import MockflowError
from mockflow.format.model import HttpTool


class HttpToolError(MockflowError):
    """The action failed; the message is safe to show the model."""


async def call_http_tool(tool: HttpTool, arguments: Mapping[str, object],
                         session: aiohttp.ClientSession | None = None) -> str:
    """POST ``arguments`` to the tool's URL; return the (capped) response text."""
    if not tool.host_allowed():
        raise HttpToolError(f"{tool.name}: host of {tool.url} is not allowed")
    timeout = aiohttp.ClientTimeout(total=tool.timeout_s)
    own = session is None
    client = session or aiohttp.ClientSession(timeout=timeout)
    try:
        async with client.post(tool.url, json=dict(arguments), allow_redirects=False,
                               timeout=timeout) as response:
            if 300 <= response.status < 400:
                raise HttpToolError(f"{tool.name}: the service redirected"
                                    f" ({response.status}); redirects are not followed")
            body = await response.content.read(tool.max_response_bytes + 1)
            if len(body) > tool.max_response_bytes:
                raise HttpToolError(f"{tool.name}: the response is larger than"
                                    f" {tool.max_response_bytes} bytes")
            text = body.decode("utf-8", errors="replace")
            if response.status >= 400:
                raise HttpToolError(f"{tool.name}: the service answered {response.status}")
            try:
                return json.dumps(json.loads(text), ensure_ascii=False)
            except json.JSONDecodeError:
                return text
    except TimeoutError:
        raise HttpToolError(f"{tool.name}: no answer within {tool.timeout_s:g}s") from None
    except aiohttp.ClientError as exc:
        raise HttpToolError(f"{tool.name}: request failed ({type(exc).__name__})") from None
    finally:
        if own:
            await client.close()
