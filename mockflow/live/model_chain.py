"""The interviewer's model chain: the file's models, then the engine's own words.

``build_chain`` puts the file's primary and ``fallback`` models behind LiveKit's
``FallbackAdapter`` and always ends it with the built-in offline interviewer model
(``OfflineInterviewerLLM``), which speaks the engine's moves without a network: when
every hosted model fails, the interview goes on, scripted, instead of stalling.

Each model is wrapped in a ``GuardedLLM`` that turns what the adapter would accept into
failures it acts on: no first token (or a gap between tokens) within
``voice.llm.timeout_s`` is a timeout (not retried: the next model is asked at once), and
an empty or whitespace-only reply is a failure too. A server error gets one quick retry
on the same model. Every failure and every scripted turn lands in ``ModelHealth``,
which the agent writes to ``session.json`` (``degraded: model unavailable``, when and
why).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import llm
from livekit.agents._exceptions import APIConnectionError, APIError, APITimeoutError
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions

from mockflow.format.errors import MockflowError
from mockflow.live.offline_llm import OfflineInterviewerLLM

DEGRADED = "model unavailable"
MAX_RECORDED_EVENTS = 50
RETRY_INTERVAL_S = 0.25


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1000):03d}Z"


@dataclass(slots=True)
class ModelEvent:
    at: float  # wall clock (time.time())
    model: str
    what: str  # "failed" | "scripted"
    why: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"at": _iso(self.at), "model": self.model, "what": self.what, "why": self.why}


@dataclass(slots=True)
class ModelHealth:
    """What happened to the models during one session (no candidate text here)."""

    events: list[ModelEvent] = field(default_factory=list)
    failures: int = 0
    scripted_turns: int = 0
    degraded_at: float | None = None
    degraded_why: str | None = None
    last_failure: str | None = None

    def failed(self, model: str, why: str) -> None:
        self.failures += 1
        self.last_failure = f"{model}: {why}"
        self._add(ModelEvent(time.time(), model, "failed", why))

    def scripted(self, model: str) -> None:
        """A turn went out in the engine's own words."""
        self.scripted_turns += 1
        now = time.time()
        if self.degraded_at is None:
            self.degraded_at = now
            self.degraded_why = self.last_failure or "no model answered"
        self._add(ModelEvent(now, model, "scripted", self.last_failure or ""))

    def _add(self, event: ModelEvent) -> None:
        if len(self.events) < MAX_RECORDED_EVENTS:
            self.events.append(event)

    def degraded(self) -> dict[str, Any] | None:
        """``session.json``'s ``degraded`` entry: None while every turn had a model."""
        if self.degraded_at is None:
            return None
        return {"reason": DEGRADED, "at": _iso(self.degraded_at), "why": self.degraded_why,
                "scripted_turns": self.scripted_turns}

    def to_dict(self) -> dict[str, Any]:
        return {"failures": self.failures, "scripted_turns": self.scripted_turns,
                "events": [e.to_dict() for e in self.events],
                "events_dropped": max(0, self.failures + self.scripted_turns
                                      - len(self.events))}


class EmptyReply(APIError, MockflowError):
    """A model ended its reply without a word or a tool call (LiveKit's ``APIError``, so
    the fallback chain moves on)."""

    def __init__(self) -> None:
        super().__init__("the reply was empty", retryable=False)


class GuardedLLM(llm.LLM[Any]):
    """One model of the chain, with a deadline per token and no empty replies."""

    def __init__(self, inner: llm.LLM[Any], *, name: str, timeout_s: float,
                 health: ModelHealth, scripted: bool = False) -> None:
        super().__init__()
        self.inner = inner
        self.name = name
        self.timeout_s = timeout_s
        self.health = health
        self.scripted = scripted

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def provider(self) -> str:
        return self.inner.provider

    def chat(self, *, chat_ctx: llm.ChatContext, tools: list[llm.Tool] | None = None,
             conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
             parallel_tool_calls: Any = NOT_GIVEN, tool_choice: Any = NOT_GIVEN,
             extra_kwargs: Any = NOT_GIVEN) -> llm.LLMStream:
        return _GuardedStream(self, chat_ctx=chat_ctx, tools=tools or [],
                              conn_options=conn_options,
                              options=(parallel_tool_calls, tool_choice, extra_kwargs))

    async def aclose(self) -> None:
        await self.inner.aclose()


class _GuardedStream(llm.LLMStream):
    def __init__(self, guarded: GuardedLLM, *, chat_ctx: llm.ChatContext,
                 tools: list[llm.Tool], conn_options: APIConnectOptions,
                 options: tuple[Any, Any, Any]) -> None:
        super().__init__(guarded, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._guarded = guarded
        self._options = options

    async def _run(self) -> None:
        guarded = self._guarded
        try:
            await self._relay()
        except APIError as exc:
            guarded.health.failed(guarded.name, describe(exc))
            raise
        except Exception as exc:
            guarded.health.failed(guarded.name, describe(exc))
            raise APIConnectionError(f"{guarded.name} failed: {exc}", retryable=False
                                     ) from exc
        if guarded.scripted:
            guarded.health.scripted(guarded.name)

    async def _relay(self) -> None:
        guarded = self._guarded
        parallel, choice, extra = self._options
        held: list[llm.ChatChunk] = []  # contentless chunks until the reply says something
        spoke = False
        async with guarded.inner.chat(
            chat_ctx=self._chat_ctx, tools=self._tools, parallel_tool_calls=parallel,
            tool_choice=choice, extra_kwargs=extra,
            conn_options=dataclasses.replace(self._conn_options, max_retry=0),
        ) as stream:
            chunks = stream.__aiter__()
            while True:
                try:
                    chunk = await asyncio.wait_for(chunks.__anext__(), guarded.timeout_s)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    what = "for the next token" if spoke else "for the first token"
                    raise APITimeoutError(f"waited {guarded.timeout_s:g}s {what}"
                                          " (voice.llm.timeout_s)", retryable=False) from None
                if not spoke:
                    delta = chunk.delta
                    if delta is None or not ((delta.content or "").strip()
                                             or delta.tool_calls):
                        held.append(chunk)
                        continue
                    spoke = True
                    for early in held:
                        self._event_ch.send_nowait(early)
                self._event_ch.send_nowait(chunk)
        if not spoke:
            raise EmptyReply()


def describe(exc: BaseException) -> str:
    """A one-line reason: the status, the message and the innermost cause."""
    status = getattr(exc, "status_code", None)
    text = str(getattr(exc, "message", None) or exc) or type(exc).__name__
    root = exc
    while root.__cause__ is not None:
        root = root.__cause__
    if root is not exc and str(root) and str(root) not in text:
        text = f"{text} ({type(root).__name__}: {root})"
    text = text if len(text) <= 300 else text[:297] + "..."
    return f"HTTP {status}: {text}" if status and status > 0 else text


class ModelChain(llm.FallbackAdapter):
    """The file's models, then the offline interviewer; ``health`` tells what happened."""

    def __init__(self, models: list[tuple[str, llm.LLM[Any]]], *, timeout_s: float,
                 health: ModelHealth | None = None) -> None:
        self.health = health or ModelHealth()
        guarded: list[llm.LLM[Any]] = [
            GuardedLLM(model, name=name, timeout_s=timeout_s, health=self.health)
            for name, model in models
        ]
        guarded.append(GuardedLLM(OfflineInterviewerLLM(), name="offline interviewer",
                                  timeout_s=timeout_s, health=self.health, scripted=True))
        self.guarded = guarded
        super().__init__(guarded, attempt_timeout=timeout_s, max_retry_per_llm=1,
                         retry_interval=RETRY_INTERVAL_S)

    async def aclose(self) -> None:
        await super().aclose()
        for model in self.guarded:
            await model.aclose()


def session_options(timeout_s: float) -> Any:
    """The session's connection options for a chain: the chain does the falling back, so
    the session must not retry a whole failed reply (that would repeat words already
    spoken)."""
    from livekit.agents.voice.agent_session import SessionConnectOptions

    return SessionConnectOptions(
        llm_conn_options=APIConnectOptions(max_retry=0, timeout=timeout_s))
