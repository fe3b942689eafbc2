"""Voice interviews with no LiveKit room (agent layer): ``mockflow run --console --voice``
and ``mockflow simulate --voice``.

``run_voice_interview`` runs one interview through the production voice pipeline
(``live.session.voice_session``: Silero VAD, the file's turn detector and endpointing, its
STT and TTS, the interviewer model), with the candidate's audio from a microphone, from
files or from a simulated candidate, and the interviewer's audio to the speakers or a
file. It returns when the interview has ended (or ``stop`` is set: Ctrl-C) and its
results are on disk.

``VoiceStats`` makes ``session.json``'s ``voice`` block from what the session did: the
candidate's audio turns (when each played, on the transcript's clock, how often the
interviewer started speaking over it: ``cut_ins``), what the STT heard for each (the
candidate turns recorded before the next audio turn began), and for a simulated candidate
what it said and the word error rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit.agents import AgentSession, ConversationItemAddedEvent, llm
from livekit.agents.voice.io import AudioInput, AudioOutput

from mockflow.format.compile import CompiledInterview
from mockflow.format.templates import Candidate
from mockflow.live import privacy
from mockflow.live.agent import InterviewerAgent
from mockflow.live.console import ConsoleResult
from mockflow.live.file_microphone import FileMicrophone
from mockflow.live.persona_microphone import PersonaMicrophone
from mockflow.live.plugins import build_vad
from mockflow.live.session import prepare_interview, voice_session
from mockflow.live.speech_metrics import corpus_wer, word_error_rate
from mockflow.results.files import SessionRecorder
from mockflow.results.judging import DEFAULT_WAIT_S
from mockflow.results.store.backend import CheckpointPolicy
from mockflow.scoring.judge import OFFLINE_CHOICE, JudgeChoice


@dataclass
class VoiceIO:
    """The candidate's audio in and the interviewer's audio out, for one session."""

    microphone: AudioInput
    speaker: AudioOutput
    input: str  # microphone | files | persona
    output: str  # speaker | file | none
    reply_delay: float | None = None
    close: Callable[[], None] = lambda: None  # devices released, the output file finished
    warnings: list[str] = field(default_factory=list)


def _endpointing(session: AgentSession[Any]) -> tuple[float, float]:
    opts = session.options.endpointing
    return float(opts["min_delay"]), float(opts["max_delay"])


class VoiceStats:
    """``session.json``'s ``voice`` block (see the module doc)."""

    def __init__(self, io: VoiceIO, turn_detection: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.io = io
        self.turn_detection = turn_detection
        self.clock = clock
        self.recorder: SessionRecorder | None = None
        # (clock, text, the session's endpointing delays (min, max)) of each candidate turn
        self.heard: list[tuple[float, str, tuple[float, float] | None]] = []
        self.endpointing: Callable[[], tuple[float, float]] | None = None

    def item_added(self, ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            self.heard.append((self.clock(), item.text_content or "",
                               self.endpointing() if self.endpointing else None))

    def _offset(self, reading: float | None) -> float | None:
        if reading is None:
            return None
        return self.recorder.offset(reading) if self.recorder is not None else reading

    def to_dict(self) -> dict[str, Any]:
        mic = self.io.microphone if isinstance(self.io.microphone, FileMicrophone) else None
        files = mic is not None
        said = mic.said if isinstance(mic, PersonaMicrophone) else None
        turns: list[dict[str, Any]] = []
        timings = mic.timings if mic is not None else []
        for i, timing in enumerate(timings):
            until = timings[i + 1].start if i + 1 < len(timings) else float("inf")
            during = [(text, delays) for at, text, delays in self.heard
                      if timing.start <= at < until]
            heard = " ".join(text for text, _ in during if text).strip()
            delays = [d for _, d in during if d]
            turn: dict[str, Any] = {
                "index": timing.index, "file": timing.path.name,
                "start_s": self._offset(timing.start), "end_s": self._offset(timing.end),
                "cut_ins": timing.cut_ins, "heard": heard,
                "endpointing_s": list(delays[-1]) if delays else None}
            if said is not None and i < len(said):
                turn["said"] = said[i]
                turn["wer"] = round(word_error_rate(said[i], heard), 4)
            turns.append(turn)
        out: dict[str, Any] = {
            "input": self.io.input,
            "output": self.io.output,
            "turn_detection": self.turn_detection,
            "reply_delay_s": self.io.reply_delay,
            "cut_ins": mic.cut_ins if mic is not None else 0,
            "turns_heard": sum(1 for _, text, _ in self.heard if text.strip()),
            "files_total": mic.turns_total if mic is not None and said is None else None,
            "files_played": len(timings) if files else None,
            "turns": turns,
            "warnings": [*self.io.warnings, *(mic.warnings if mic is not None else [])],
        }
        if said is not None:
            pairs = [(t["said"], t["heard"]) for t in turns if "said" in t]
            out["wer"] = round(corpus_wer(pairs), 4) if pairs else None
        return out


def turn_detection_label(compiled: CompiledInterview,
                         handling: Mapping[str, Any] | None = None) -> str:
    """The end-of-turn detector a session runs, as ``session.json`` names it."""
    if handling is None:
        return compiled.interview.voice.turn.detector
    detector = handling.get("turn_detection")
    if detector is None:
        return "livekit-default"
    return detector if isinstance(detector, str) else type(detector).__name__


async def run_voice_interview(
    compiled: CompiledInterview,
    *,
    io: VoiceIO,
    model: llm.LLM[Any],
    results_root: Path,
    seed: int = 0,
    candidate: Candidate | None = None,
    judge: JudgeChoice = OFFLINE_CHOICE,
    judge_wait_s: float = DEFAULT_WAIT_S,
    interview_source: bytes | None = None,
    store: str | None = None,
    checkpoint: CheckpointPolicy | None = None,
    kind: str = "console",
    simulation: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    stop: asyncio.Event | None = None,
    on_line: Callable[[str, str], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
    on_session: Callable[[AgentSession[Any]], None] | None = None,
    on_agent: Callable[[InterviewerAgent], None] | None = None,
    stt: Any = None,
    handling: Mapping[str, Any] | None = None,
    close_timeout: float = 30.0,
) -> ConsoleResult:
    """One voice interview through the production pipeline (see the module doc); results
    are written whatever happens. ``on_line(who, text)``: each message as it lands in the
    history (``who``: "interviewer" or "candidate"); ``on_notice``: things worth telling
    the person at the terminal (the audio files have all played). ``stt`` and
    ``handling`` replace the file's STT and turn handling (a benchmark's seed-style run);
    ``on_session`` and ``on_agent``: see the session and the interviewer before it
    starts."""
    privacy.install()
    closed = asyncio.Event()
    stats = VoiceStats(io, turn_detection_label(compiled, handling))
    # the models first: a missing extra or a damaged weight file stops the start before
    # any result file is written
    session = voice_session(compiled, build_vad(compiled.interview.voice.vad), model=model,
                            stt=stt, handling=handling)
    interview = prepare_interview(
        compiled, candidate=candidate, results=results_root, session_id=session_id,
        store=store, checkpoint=checkpoint, seed=seed, judge=judge, judge_wait_s=judge_wait_s,
        interview_source=interview_source, on_finished=lambda _: closed.set(), kind=kind,
        simulation=simulation, voice=stats.to_dict)
    engine, agent = interview.engine, interview.agent
    recorder, judging = interview.recorder, interview.judging
    assert recorder is not None and judging is not None  # results_root: both are made
    stats.recorder = recorder
    stats.clock = interview.parts.clock
    session.input.audio = io.microphone
    session.output.audio = io.speaker
    mic = io.microphone
    if isinstance(mic, FileMicrophone):
        mic.follow(io.speaker)
        # the next turn waits for the interviewer's whole reply, not its first part
        mic.hold_while(lambda: agent.in_flight or session.current_speech is not None)
    stats.endpointing = lambda: _endpointing(session)
    session.on("conversation_item_added", stats.item_added)

    def shown(ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if on_line is not None and isinstance(item, llm.ChatMessage) and item.text_content:
            on_line("candidate" if item.role == "user" else "interviewer", item.text_content)

    session.on("conversation_item_added", shown)
    if on_session is not None:
        on_session(session)
    if on_agent is not None:
        on_agent(agent)
    watchers: list[asyncio.Task[Any]] = []
    requests_before = getattr(model, "requests", 0)
    try:
        await interview.start(session)
        if isinstance(mic, FileMicrophone) and on_notice is not None:
            async def files_done() -> None:
                await mic.wait_until_exhausted()
                if not engine.ended:
                    on_notice(f"the candidate's {mic.turns_total} audio turn(s) have all"
                              " played; the candidate is silent from now on (the"
                              " interview's silence rules apply; Ctrl-C ends it)")

            watchers.append(asyncio.create_task(files_done()))
        waits = [asyncio.create_task(closed.wait())]
        if stop is not None:
            waits.append(asyncio.create_task(stop.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        if not closed.is_set() and agent.close_reason is None:
            agent.close_reason = "SIGINT"
    finally:
        for task in watchers:
            task.cancel()
        await session.aclose()
        if not closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), close_timeout + judge_wait_s)
        if not closed.is_set():
            await judging.finish()
            agent.finish_results()
            judging.close()
        io.close()
    requests = getattr(model, "requests", 0) - requests_before
    return ConsoleResult(engine, agent, recorder, interview.scorecard(), requests)
