"""End of candidate speech → first interviewer audio, on the audio path.

What a candidate hears: the silence between the end of their answer and the first sound
of the interviewer. Each session is LiveKit's real audio pipeline as the worker builds it
(``AgentSession`` with the file's ``voice.turn`` settings: the end-of-turn detector the
file configures, its endpointing delays, preemptive generation, interruptions), with the
audio edge replaced by fakes from ``mockflow.testing.voice``: a scripted STT (interim and
1–3 preflight transcripts, seeded, then the final one), a streaming TTS with a fixed time
to first byte, and a speaker that notes each segment's first frame. The model is the fake
OpenAI server through the real openai plugin.

Agents, in one run, with the same answers:
- mockflow with instant acknowledgement (the default), and without;
- mockflow with instant acknowledgement and preemptive generation off;
- the seed-style reference agent (``reference_agent.py``) with the same pipeline.

Measured per answer turn, from the moment the STT reports the final transcript and the end
of speech (back to back):
- ``first audio``: the first interviewer audio frame (the acknowledgement when one is said);
- ``move audio``: the first audio of the move itself (the next question or follow-up),
  at real-time playout: the later of the reply's first TTS audio and the end of the
  acknowledgement played at real time (the speaker fake plays faster than real time to keep
  the run short; this figure corrects for that);
- requests sent and delivered; acknowledgements cut (talked over or never heard).
Then 50 concurrent sessions (staggered, an answer every 4-12 s each) against one session,
both with the model in a child process.

Prints tables, then ``key=value`` lines.

``--smoke`` (from ``_common.add_smoke``): the smallest run, seconds; tests/test_benchmarks.py
runs it so a format change can't break this benchmark unseen.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_TOKENS_PER_S,
    DEFAULT_TTFT,
    INTERVIEWS,
    ServerProcess,
    add_smoke,
    fake_clock,
    fmt,
    machine_line,
    median,
    pct,
    scripted_answer,
    table,
)

SEED = 7
STEP_SECONDS = 20.0  # engine-clock time per candidate turn
DEFAULT_TTFB = 0.15
SECONDS_PER_CHAR = 0.06  # fake TTS audio per character (about 2.5 words a second)
ANSWER_EVERY = (4.0, 12.0)  # s between a session's answers in the concurrency run
PLAYOUT_SPEED = 10.0  # the speaker fake plays 10x real time (corrected for: see above)


@dataclass
class Turn:
    first_audio: float  # s, end of speech -> first interviewer audio frame
    move_audio: float  # s, end of speech -> first audio of the move, real-time playout
    requests: int  # requests the model server received during the turn
    delivered: int  # mockflow: replies delivered (stats); reference: requests - drafts
    discarded: int
    acked: bool
    ack_cut: bool


@dataclass
class Variant:
    name: str
    agent: str  # "mockflow" | "seed"
    instant_ack: bool = True
    preemptive: bool | None = None  # None: the file's default (the opposite of instant_ack)


VARIANTS = (
    Variant("mockflow defaults: instant ack, no drafts", "mockflow"),
    Variant("mockflow, instant ack + preemptive drafts", "mockflow", preemptive=True),
    Variant("mockflow, no instant ack, drafts (old defaults)", "mockflow", instant_ack=False),
    Variant("seed-style (drafts on: LiveKit's default)", "seed", preemptive=True),
    Variant("mockflow, no instant ack, no drafts", "mockflow", instant_ack=False,
            preemptive=False),
)


@functools.cache
def compiled_variant(instant_ack: bool, preemptive: bool | None) -> Any:
    """backend.yaml as shipped (no voice section: every voice.turn default), with
    instant_ack and preemptive_generation set as asked (None: left to the default), and
    the conversational endpointing pair (0.8/4.0 s) in every phase: this benchmark
    measures what follows the end of a turn, the same for every agent; the answering
    phase's patience (5.5 s for an answer that misses a key point) is measured on real
    speech by scripts/measure_turn_taking.py."""
    import yaml

    from mockflow.format.defaults import schema_default
    from mockflow.format.validate import check_bytes

    data = yaml.safe_load((INTERVIEWS / "backend.yaml").read_text())
    turn = data.setdefault("voice", {}).setdefault("turn", {})
    turn["instant_ack"] = instant_ack
    conversational = schema_default("voice", "turn", "conversational")
    turn["min_endpointing_delay"] = conversational["min_delay"]  # both phases' pair
    turn["max_endpointing_delay"] = conversational["max_delay"]
    if preemptive is not None:
        turn["preemptive_generation"] = preemptive
    result = check_bytes(yaml.safe_dump(data).encode(), "backend-voice.yaml")
    assert result.compiled is not None, result.problems
    return result.compiled


async def _until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


class Rig:
    """One voice session with the fake audio edge."""

    def __init__(self, variant: Variant, base_url: str, vad: Any, *, ttfb: float,
                 prompts: list[str] | None = None) -> None:
        from livekit.agents import AgentSession
        from livekit.plugins import openai

        from mockflow.live.plugins import turn_handling
        from mockflow.live.session import prepare_interview
        from mockflow.testing.voice import FakeMic, FakeSpeaker, FakeStreamingTTS, ScriptedSTT

        self.variant = variant
        compiled = compiled_variant(variant.instant_ack, variant.preemptive)
        voice = compiled.interview.voice
        self.stt = ScriptedSTT()
        self.tts = FakeStreamingTTS(ttfb=ttfb, seconds_per_char=SECONDS_PER_CHAR)
        self.mic, self.out = FakeMic(), FakeSpeaker(speed=PLAYOUT_SPEED)
        self.engine: Any = None
        self.agent: Any
        if variant.agent == "mockflow":
            self.model: Any = openai.LLM(model="gpt-4o-mini", base_url=base_url, api_key="x")
            self.clock = fake_clock()
            interview = prepare_interview(compiled, clock=self.clock, seed=SEED,
                                          judge="offline", tick_interval=3600)
            self.engine, self.agent = interview.engine, interview.agent
            userdata = None
        else:
            from reference_agent import InterviewState, ReferenceInterviewer, reference_llm

            self.model = reference_llm(base_url)
            self.agent = ReferenceInterviewer()
            userdata = InterviewState(questions=list(prompts or []))
        self.session: Any = AgentSession(
            stt=self.stt, llm=self.model, tts=self.tts, vad=vad,
            turn_handling=turn_handling(voice.turn),
            max_tool_steps=voice.max_tool_steps if variant.agent == "mockflow" else 5,
            userdata=userdata,
        )
        self.session.input.audio = self.mic
        self.session.output.audio = self.out
        self.speaker: Any = None

    async def start(self) -> None:
        from mockflow.testing.voice import Speaker

        await self.session.start(self.agent)
        for _ in range(5):
            self.mic.push()
        self.speaker = Speaker(await self.stt.wait_for_stream(), self.mic)
        await _until(lambda: bool(self.out.first_frames))
        await self.idle()

    async def idle(self) -> None:
        """Until the interviewer has said everything and nothing is in flight."""
        quiet_since: float | None = None
        while True:
            busy = self.session.agent_state != "listening" or self.out._playing or (
                self.variant.agent == "mockflow" and self.agent.in_flight)
            now = time.perf_counter()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since > 0.15:
                return
            await asyncio.sleep(0.01)

    async def turn(self, text: str, rng: random.Random,
                   count: Callable[[], int] | None = None) -> Turn:
        """One candidate turn; ``count``: how many requests the model server has seen."""
        speaker = self.speaker
        words = text.split()
        stats = getattr(self.agent, "stats", None)
        counters = ((stats.drafts, stats.delivered, stats.discarded, stats.acks, stats.acks_cut)
                    if stats else (0, 0, 0, 0, 0))
        before = (count() if count else 0, len(self.out.first_frames), len(self.tts.segments),
                  *counters)
        await speaker.start()
        await speaker.interim(" ".join(words[:3]))
        drafts = rng.randint(1, 3)
        for i in range(1, drafts + 1):
            cut = max(1, round(len(words) * i / drafts))
            await speaker.preflight(" ".join(words[:cut]))
            if i < drafts:
                await asyncio.sleep(0.1)  # the draft's request is in flight
                await speaker.interim(" ".join(words[cut:cut + 3]))
        speaker.stream.emit(_final(), text)
        end_at = time.perf_counter()
        speaker.stream.emit(_end_of_speech())
        speaker.mic.push()
        await _until(lambda: len(self.out.first_frames) > before[1])
        await self.idle()
        first = self.out.first_frames[before[1]] - end_at
        segments = self.tts.segments[before[2]:]
        acked = bool(stats and stats.acks > before[6])
        if acked and len(segments) >= 2:
            ack_end = self.out.first_frames[before[1]] + len(segments[0].text) * SECONDS_PER_CHAR
            move = max(segments[1].first_audio_at, ack_end) - end_at
        else:
            move = first
        sent = (count() if count else 0) - before[0]
        if stats:
            delivered = stats.delivered - before[4]
            discarded = stats.discarded - before[5]
        else:
            delivered, discarded = 0, 0
        return Turn(first, move, sent, delivered, discarded, acked,
                    bool(stats and stats.acks_cut > before[7]))

    async def close(self) -> None:
        self.mic._frames.close()  # end the audio input first, or closing waits for it
        await self.session.aclose()
        await self.model.aclose()


def _final() -> Any:
    from livekit.agents.stt import SpeechEventType

    return SpeechEventType.FINAL_TRANSCRIPT


def _end_of_speech() -> Any:
    from livekit.agents.stt import SpeechEventType

    return SpeechEventType.END_OF_SPEECH


def _answers(n: int) -> tuple[list[str], list[str]]:
    """The answers mockflow's default run will get (each prompt's strong example, a fixed
    sentence for follow-ups), worked out by walking an engine; and the prompts it asks."""
    from mockflow.interview.engine import InterviewEngine

    compiled = compiled_variant(True, None)
    clock = fake_clock()
    engine = InterviewEngine(compiled, clock=clock, seed=SEED)
    engine.start()
    engine.commit(engine.propose("Yes, I'm ready."))
    answers: list[str] = []
    while len(answers) < n and engine.current is not None:
        clock.advance(STEP_SECONDS)
        answers.append(scripted_answer(engine))
        engine.commit(engine.propose(answers[-1]))
    prompts = [p for r in engine.records for p in r.prompts]
    return answers, prompts


async def one_session(variant: Variant, server: Any, vad: Any, answers: list[str],
                      prompts: list[str], ttfb: float) -> list[Turn]:
    from mockflow.testing.policies import interviewer_policy

    if variant.agent == "seed":
        from reference_agent import reference_policy

        server.policy = reference_policy
    else:
        server.policy = interviewer_policy
    rig = Rig(variant, server.base_url, vad, ttfb=ttfb, prompts=prompts)
    rng = random.Random(SEED)
    out: list[Turn] = []
    try:
        await rig.start()
        await rig.turn("Yes, I'm ready.", rng, lambda: server.request_count)
        for text in answers:
            if rig.engine is not None:
                rig.clock.advance(STEP_SECONDS)
            out.append(await rig.turn(text, rng, lambda: server.request_count))
    finally:
        await rig.close()
    return out


async def concurrent(n: int, base_url: str, vad: Any, answers: list[str], ttfb: float,
                     seed: int, pace: float = 1.0) -> tuple[list[Turn], float, float]:
    """``n`` mockflow sessions (instant ack) in this process. All are set up and greeted
    first (a job sets up its session in its own process; set-up is not a turn), then they
    answer staggered: each starts at a seeded random offset (0-4 s) and answers every
    4-12 s (the scripted candidate's speech takes no time; real answers take 30 s and more,
    so this is several times the turn rate of real interviews). Returns the turns, the
    process CPU seconds per turn while they ran, and the share of one CPU the process got
    (CPU seconds / wall seconds: near 1.0, one core is saturated)."""
    variant = VARIANTS[0]
    rigs = [Rig(variant, base_url, vad, ttfb=ttfb) for _ in range(n)]
    try:
        await asyncio.gather(*(rig.start() for rig in rigs))

        async def one(i: int, rig: Rig) -> list[Turn]:
            rng = random.Random(seed * 1000 + i)
            await asyncio.sleep(rng.uniform(0, 4) * pace)
            await rig.turn("Yes, I'm ready.", rng)
            turns: list[Turn] = []
            for text in answers:
                await asyncio.sleep(rng.uniform(*ANSWER_EVERY) * pace)
                rig.clock.advance(STEP_SECONDS)
                turns.append(await rig.turn(text, rng))
            return turns

        cpu0, wall0 = time.process_time(), time.perf_counter()
        results = await asyncio.gather(*(one(i, rig) for i, rig in enumerate(rigs)))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        await asyncio.gather(*(rig.close() for rig in rigs))
    turns = [t for group in results for t in group]
    return turns, cpu / max(1, n * (len(answers) + 1)), cpu / wall


# ------------------------------------------------------------------ report


def _row(name: str, turns: list[Turn]) -> list[object]:
    first = [t.first_audio for t in turns]
    move = [t.move_audio for t in turns]
    return [name, len(turns), fmt(median(first) * 1000, 0), fmt(pct(first, 95) * 1000, 0),
            fmt(median(move) * 1000, 0), fmt(pct(move, 95) * 1000, 0),
            fmt(sum(t.requests for t in turns) / max(1, len(turns)), 2)]


async def main_async(args: argparse.Namespace) -> dict[str, str]:
    from mockflow.testing import FakeOpenAIServer

    turns = 1 if args.smoke else 3 if args.quick else 8
    answers, prompts = _answers(turns)
    vad = None  # see the module docstring: silent audio would leave the VAD anchored wrong
    results: dict[str, list[Turn]] = {}
    async with FakeOpenAIServer(None, ttft=args.ttft, tokens_per_s=args.tokens_per_s) as server:
        for variant in VARIANTS:
            results[variant.name] = await one_session(variant, server, vad, answers, prompts,
                                                      args.ttfb)
    sessions = 2 if args.smoke else 10 if args.quick else 50
    with ServerProcess("mockflow", args.ttft, args.tokens_per_s) as child:
        pace = 0.05 if args.smoke else 1.0  # smoke: the candidates answer at once
        base, cpu_one, _ = await concurrent(1, child.base_url, vad, answers, args.ttfb, SEED,
                                            pace)
        more, _, _ = await concurrent(1, child.base_url, vad, answers, args.ttfb, SEED + 1,
                                      pace)
        base += more
        many, cpu_many, share = await concurrent(sessions, child.base_url, vad, answers,
                                                 args.ttfb, SEED, pace)

    compiled = compiled_variant(True, None)
    turn_cfg = compiled.interview.voice.turn
    ack, ack_pre, old, seed, bare = (results[v.name] for v in VARIANTS)
    first = median([t.first_audio for t in ack])
    seed_first = median([t.first_audio for t in seed])
    budget = turn_cfg.min_endpointing_delay + args.ttfb + 0.060
    p95_one = pct([t.first_audio for t in base], 95)
    p95_many = pct([t.first_audio for t in many], 95)

    print(f"backend.yaml as shipped: voice.turn detector={turn_cfg.detector},"
          f" endpointing {turn_cfg.min_endpointing_delay:g}-{turn_cfg.max_endpointing_delay:g}"
          f" s in every phase (the answering pair is measured elsewhere), VAD silero;"
          f" scripted STT (1-3 preflight transcripts a turn, seed {SEED});"
          f" fake streaming TTS {args.ttfb * 1000:.0f} ms to first byte; fake model ttft"
          f" {args.ttft:.3f} s, {args.tokens_per_s or 'unpaced'} tokens/s; {turns} answer"
          " turns per agent")
    print(machine_line())
    print()
    print(table([_row(v.name, results[v.name]) for v in VARIANTS],
                ["agent", "turns", "first audio ms", "p95", "move audio ms", "p95",
                 "requests sent/turn"]))
    rows = []
    for v in (*VARIANTS[:3], VARIANTS[4]):
        t = results[v.name]
        rows.append([v.name, fmt(sum(x.requests for x in t) / len(t), 2),
                     fmt(sum(x.delivered for x in t) / len(t), 2),
                     fmt(sum(x.discarded for x in t) / len(t), 2),
                     f"{sum(x.acked for x in t)}/{len(t)}", sum(x.ack_cut for x in t)])
    print()
    print(table(rows, ["mockflow", "requests sent/turn", "delivered/turn", "discarded/turn",
                       "acknowledged", "acks cut"]))
    print()
    print(table([["one session (2 runs)", len(base), fmt(median([t.first_audio for t in base])
                                                         * 1000, 0), fmt(p95_one * 1000, 0),
                  fmt(cpu_one * 1000, 1)],
                 [f"{sessions} sessions, staggered", len(many),
                  fmt(median([t.first_audio for t in many]) * 1000, 0),
                  fmt(p95_many * 1000, 0), fmt(cpu_many * 1000, 1)]],
                ["mockflow, instant ack, model in a child process", "turns", "first audio ms",
                 "p95", "CPU ms/turn"]))

    def med(turns: list[Turn], what: str = "first_audio") -> str:
        return fmt(median([getattr(t, what) for t in turns]) * 1000, 0)

    def sent(turns: list[Turn]) -> str:
        return fmt(sum(t.requests for t in turns) / len(turns), 2)

    cut = sum(t.ack_cut for t in ack + many)
    acked = sum(t.acked for t in ack + many)
    return {
        "voice_ttfb_ms": fmt(args.ttfb * 1000, 0),
        "voice_endpointing_s": f"{turn_cfg.min_endpointing_delay:g}",
        "voice_turns": str(len(ack)),
        "first_audio_budget_ms": fmt(budget * 1000, 0),
        "first_audio_over_budget_ms": fmt((first - budget) * 1000, 0),
        "first_audio_p95_ms": fmt(pct([t.first_audio for t in ack], 95) * 1000, 0),
        "first_audio_ack_drafts_ms": med(ack_pre),
        "first_audio_old_defaults_ms": med(old),
        "first_audio_no_ack_no_drafts_ms": med(bare),
        "move_audio_ms": med(ack, "move_audio"),
        "move_audio_ack_drafts_ms": med(ack_pre, "move_audio"),
        "move_audio_old_defaults_ms": med(old, "move_audio"),
        "seed_move_audio_ms": med(seed, "move_audio"),
        "voice_requests_sent_per_turn_old_defaults": sent(old),
        "voice_requests_sent_per_turn_ack_drafts": sent(ack_pre),
        "seed_voice_requests_sent_per_turn": sent(seed),
        "acks_cut": f"{cut}/{acked}",
        "voice_sessions": str(sessions),
        "voice_cpu_ms_per_turn": fmt(cpu_many * 1000, 1),
        "voice_concurrent_cpu_share": fmt(share, 2),
        "voice_p95_ratio_concurrent": fmt(p95_many / p95_one, 2),
        "first_audio_ms": fmt(first * 1000, 0),
        "seed_first_audio_ms": fmt(seed_first * 1000, 0),
        "first_audio_ratio": fmt(first / seed_first, 3),
        "voice_requests_sent_per_turn": sent(ack),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="3 answer turns per agent and 10 concurrent sessions")
    parser.add_argument("--ttft", type=float, default=DEFAULT_TTFT,
                        help=f"fake model time to first token, s (default {DEFAULT_TTFT})")
    parser.add_argument("--tokens-per-s", type=float, default=DEFAULT_TOKENS_PER_S,
                        help=f"fake model pace (default {DEFAULT_TOKENS_PER_S:g}; 0 = unpaced)")
    parser.add_argument("--ttfb", type=float, default=DEFAULT_TTFB,
                        help=f"fake TTS time to first byte, s (default {DEFAULT_TTFB})")
    add_smoke(parser)
    args = parser.parse_args()
    args.tokens_per_s = args.tokens_per_s or None
    if args.smoke:  # a quick model: the smoke run checks the path, not the figures
        args.ttft, args.tokens_per_s = min(args.ttft, 0.01), None
    figures = asyncio.run(main_async(args))
    print()
    for key, value in figures.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()
