"""A local, scripted, OpenAI-compatible chat-completions server.

:class:`FakeOpenAIServer` speaks enough of the OpenAI HTTP protocol that unmodified clients
(the official ``openai`` package, ``livekit.plugins.openai.LLM``) work against it:

* ``POST /v1/chat/completions`` -- JSON (``chat.completion``) or server-sent events
  (``chat.completion.chunk`` ... ``data: [DONE]``), with streamed text, streamed tool calls,
  ``finish_reason`` and, when ``stream_options.include_usage`` is set, a usage chunk;
* ``GET /v1/models`` -- the configured model names plus every model seen in a request;
* errors in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.

What the "model" says comes from a *policy*: a callable that receives the parsed
:class:`ChatRequest` and returns a :class:`Reply` (or a plain string, or an awaitable of
either); ``mockflow.testing.scripts`` has policies that replay fixed replies. Fault knobs
(:meth:`FakeOpenAIServer.fail_next`, :meth:`FakeOpenAIServer.stall_next`), a time to first
token and a streaming pace make latency and failure paths testable, and every request is kept
as an :class:`Exchange` with ``perf_counter`` timestamps for benchmarks.

The server binds to a loopback address only, caps request bodies and bounds every wait.
It depends on aiohttp and the standard library only.

From the command line: ``python -m mockflow.testing.serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, TypeAlias

from aiohttp import web

__all__ = [
    "ChatRequest",
    "Exchange",
    "FakeOpenAIServer",
    "RequestOutcome",
    "Policy",
    "Reply",
    "ToolCall",
    "as_reply",
    "echo_policy",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "mockflow-scripted"
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_POLICY_TIMEOUT = 30.0
DEFAULT_STALL_SECONDS = 30.0
_MAX_STALL_SECONDS = 600.0
_ARGUMENT_FRAGMENT_CHARS = 8
_TOKEN_RE = re.compile(r"\s*\S+|\s+")


@dataclass(frozen=True)
class ToolCall:
    """A function call the fake model makes.

    ``arguments`` is sent verbatim as the JSON text of the call's arguments; it may be
    deliberately malformed to exercise a client's error handling. ``id`` defaults to a
    generated ``call_...`` identifier.
    """

    name: str
    arguments: str = "{}"
    id: str | None = None


@dataclass(frozen=True)
class Reply:
    """One response of the fake model.

    ``status`` other than 200 makes the server answer with an OpenAI-style JSON error body
    (``error`` is its message, ``error_code`` its ``code``) instead of a completion.
    ``finish_reason`` defaults to ``"tool_calls"`` when there are tool calls, else ``"stop"``.
    ``ttft`` overrides the server's time to first token for this reply only.
    ``disconnect_after`` (streaming only) drops the connection after that many text tokens,
    without ``finish_reason`` or ``[DONE]``: a reply that breaks off mid-stream.
    """

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    status: int = 200
    error: str = ""
    error_code: str | None = None
    finish_reason: str | None = None
    ttft: float | None = None
    disconnect_after: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.tool_calls, tuple):  # tolerate a list from callers
            object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        if self.status != 200 and not 400 <= self.status <= 599:
            raise ValueError(f"status must be 200 or an HTTP error 4xx/5xx, got {self.status}")
        if self.ttft is not None and self.ttft < 0:
            raise ValueError("ttft must be >= 0")
        if self.disconnect_after is not None and self.disconnect_after < 0:
            raise ValueError("disconnect_after must be >= 0")


@dataclass(frozen=True)
class ChatRequest:
    """A parsed ``POST /v1/chat/completions`` request, as handed to the policy."""

    index: int
    """0-based position among the chat requests this server received."""
    model: str
    messages: list[dict[str, Any]]
    """The messages exactly as the client sent them."""
    tools: list[dict[str, Any]]
    stream: bool
    raw: dict[str, Any] = field(repr=False)
    """The whole JSON body."""
    headers: dict[str, str] = field(repr=False)
    """Request headers with lower-case names; ``authorization`` is redacted."""
    received_at: float
    """``time.perf_counter()`` when the request reached the handler."""

    @property
    def include_usage(self) -> bool:
        opts = self.raw.get("stream_options")
        return bool(self.stream and isinstance(opts, dict) and opts.get("include_usage"))

    @property
    def last_user_text(self) -> str:
        """Text of the last ``user`` message (text parts joined), or ``""``."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return message_text(message.get("content"))
        return ""


RequestOutcome: TypeAlias = Literal["pending", "ok", "error", "injected", "stalled", "disconnected"]


@dataclass
class Exchange:
    """What happened to one chat request; filled in by the server as the response goes out."""

    request: ChatRequest
    status: int | None = None
    """HTTP status sent (``None`` while pending, or when the connection was dropped first)."""
    reply: Reply | None = None
    """The policy's reply (``None`` for injected faults)."""
    outcome: RequestOutcome = "pending"
    first_chunk_at: float | None = None
    """``perf_counter`` when the first content or tool-call data was written (stream: the
    first chunk carrying text or a tool-call fragment; non-stream: the response body)."""
    finished_at: float | None = None
    """``perf_counter`` when the last byte of the response was written."""

    @property
    def ttft(self) -> float | None:
        """Server-side time from request arrival to the first content/tool-call data."""
        if self.first_chunk_at is None:
            return None
        return self.first_chunk_at - self.request.received_at


Policy: TypeAlias = Callable[[ChatRequest], "Reply | str | Awaitable[Reply | str]"]
"""Decides the fake model's response to a request."""


def echo_policy(request: ChatRequest) -> Reply:
    """Default policy: answer with the text of the last user message."""
    return Reply(text=request.last_user_text or "(no user message)")


class FakeOpenAIServer:
    """A scripted OpenAI-compatible server on a loopback port.

    Use as ``async with FakeOpenAIServer(ScriptedPolicy(["hi"])) as server:`` and point a
    client at :attr:`base_url`. ``ttft`` (seconds before the first token), ``tokens_per_s``
    (streaming pace; ``None`` streams as fast as possible) and ``policy`` may be changed
    between requests.
    """

    def __init__(
        self,
        policy: Policy | None = None,
        *,
        ttft: float = 0.0,
        tokens_per_s: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] = (DEFAULT_MODEL,),
        require_api_key: str | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        policy_timeout: float = DEFAULT_POLICY_TIMEOUT,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"FakeOpenAIServer binds to loopback addresses only, not {host!r}")
        if ttft < 0:
            raise ValueError("ttft must be >= 0")
        if tokens_per_s is not None and tokens_per_s <= 0:
            raise ValueError("tokens_per_s must be > 0 or None")
        self.policy: Policy = policy if policy is not None else echo_policy
        self.ttft = ttft
        self.tokens_per_s = tokens_per_s
        self.policy_timeout = policy_timeout
        self.require_api_key = require_api_key
        self.exchanges: list[Exchange] = []
        self._host = host
        self._port = port
        self._models = list(dict.fromkeys([models] if isinstance(models, str) else models))
        self._max_body_bytes = max_body_bytes
        self._fail: list[tuple[int, str]] = []
        self._stall: list[float] = []
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._arrived = asyncio.Condition()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start serving. The port is known (see :attr:`port`) once this returns."""
        if self._runner is not None:
            raise RuntimeError("server already started")
        app = web.Application(client_max_size=self._max_body_bytes, middlewares=[_error_shape])
        app.router.add_post("/v1/chat/completions", self._handle_chat)
        app.router.add_get("/v1/models", self._handle_models)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        addresses = runner.addresses
        self._port = int(addresses[0][1])
        self._closing = asyncio.Event()  # bound to the loop the server runs on
        self._arrived = asyncio.Condition()
        self._runner = runner
        logger.debug("fake OpenAI server listening on %s", self.base_url)

    async def stop(self) -> None:
        """Stop serving; in-flight stalls end at once. Safe to call more than once."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing.set()
        await runner.cleanup()

    async def __aenter__(self) -> FakeOpenAIServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- introspection -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._runner is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>/v1`` -- what OpenAI clients take as ``base_url``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}/v1"

    @property
    def requests(self) -> list[ChatRequest]:
        """Every chat request received so far, in arrival order (a fresh list)."""
        return [e.request for e in self.exchanges]

    @property
    def request_count(self) -> int:
        return len(self.exchanges)

    @property
    def models(self) -> list[str]:
        """Configured model names followed by every other model name seen in a request."""
        return list(self._models)

    async def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[ChatRequest]:
        """Wait until at least ``n`` chat requests have arrived; ``TimeoutError`` after
        ``timeout`` seconds."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.exchanges) >= n)
        return self.requests

    # -- fault knobs -------------------------------------------------------------------------

    def fail_next(self, status: int = 500, count: int = 1, message: str = "") -> None:
        """Answer the next ``count`` chat requests with HTTP ``status`` (OpenAI error body)
        without consulting the policy, so a scripted reply is not used up by a failure."""
        if not 400 <= status <= 599:
            raise ValueError("fail_next status must be 4xx or 5xx")
        self._fail.extend([(status, message)] * count)

    def stall_next(self, seconds: float = DEFAULT_STALL_SECONDS, count: int = 1) -> None:
        """Make the next ``count`` chat requests hang: a streaming request gets its 200 and
        headers but no chunk, a non-streaming one gets nothing; after ``seconds`` (or when
        the client gives up, or the server stops) the connection is closed without a
        response body. The policy is not consulted."""
        if not 0 <= seconds <= _MAX_STALL_SECONDS:
            raise ValueError(f"stall seconds must be within 0..{_MAX_STALL_SECONDS}")
        self._stall.extend([seconds] * count)

    # -- handlers ----------------------------------------------------------------------------

    async def _handle_models(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._check_auth(request)) is not None:
            return denied
        created = int(time.time())
        data = [
            {"id": name, "object": "model", "created": created, "owned_by": "mockflow"}
            for name in self._models
        ]
        return web.json_response({"object": "list", "data": data})

    async def _handle_chat(self, request: web.Request) -> web.StreamResponse:
        received_at = time.perf_counter()
        if (denied := self._check_auth(request)) is not None:
            return denied
        body = await request.read()  # bounded by client_max_size
        try:
            raw = json.loads(body)
        except ValueError:
            return _error_response(400, "request body is not valid JSON")
        if not isinstance(raw, dict):
            return _error_response(400, "request body must be a JSON object")
        problem = _validate(raw)
        if problem:
            return _error_response(400, problem)

        model = raw["model"]
        if model not in self._models:
            self._models.append(model)
        chat = ChatRequest(
            index=len(self.exchanges),
            model=model,
            messages=raw["messages"],
            tools=list(raw.get("tools") or []),
            stream=bool(raw.get("stream")),
            raw=raw,
            headers=_recorded_headers(request),
            received_at=received_at,
        )
        exchange = Exchange(request=chat)
        self.exchanges.append(exchange)
        async with self._arrived:
            self._arrived.notify_all()

        try:
            return await self._respond(request, exchange)
        except asyncio.CancelledError:
            # the client went away (aiohttp cancels the handler) or the server is stopping
            if exchange.outcome == "pending":
                exchange.outcome = "disconnected"
            raise

    async def _respond(self, request: web.Request, exchange: Exchange) -> web.StreamResponse:
        chat = exchange.request
        if self._fail:
            status, message = self._fail.pop(0)
            exchange.status, exchange.outcome = status, "injected"
            exchange.finished_at = time.perf_counter()
            return _error_response(status, message or f"injected failure ({status})")
        if self._stall:
            return await self._stall_response(request, exchange, self._stall.pop(0))

        reply = await self._call_policy(chat)
        exchange.reply = reply
        if reply.status != 200:
            exchange.status, exchange.outcome = reply.status, "error"
            exchange.finished_at = time.perf_counter()
            return _error_response(reply.status, reply.error, code=reply.error_code)

        ttft = self.ttft if reply.ttft is None else reply.ttft
        if chat.stream:
            return await self._stream(request, exchange, reply, ttft)

        completion = _Completion(chat, reply)
        pieces = len(completion.text_tokens) + sum(len(f) for f in completion.arg_fragments)
        await asyncio.sleep(ttft + max(0, pieces - 1) * self._interval())
        response = web.json_response(completion.message_body())
        try:
            await response.prepare(request)
            exchange.first_chunk_at = time.perf_counter()
            await response.write_eof()
        except ConnectionError:
            exchange.outcome = "disconnected"
            return response  # aiohttp sees the closed transport and drops it quietly
        exchange.status, exchange.outcome = 200, "ok"
        exchange.finished_at = time.perf_counter()
        return response

    async def _stream(
        self, request: web.Request, exchange: Exchange, reply: Reply, ttft: float
    ) -> web.StreamResponse:
        response = _sse_response(exchange.request.index)
        try:
            await response.prepare(request)
            exchange.status = 200
            await self._write_stream(response, exchange, reply, ttft)
        except ConnectionError:
            # the client hung up mid-stream; returning the response lets aiohttp notice the
            # closed transport and drop the connection without logging an error
            if exchange.outcome == "pending":
                exchange.outcome = "disconnected"
            if reply.disconnect_after is not None and request.transport is not None:
                request.transport.close()  # a scripted break: no end of the chunked body
        return response

    async def _write_stream(
        self, response: web.StreamResponse, exchange: Exchange, reply: Reply, ttft: float
    ) -> None:
        chat = exchange.request
        completion = _Completion(chat, reply)
        if ttft > 0:
            await asyncio.sleep(ttft)

        interval = self._interval()
        sent_piece = False

        async def piece(delta: dict[str, Any]) -> None:
            nonlocal sent_piece
            if sent_piece and interval > 0:
                await asyncio.sleep(interval)
            await _write_event(response, completion.chunk(delta))
            if not sent_piece:
                exchange.first_chunk_at = time.perf_counter()
            sent_piece = True

        if reply.text or not reply.tool_calls:
            # OpenAI opens a text answer with a role-only chunk whose content is ""
            await _write_event(
                response, completion.chunk({"role": "assistant", "content": "", "refusal": None})
            )
            for n, token in enumerate(completion.text_tokens):
                if n == reply.disconnect_after:
                    break
                await piece({"content": token})
        if reply.disconnect_after is not None:
            # break off mid-reply: no finish_reason, no [DONE], the connection just ends
            exchange.outcome = "disconnected"
            exchange.finished_at = time.perf_counter()
            raise ConnectionResetError("scripted disconnect")
        for i, (call, call_id) in enumerate(
            zip(reply.tool_calls, completion.call_ids, strict=True)
        ):
            opening: dict[str, Any] = {
                "tool_calls": [
                    {
                        "index": i,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ]
            }
            if i == 0 and not reply.text:
                opening = {"role": "assistant", "content": None, **opening}
            await piece(opening)
            for fragment in completion.arg_fragments[i]:
                await piece({"tool_calls": [{"index": i, "function": {"arguments": fragment}}]})
        await _write_event(response, completion.chunk({}, finish_reason=completion.finish_reason))
        if chat.include_usage:
            usage_chunk = completion.chunk(None)
            usage_chunk["usage"] = completion.usage()
            await _write_event(response, usage_chunk)
        await response.write(b"data: [DONE]\n\n")
        # [DONE] is the end of the answer: the openai client may hang up before the final
        # chunk terminator, so the exchange is complete from here
        exchange.outcome = "ok"
        exchange.finished_at = time.perf_counter()
        await response.write_eof()

    async def _stall_response(
        self, request: web.Request, exchange: Exchange, seconds: float
    ) -> web.StreamResponse:
        exchange.outcome = "stalled"
        response: web.StreamResponse | None = None
        if exchange.request.stream:
            response = _sse_response(exchange.request.index)
            try:
                await response.prepare(request)
            except ConnectionError:
                return response
            exchange.status = 200
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
        exchange.finished_at = time.perf_counter()
        # Drop the connection without a (complete) response: once the transport is closing,
        # aiohttp's final write fails and it treats the exchange as a client disconnect.
        if request.transport is not None:
            request.transport.close()
        return response if response is not None else _error_response(504, "stalled")

    async def _call_policy(self, chat: ChatRequest) -> Reply:
        try:
            result = self.policy(chat)
            if inspect.isawaitable(result):
                result = await asyncio.wait_for(result, self.policy_timeout)
            return as_reply(result)
        except TimeoutError:
            message = f"policy did not answer within {self.policy_timeout}s"
        except Exception as exc:  # the fake must answer, whatever the policy does
            logger.exception("policy failed on request #%d", chat.index)
            message = f"policy raised {type(exc).__name__}: {exc}"
        return Reply(status=500, error=message, error_code="policy_error")

    def _check_auth(self, request: web.Request) -> web.Response | None:
        if self.require_api_key is None:
            return None
        if request.headers.get("Authorization") == f"Bearer {self.require_api_key}":
            return None
        return _error_response(401, "Incorrect API key provided.", code="invalid_api_key")

    def _interval(self) -> float:
        return 1.0 / self.tokens_per_s if self.tokens_per_s else 0.0


class _Completion:
    """Builds the OpenAI-shaped bodies for one reply."""

    def __init__(self, chat: ChatRequest, reply: Reply) -> None:
        self.chat = chat
        self.reply = reply
        self.id = f"chatcmpl-mock{chat.index}{secrets.token_hex(6)}"
        self.created = int(time.time())
        self.text_tokens = _tokenize(reply.text)
        self.call_ids = [c.id or f"call_{secrets.token_hex(12)}" for c in reply.tool_calls]
        self.arg_fragments = [_fragments(c.arguments) for c in reply.tool_calls]
        self.finish_reason = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")

    def usage(self) -> dict[str, int]:
        prompt = _estimate_prompt_tokens(self.chat)
        completion = len(self.text_tokens) + sum(len(f) + 1 for f in self.arg_fragments)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def chunk(
        self, delta: dict[str, Any] | None, finish_reason: str | None = None
    ) -> dict[str, Any]:
        """A ``chat.completion.chunk``; ``delta=None`` gives the choice-less usage chunk."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.chat.model,
            "service_tier": "default",
            "system_fingerprint": "fp_mockflow",
            "choices": []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if self.chat.include_usage:
            body["usage"] = None  # OpenAI sends usage: null on every chunk but the last
        return body

    def message_body(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.reply.text if self.reply.text or not self.reply.tool_calls else None,
            "refusal": None,
            "annotations": [],
        }
        if self.reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": cid,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c, cid in zip(self.reply.tool_calls, self.call_ids, strict=True)
            ]
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.chat.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": self.finish_reason,
                }
            ],
            "usage": self.usage(),
            "service_tier": "default",
            "system_fingerprint": "fp_mockflow",
        }


# -- helpers -------------------------------------------------------------------------------


def as_reply(value: Any) -> Reply:
    """A policy's result as a :class:`Reply` (a string is a text reply)."""
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply(text=value)
    raise TypeError(f"a policy must return a Reply or a str, got {type(value).__name__}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tokenize(text: str) -> list[str]:
    """Word-ish tokens that concatenate back to ``text`` (leading spaces stay attached)."""
    return _TOKEN_RE.findall(text)


def _fragments(arguments: str) -> list[str]:
    n = _ARGUMENT_FRAGMENT_CHARS
    return [arguments[i : i + n] for i in range(0, len(arguments), n)]


def message_text(content: Any) -> str:
    """The text of a chat message's ``content``: the string itself, or its ``text`` parts
    joined as OpenAI reads them (no separator; images and other parts left out)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _estimate_prompt_tokens(chat: ChatRequest) -> int:
    tokens = sum(4 + len(_tokenize(message_text(m.get("content")))) for m in chat.messages)
    if chat.tools:
        tokens += len(json.dumps(chat.tools)) // 4
    return tokens


def _validate(raw: Mapping[str, Any]) -> str:
    if not isinstance(raw.get("model"), str) or not raw["model"]:
        return "you must provide a model parameter"
    messages = raw.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return "'messages' must be an array of message objects"
    tools = raw.get("tools")
    if tools is not None and not isinstance(tools, list):
        return "'tools' must be an array"
    return ""


def _recorded_headers(request: web.Request) -> dict[str, str]:
    headers = {k.lower(): v for k, v in request.headers.items()}
    if "authorization" in headers:
        headers["authorization"] = "<redacted>"
    return headers


def _sse_response(index: int) -> web.StreamResponse:
    return web.StreamResponse(
        status=200,
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "x-request-id": f"req_mock_{index}",
        },
    )


async def _write_event(response: web.StreamResponse, obj: Mapping[str, Any]) -> None:
    data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    await response.write(f"data: {data}\n\n".encode())


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "requests",
}


def _error_response(status: int, message: str, *, code: str | None = None) -> web.Response:
    error_type = _ERROR_TYPES.get(
        status, "server_error" if status >= 500 else "invalid_request_error"
    )
    if not message:
        message = (
            "The server had an error while processing your request."
            if status >= 500
            else (f"request failed with status {status}")
        )
    if code is None and status == 429:
        code = "rate_limit_exceeded"
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return web.json_response(body, status=status)


@web.middleware
async def _error_shape(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn aiohttp's plain-text HTTP errors (404, 405, 413, ...) into OpenAI's JSON shape."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error_response(exc.status, exc.text or exc.reason)
