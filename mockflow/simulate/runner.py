"""Simulated interviews (agent layer): a persona answers through the real session path.

``simulate`` runs one interview exactly as the console does (``console.run_interview``:
the room-less ``AgentSession``, ``InterviewerAgent``, its tools and timers, the engine)
with a ``mockflow.simulate.personas.Persona`` as the candidate. The interviewer is the offline
model unless another is given.

Time is virtual. The session's clock is a ``VirtualClock`` that only moves when the
persona speaks (by the turn's speaking time) or stays silent. When a turn reaches a point
where the interviewer's timer is due (a nudge, a move-on, the end), the driver moves the
clock there and waits until the timer has spoken before going on, so time moves land in
the same place on every run: same seed, same scorecard.

An LLM can play the persona (``persona_model``): it words the answers and follow-ups,
while the persona keeps deciding the behaviours (repeats, hints, silence, leaving) and
the timing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from livekit.agents import llm

from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import MockflowError
from mockflow.format.templates import Candidate
from mockflow.interview.clock import VirtualClock
from mockflow.live.agent import InterviewerAgent
from mockflow.live.console import ConsoleResult, Prompt, run_interview
from mockflow.live.offline_llm import OfflineInterviewerLLM
from mockflow.live.plugins import build_llm
from mockflow.live.worker import WorkerConfig, entrypoint, job_session_id
from mockflow.results.files import new_session_id, write_json_atomic
from mockflow.results.store.backend import CheckpointPolicy
from mockflow.simulate.job import simulation_request
from mockflow.simulate.persona_files import resolve_persona
from mockflow.simulate.personas import (
    CUT_MARGIN,
    NOT_SURE,
    PAST,
    InterviewView,
    Persona,
    PersonaSpec,
    Step,
    llm_instructions,
    llm_turn_note,
    view_of,
)

TICK_INTERVAL = 0.005  # real seconds between the agent's timer checks
TIMER_WAIT = 10.0  # real seconds to wait for the interviewer's timer to speak (hang guard)
RUN_TIMEOUT = 300.0  # real seconds for one simulated interview (hang guard)


class SimulationError(MockflowError):
    """A simulated interview could not go on (the interviewer's timer never spoke, or the
    run took far too long)."""


class LLMCandidate:
    """Words a persona's answers with a language model (e.g. ``openai.LLM``)."""

    def __init__(self, model: llm.LLM[Any], spec: PersonaSpec, view: InterviewView) -> None:
        self.model = model
        self.spec = spec
        self.view = view
        self.history: list[tuple[str, str]] = []  # from the candidate's side
        self.requests = 0

    def heard(self, text: str) -> None:
        self.history.append(("user", text))  # the interviewer is the model's "user"

    def said(self, text: str) -> None:
        self.history.append(("assistant", text))

    async def words(self, step: Step) -> str:
        ctx = llm.ChatContext.empty()
        ctx.add_message(role="system", content=llm_instructions(self.spec, self.view))
        for role, text in self.history:
            ctx.add_message(role=role, content=text)  # type: ignore[arg-type]
        ctx.add_message(role="system", content=llm_turn_note(step, self.view, self.spec.grade))
        self.requests += 1
        parts: list[str] = []
        async with self.model.chat(chat_ctx=ctx) as stream:
            async for chunk in stream:
                if chunk.delta is not None and chunk.delta.content:
                    parts.append(chunk.delta.content)
        text = " ".join("".join(parts).split())
        return text or NOT_SURE


async def simulate(
    compiled: CompiledInterview,
    persona: PersonaSpec | str,
    *,
    seed: int,
    results_root: Path,
    model: llm.LLM[Any] | None = None,
    persona_model: llm.LLM[Any] | None = None,
    candidate: Candidate | None = None,
    tick_interval: float = TICK_INTERVAL,
    session_id: str | None = None,
    timeout: float = RUN_TIMEOUT,
    store: str | None = None,
    checkpoint: CheckpointPolicy | None = None,
    think_seconds: float = 0.0,
) -> ConsoleResult:
    """One simulated interview; results (and ``persona.json``) written under
    ``results_root`` (and queued for ``store``, an s3:// spec). ``model``: the interviewer
    (default: the offline one). ``think_seconds``: real seconds the candidate waits before
    each turn (virtual time is unchanged; a benchmark uses it to pace sessions)."""
    spec = persona if isinstance(persona, PersonaSpec) else resolve_persona(persona)
    view = view_of(compiled.interview)
    actor = Persona(spec, view, seed)
    clock = VirtualClock()
    heard = asyncio.Event()
    agents: list[InterviewerAgent] = []
    voice = LLMCandidate(persona_model, spec, view) if persona_model is not None else None

    def on_interviewer(text: str) -> None:
        heard.set()
        if voice is not None:
            voice.heard(text)

    async def answers(prompt: Prompt) -> str | None:
        if think_seconds:
            await asyncio.sleep(think_seconds)
        step = actor.plan(prompt)
        if step.kind == "leave" and not step.text:
            return None  # it said it had to go and is still being asked: it has left
        text = step.text
        if voice is not None and step.kind in ("answer", "follow_up"):
            text = await voice.words(step)
        turn = actor.timed(step, text, prompt)
        start = clock.now

        async def timer_speaks_at(when: float) -> None:
            heard.clear()
            clock.advance_to(when)
            try:
                await asyncio.wait_for(heard.wait(), TIMER_WAIT)
            except TimeoutError:
                raise SimulationError(
                    f"the interviewer's timer didn't speak within {TIMER_WAIT:g} s at"
                    f" {clock.now:.1f} s into the interview (question {prompt.number})"
                ) from None

        if turn.pauses:
            await asyncio.sleep(tick_interval)  # let anything already said arrive first
        for offset in turn.pauses:
            await timer_speaks_at(start + offset)
        if turn.cut and turn.text and turn.kind != "silent" and agents:
            # Still talking when time runs out: the interviewer hears the words live, its
            # timer moves on at the budget and keeps them as the answer (as on voice).
            agents[0].hear(turn.text)
            await timer_speaks_at(start + turn.seconds + CUT_MARGIN + PAST)
            if voice is not None:
                voice.said(turn.text)
            return ""
        clock.advance_to(start + turn.seconds)
        if voice is not None and turn.text:
            voice.said(turn.text)
        return turn.text

    own_model = model is None
    interviewer: llm.LLM[Any] = model if model is not None else OfflineInterviewerLLM()
    sid = session_id or f"{new_session_id()}-{spec.name}-seed{seed}"
    try:
        outcome = await asyncio.wait_for(
            run_interview(compiled, model=interviewer, answers=answers,
                          results_root=results_root, seed=seed, candidate=candidate,
                          on_interviewer=on_interviewer, on_agent=agents.append,
                          clock=clock,
                          tick_interval=tick_interval, session_id=sid,
                          kind="simulation",
                          simulation={"persona": spec.name, "seed": seed},
                          store=store, checkpoint=checkpoint),
            timeout)
    except TimeoutError:
        raise SimulationError(f"the simulated interview took longer than {timeout:g} s"
                              ) from None
    finally:
        if own_model:
            await interviewer.aclose()
    persona_path = outcome.recorder.directory / "persona.json"
    write_json_atomic(persona_path, {
        "persona": spec.name,
        "grade": spec.grade,
        "source": spec.source,
        "behaviours": spec.behaviours,
        "seed": seed,
        "llm": None if persona_model is None else getattr(persona_model, "model", "llm"),
        "turns": [t.to_dict() for t in actor.turns],
    })
    outcome.recorder.publish(persona_path)
    return outcome


VOICE_RUN_TIMEOUT = 1800.0  # real seconds for one spoken simulated interview (hang guard)
SPOKEN = ("answer", "follow_up")  # steps said with thinking and mid-answer pauses


@dataclass(frozen=True, slots=True)
class VoicePacing:
    """How a spoken persona paces its answers (``simulate --voice``): a thinking pause
    (``think_seconds``, varied by the seed between half and the whole of it) before
    each answer, a filler ("Um, let me think.") before every other one, and a pause of
    ``pause_seconds`` in the middle of answers longer than ``pause_after_words``."""

    think_seconds: float = 2.0
    pause_seconds: float = 2.0
    pause_after_words: int = 12
    reply_delay: float = 1.0


async def simulate_voice(
    compiled: CompiledInterview,
    persona: PersonaSpec | str,
    *,
    seed: int,
    results_root: Path,
    model: llm.LLM[Any] | None = None,
    candidate: Candidate | None = None,
    pacing: VoicePacing = VoicePacing(),
    session_id: str | None = None,
    timeout: float = VOICE_RUN_TIMEOUT,
    on_line: Callable[[str, str], None] | None = None,
) -> ConsoleResult:
    """One simulated interview by voice, in real time: the persona's words (as
    ``simulate`` chooses them) synthesised by the local TTS with thinking pauses, fillers
    and mid-answer pauses (``mockflow.live.persona_speech``), played into the file's voice
    pipeline (``mockflow.live.voice_console``); ``session.json``'s ``voice`` block keeps
    what the persona said beside what the STT heard, with the word error rate. Needs the
    ``local-voice`` extra (the persona's voice is Piper's, whatever the file's TTS)."""
    import random
    import tempfile

    from mockflow.live.console import prompt_for
    from mockflow.live.local_voice import LocalVoiceSettings, load_local_voice
    from mockflow.live.persona_microphone import PersonaMicrophone, PersonaTurn
    from mockflow.live.persona_speech import FILLERS, PersonaVoice, plan_answer
    from mockflow.live.voice_console import VoiceIO, run_voice_interview
    from mockflow.live.wav_speaker import WavSpeaker

    spec = persona if isinstance(persona, PersonaSpec) else resolve_persona(persona)
    view = view_of(compiled.interview)
    actor = Persona(spec, view, seed)
    models = load_local_voice(LocalVoiceSettings(stt_model=None))
    assert models.tts is not None
    voice = PersonaVoice(models.tts)
    agents: list[InterviewerAgent] = []
    spoken = 0  # turns made
    answers = 0  # of them answers (every other one starts with a filler)

    with tempfile.TemporaryDirectory(prefix="mockflow-persona-") as tmp:
        async def supply() -> PersonaTurn | None:
            nonlocal spoken, answers
            if not agents or agents[0].engine.ended:
                return None
            engine = agents[0].engine
            prompt = prompt_for(engine)
            step = actor.plan(prompt)
            if step.kind == "leave" and not step.text:
                agents[0].take_request("stop", confirmed=True)  # it has gone: hang up
                return None
            turn = actor.timed(step, step.text, prompt)
            text = turn.text if step.kind != "silent" else ""
            rng = random.Random(f"{seed}/{spoken}")
            if step.kind in SPOKEN and text:
                long = len(text.split()) > pacing.pause_after_words
                answers += 1
                parts = plan_answer(
                    text, think_seconds=pacing.think_seconds * rng.uniform(0.5, 1.0),
                    filler=FILLERS[rng.randrange(len(FILLERS))] if answers % 2 else None,
                    mid_pauses=(pacing.pause_seconds,) if long and pacing.pause_seconds
                    else ())
            else:
                parts = plan_answer(text) if text else []
            spoken += 1
            path = Path(tmp) / f"persona-{spoken}.wav"
            if parts:
                audio = await asyncio.to_thread(voice.speak, parts)
                said = audio.said
            else:  # silent this turn: a moment of nothing, then it waits for the interviewer
                from mockflow.live.persona_speech import PersonaAudio

                audio = PersonaAudio(np.zeros(voice.sample_rate // 2, dtype=np.int16),
                                     voice.sample_rate, ())
                said = ""
            await asyncio.to_thread(audio.write, path)
            return path, said

        mic = PersonaMicrophone(supply, reply_delay=pacing.reply_delay)
        speaker = WavSpeaker(None)
        io = VoiceIO(mic, speaker, "persona", "none", reply_delay=pacing.reply_delay,
                     close=speaker.close)
        own_model = model is None
        interviewer: llm.LLM[Any] = model if model is not None else OfflineInterviewerLLM()
        sid = session_id or f"{new_session_id()}-{spec.name}-seed{seed}-voice"
        try:
            outcome = await asyncio.wait_for(run_voice_interview(
                compiled, io=io, model=interviewer, results_root=results_root, seed=seed,
                candidate=candidate, kind="simulation",
                simulation={"persona": spec.name, "seed": seed, "voice": True},
                session_id=sid, on_line=on_line, on_agent=agents.append), timeout)
        except TimeoutError:
            raise SimulationError(f"the spoken simulated interview took longer than"
                                  f" {timeout:g} s") from None
        finally:
            if own_model:
                await interviewer.aclose()
    persona_path = outcome.recorder.directory / "persona.json"
    write_json_atomic(persona_path, {
        "persona": spec.name, "grade": spec.grade, "source": spec.source,
        "behaviours": spec.behaviours, "seed": seed, "llm": None, "voice": True,
        "pacing": {"think_seconds": pacing.think_seconds,
                   "pause_seconds": pacing.pause_seconds,
                   "pause_after_words": pacing.pause_after_words,
                   "reply_delay": pacing.reply_delay},
        "turns": [t.to_dict() for t in actor.turns],
    })
    outcome.recorder.publish(persona_path)
    return outcome


@dataclass(frozen=True, slots=True)
class RunResult:
    persona: str
    seed: int
    scorecard: dict[str, Any]
    directory: Path
    requests: int


async def simulate_runs(
    compiled: CompiledInterview,
    personas: Sequence[PersonaSpec | str],
    seeds: Iterable[int],
    *,
    results_root: Path,
    persona_model: llm.LLM[Any] | None = None,
    on_done: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Every persona over every seed, one after the other, in one event loop."""
    specs = [p if isinstance(p, PersonaSpec) else resolve_persona(p) for p in personas]
    seed_list = list(seeds)
    out: list[RunResult] = []
    for spec in specs:
        for seed in seed_list:
            outcome = await simulate(compiled, spec, seed=seed, results_root=results_root,
                                     persona_model=persona_model)
            result = RunResult(spec.name, seed, outcome.scorecard,
                               outcome.recorder.directory, outcome.requests)
            out.append(result)
            if on_done is not None:
                on_done(result)
    return out


def persona_log(directory: Path) -> dict[str, Any]:
    """The ``persona.json`` a simulated run wrote (what the persona did, turn by turn)."""
    data: dict[str, Any] = json.loads((directory / "persona.json").read_text("utf-8"))
    return data


async def simulated_job(ctx: Any) -> None:
    """A worker job entrypoint (``mockflow run --simulated-jobs``, benchmarks): a simulated
    candidate if the job's dispatch metadata asks for one (``mockflow.simulate.job``),
    else the real entrypoint that joins the room."""
    request = simulation_request(ctx.job.metadata)
    if request is None:
        await entrypoint(ctx)
        return
    compiled: CompiledInterview = ctx.proc.userdata["compiled"]
    config: WorkerConfig = ctx.proc.userdata["config"]
    model = build_llm(compiled.interview.voice)
    try:
        await simulate(compiled, request.persona, seed=request.seed,
                       results_root=Path(config.results_dir), model=model,
                       session_id=job_session_id(ctx.job.id), store=config.results_store,
                       checkpoint=config.checkpoint, think_seconds=request.think_seconds)
    finally:
        await model.aclose()
        ctx.shutdown("simulated interview ended")
