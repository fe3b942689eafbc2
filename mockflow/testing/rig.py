"""One session rig for tests (and anyone trying an interview against a scripted model).

An interview started exactly as ``mockflow run`` starts it (``mockflow.live.session``:
``prepare_interview`` + ``LiveInterview.start``) in a room-less ``AgentSession`` whose
model is the real ``openai`` plugin talking to the local ``FakeOpenAIServer``. Text
sessions take turns with ``session.run``; voice sessions run LiveKit's own audio
recognition, turn detection and preemptive drafts, fed by a scripted STT and a silent
microphone (``mockflow.testing.voice``), optionally with a streaming TTS fake and a
speaker that plays in (scaled) real time.

Time: the interview runs on a ``VirtualClock`` the test moves (budgets, time moves); the
rig's real waits are LiveKit's own (endpointing, TTS, playback). ``speed`` scales the
real-time parts the rig controls (the pauses between a scripted candidate's speech
events, the speaker's playback, the TTS's time to first byte and audio per character),
as LiveKit's own ``tests/fake_session.py`` scales its timeline with ``speed_factor``.
Every wait on an event has a hang guard, never a timed assertion.

    def test_one_request_per_turn(tmp_path):
        async def main():
            async with text_rig(tmp_path, "interviews/backend.yaml") as rig:
                requests, said = await rig.turn("Yes, ready.")
                return requests
        assert run(main()) == 1
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from livekit.agents import AgentSession, APIConnectOptions, llm
from livekit.agents.voice.agent_session import SessionConnectOptions
from livekit.agents.voice.run_result import RunResult

from mockflow.format.compile import CompiledInterview
from mockflow.format.validate import check_bytes, load_interview
from mockflow.interview.clock import VirtualClock
from mockflow.interview.engine import InterviewEngine
from mockflow.live.agent import InterviewerAgent
from mockflow.live.session import LiveInterview, prepare_interview, text_session
from mockflow.results.files import SessionRecorder
from mockflow.testing.openai_server import FakeOpenAIServer, Policy
from mockflow.testing.policies import interviewer_policy
from mockflow.testing.voice import FakeMic, FakeSpeaker, FakeStreamingTTS, ScriptedSTT, Speaker
from mockflow.testing.waiting import run, until

CLOCK_START = 1000.0  # the virtual clock's first reading

__all__ = ["Rig", "openai_model", "retrying", "run", "text_rig", "until", "voice_rig",
           "with_turn"]

InterviewSource = CompiledInterview | Path | str | Callable[[str], CompiledInterview]
"""A compiled interview, a file, or a function of the fake server's base URL (an
interview whose models point at it)."""
ModelFactory = Callable[[CompiledInterview, str], llm.LLM[Any]]
"""(interview, the fake server's base URL) -> the interviewer model."""


def with_turn(path: Path | str, **voice_turn: Any) -> CompiledInterview:
    """An interview file with ``voice.turn`` settings overridden (a short grace period,
    fast endpointing ...), compiled."""
    path = Path(path)
    data = yaml.safe_load(path.read_text("utf-8"))
    data.setdefault("voice", {}).setdefault("turn", {}).update(voice_turn)
    result = check_bytes(yaml.safe_dump(data).encode(), f"{path.stem}-variant.yaml")
    if result.compiled is None:
        raise ValueError(f"the variant of {path} is invalid: {result.problems}")
    return result.compiled


def openai_model(model: str = "gpt-4o-mini") -> ModelFactory:
    """The real ``openai`` plugin pointed at the fake server."""
    def build(compiled: CompiledInterview, base_url: str) -> llm.LLM[Any]:
        from livekit.plugins import openai

        return openai.LLM(model=model, base_url=base_url, api_key="x")

    return build


def retrying(max_retry: int = 3, *, timeout: float | None = None) -> SessionConnectOptions:
    """LiveKit's own retries of a failed model request, without the real pauses."""
    options: dict[str, Any] = {"max_retry": max_retry, "retry_interval": 0.01}
    if timeout is not None:
        options["timeout"] = timeout
    return SessionConnectOptions(llm_conn_options=APIConnectOptions(**options))


@dataclass
class Rig:
    """A started interview: the fake model server, the session and the interview."""

    server: FakeOpenAIServer
    session: AgentSession[Any]
    interview: LiveInterview
    clock: VirtualClock
    speaker: Speaker | None = None  # voice rigs: the candidate's scripted speech
    mic: FakeMic | None = None
    tts: FakeStreamingTTS | None = None  # voice rigs with TTS: the interviewer's voice
    out: FakeSpeaker | None = None
    speed: float = 1.0

    @property
    def agent(self) -> InterviewerAgent:
        return self.interview.agent

    @property
    def engine(self) -> InterviewEngine:
        return self.interview.engine

    @property
    def recorder(self) -> SessionRecorder:
        recorder = self.interview.recorder
        assert recorder is not None
        return recorder

    def said(self) -> list[str]:
        """Everything the interviewer has said, in order (model replies and own words)."""
        return [m.text_content or "" for m in self.session.history.messages()
                if m.role == "assistant"]

    def session_record(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.recorder.session_path.read_text("utf-8"))
        return data

    async def turn(self, text: str) -> tuple[int, list[str]]:
        """One text turn: (model requests it cost, the messages its reply carried)."""
        before = self.server.request_count
        result: RunResult[Any] = await self.session.run(user_input=text)
        said = [e.item.text_content or "" for e in result.events if e.type == "message"]
        return self.server.request_count - before, said

    async def reply_to(self, text: str) -> list[str]:
        """One text turn: what the interviewer said after it (model replies and own
        words, once what was scheduled has landed)."""
        before = len(self.said())
        await self.session.run(user_input=text)
        await asyncio.sleep(0.05)
        return self.said()[before:]

    async def settle(self) -> None:
        """Until the interviewer has finished speaking and nothing is in flight."""
        await until(lambda: not self.agent.in_flight
                    and self.session.agent_state == "listening")
        await asyncio.sleep(0.1 / self.speed)

    async def answer(self, text: str, *, drafts: int = 0) -> None:
        """One spoken candidate turn; ``drafts``: preflight transcripts of growing
        prefixes sent (with a pause for their requests to go out) before the final one."""
        speaker = self._speaker()
        parts = text.split()
        await speaker.start()
        for i in range(1, drafts + 1):
            await speaker.preflight(" ".join(parts[: max(1, len(parts) * i // (drafts + 1))]))
            await asyncio.sleep(0.1 / self.speed)
            await speaker.interim(" ".join(parts[: len(parts) * i // (drafts + 1) + 2]))
        await speaker.final(text)
        await speaker.end()

    def _speaker(self) -> Speaker:
        if self.speaker is None:
            raise RuntimeError("a text rig has no speaker: use voice_rig")
        return self.speaker


async def _wait_for_greeting(session: AgentSession[Any]) -> None:
    await until(lambda: any(m.role == "assistant" for m in session.history.messages()),
                timeout=10)


@asynccontextmanager
async def text_rig(results: Path, source: InterviewSource, *,
                   policy: Policy | None = interviewer_policy,
                   model: ModelFactory | None = None,
                   conn_options: SessionConnectOptions | None = None,
                   tick_interval: float = 3600, session_id: str = "s1", seed: int = 1,
                   greeting: bool = False, ttft: float = 0.0) -> AsyncIterator[Rig]:
    """A text interview (``text_session``: no VAD, manual turns) writing under
    ``results``; ``model``: the interviewer model (default: ``openai_model()``);
    ``greeting``: wait until the greeting is in the history. Leaving the block closes
    the session, which writes the results."""
    async with FakeOpenAIServer(policy, ttft=ttft) as server:
        compiled = _compiled(source, server.base_url)
        chat = (model or openai_model())(compiled, server.base_url)
        clock = VirtualClock(CLOCK_START)
        kwargs: dict[str, Any] = {} if conn_options is None else {"conn_options": conn_options}
        interview: LiveInterview | None = None
        try:
            async with text_session(chat, compiled, **kwargs) as session:
                interview = prepare_interview(compiled, results=results, session_id=session_id,
                                              clock=clock, seed=seed, judge="offline",
                                              tick_interval=tick_interval)
                await interview.start(session)
                if greeting:
                    await _wait_for_greeting(session)
                yield Rig(server, session, interview, clock)
        finally:
            if interview is not None and interview.recorder is not None:
                interview.recorder.close()
            await chat.aclose()


@asynccontextmanager
async def voice_rig(results: Path, source: InterviewSource, *,
                    policy: Policy | None = interviewer_policy, ttft: float = 0.3,
                    tts: bool = False, preemptive: bool | None = None,
                    tick_interval: float = 3600, settle: bool = False, speed: float = 1.0,
                    session_id: str = "voice", seed: int = 1) -> AsyncIterator[Rig]:
    """A voice interview through LiveKit's audio path: a scripted STT with STT turn
    detection and the file's endpointing delays, preemptive drafts as the file says (or
    ``preemptive``); ``tts``: a streaming TTS fake and a speaker, so instant
    acknowledgements are said; ``settle``: wait until the greeting has been said."""
    async with FakeOpenAIServer(policy, ttft=ttft / speed) as server:
        compiled = _compiled(source, server.base_url)
        turn = compiled.interview.voice.turn
        chat = openai_model()(compiled, server.base_url)
        stt = ScriptedSTT()
        voice = FakeStreamingTTS(ttfb=0.15 / speed, seconds_per_char=0.01) if tts else None
        extra: dict[str, Any] = {} if voice is None else {"tts": voice}
        session: AgentSession[Any] = AgentSession(
            stt=stt, llm=chat, vad=None, **extra,
            turn_handling={
                "turn_detection": "stt",
                "endpointing": {"min_delay": turn.min_endpointing_delay,
                                "max_delay": turn.max_endpointing_delay},
                "preemptive_generation": {"enabled": turn.preemptive_generation
                                          if preemptive is None else preemptive},
            },
        )
        mic = FakeMic()
        out = FakeSpeaker(speed=speed) if tts else None
        session.input.audio = mic
        if out is not None:
            session.output.audio = out
        clock = VirtualClock(CLOCK_START)
        interview = prepare_interview(compiled, results=results, session_id=session_id,
                                      clock=clock, seed=seed, judge="offline",
                                      tick_interval=tick_interval)
        try:
            await interview.start(session)
            for _ in range(5):
                mic.push()
            speaker = Speaker(await stt.wait_for_stream(), mic, speed=speed)
            rig = Rig(server, session, interview, clock, speaker=speaker, mic=mic, tts=voice,
                      out=out, speed=speed)
            if settle:
                await rig.settle()
            yield rig
        finally:
            mic.close()
            await session.aclose()
            await chat.aclose()


def _compiled(source: InterviewSource, base_url: str) -> CompiledInterview:
    if isinstance(source, CompiledInterview):
        return source
    if isinstance(source, Path | str):
        return load_interview(source)
    return source(base_url)
