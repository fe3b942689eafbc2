"""A whole interview spoken from audio files, for tests and measurements of turn-taking.

The production voice pipeline of an interview file whose voice is ``local``: Silero VAD
(``plugins.build_vad``), the file's end-of-turn detector and endpointing
(``plugins.turn_handling``), Whisper and Piper, the interviewer agent started through
``live.session``, the real ``openai`` plugin talking to the local fake model server. The
candidate is a ``FileMicrophone`` playing the given wav files at real-time pace, each
turn ``reply_delay`` seconds after the interviewer stops; the interviewer is heard by a
``WavSpeaker``. Everything runs in real time: this is the slow, faithful rig (the fast
one with a scripted STT is ``testing.rig.voice_rig``).

    run = await spoken_interview(source, [ready_wav, answer_wav], tmp_path,
                                 done=lambda r: bool(r.engine.records[0].turns))
    assert run.mic.cut_ins == 0
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit.agents import AgentSession

from mockflow.format.compile import CompiledInterview
from mockflow.interview.engine import InterviewEngine
from mockflow.live.file_microphone import FileMicrophone
from mockflow.live.model_chain import session_options
from mockflow.live.plugins import build_llm, build_stt, build_tts, build_vad, turn_handling
from mockflow.live.session import LiveInterview, prepare_interview
from mockflow.live.wav_speaker import WavSpeaker
from mockflow.testing.openai_server import FakeOpenAIServer
from mockflow.testing.policies import interviewer_policy
from mockflow.testing.waiting import until


@dataclass
class SpokenRun:
    """What a spoken interview left: the interview, the candidate's microphone (turn
    timings, ``cut_ins``) and the interviewer's speaker (segments)."""

    interview: LiveInterview
    session: AgentSession[Any]
    mic: FileMicrophone
    speaker: WavSpeaker
    keyterms: list[list[str]] = field(default_factory=list)  # the STT's, as they changed

    @property
    def engine(self) -> InterviewEngine:
        return self.interview.engine

    def first_audio_after(self, turn: int) -> float | None:
        """Seconds from the end of candidate turn ``turn`` (0-based) to the interviewer's
        next speech (None: it never spoke after it)."""
        end = self.mic.timings[turn].end if len(self.mic.timings) > turn else None
        if end is None:
            return None
        later = [s.start - end for s in self.speaker.segments if s.start >= end]
        return min(later) if later else None


def _quiet(run: SpokenRun) -> bool:
    agent = run.interview.agent
    return (run.session.agent_state == "listening" and not agent.in_flight
            and (not run.speaker.segments or run.speaker.segments[-1].end is not None))


async def spoken_interview(source: Callable[[str], CompiledInterview], turns: Sequence[Path],
                           results: Path, *, done: Callable[[SpokenRun], bool],
                           reply_delay: float = 0.3, ttft: float = 0.05, seed: int = 1,
                           timeout: float = 240.0) -> SpokenRun:
    """Play ``turns`` as the candidate of the interview ``source(base_url)`` (its models
    pointed at the fake server's ``base_url``) until ``done(run)`` holds, every turn has
    played, and the interviewer is quiet; then close the session. ``seed``: the
    interview's question order."""
    async with FakeOpenAIServer(interviewer_policy, ttft=ttft) as server:
        compiled = source(server.base_url)
        voice = compiled.interview.voice
        chat = build_llm(voice, api_key="x")
        session: AgentSession[Any] = AgentSession(
            stt=build_stt(voice.stt, compiled.interview.interviewer.language),
            llm=chat, tts=build_tts(voice.tts),
            vad=build_vad(voice.vad),
            turn_handling=turn_handling(voice.turn),  # type: ignore[arg-type]
            max_tool_steps=voice.max_tool_steps,
            conn_options=session_options(voice.llm.timeout_s))
        mic = FileMicrophone(list(turns), reply_delay=reply_delay)
        speaker = WavSpeaker(results / "interviewer.wav")
        mic.follow(speaker)
        session.input.audio, session.output.audio = mic, speaker
        interview = prepare_interview(compiled, results=results, judge="offline", seed=seed)
        run = SpokenRun(interview, session, mic, speaker)
        watcher = asyncio.create_task(_watch_keyterms(run))
        try:
            await interview.start(session)
            await until(lambda: done(run) and mic.exhausted and _quiet(run),
                        timeout=timeout, poll=0.05)
        finally:
            watcher.cancel()
            await session.aclose()
            await chat.aclose()
            speaker.close()
        return run


async def _watch_keyterms(run: SpokenRun) -> None:
    """Note the terms the STT is biased toward each time they change."""
    while True:
        terms = list(getattr(run.session.stt, "keyterms", []))
        if not run.keyterms or run.keyterms[-1] != terms:
            run.keyterms.append(terms)
        await asyncio.sleep(0.05)
