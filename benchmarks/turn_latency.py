"""LLM requests and latency per candidate turn: mockflow against the seed-style agent.

Both agents run in room-less text sessions (no VAD, manual turns, no turn-detector
model) against the same in-process fake OpenAI server, through the real openai plugin,
with the same time to first token and streaming pace, in the same run. mockflow goes
first with a fixed seed and fixed answers (each question's own strong example answer, a
fixed sentence for follow-ups); the reference agent then gets exactly the prompts
mockflow asked, in the same order, and the same answers.

Measured per turn: the LLM requests the server received, and the latency from the call
of ``session.run(user_input=...)`` to the server's first content chunk of the request
whose reply is spoken. Compared turns are the answer turns whose reply asks the next
prompt (a question or a follow-up); the "ready" turn after the greeting and the last
answer (mockflow: wrap-up, reference: end of interview) are listed apart.

Separately, mockflow alone: request turns (repeat, hint, skip) and follow-ups, and the
audio path with preemptive generation on (a scripted STT sends preflight transcripts
before the final one), where drafted and delivered requests per turn differ.

Prints tables, then ``key=value`` lines.

``--smoke`` (from ``_common.add_smoke``): the smallest run, seconds; tests/test_benchmarks.py
runs it so a format change can't break this benchmark unseen.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_TOKENS_PER_S,
    DEFAULT_TTFT,
    INTERVIEWS,
    SayStamps,
    TurnResult,
    add_smoke,
    asked_prompts,
    fake_clock,
    fmt,
    machine_line,
    median,
    pct,
    scripted_answer,
    table,
    timed_turn,
)

SEED = 7
STEP_SECONDS = 20.0  # engine-clock time that passes per candidate turn
COMPARED = ("answer->question", "answer->follow_up")
REQUESTS = (("repeat", "Could you repeat the question?"), ("hint", "Can I get a hint?"),
            ("skip", "Can we skip this one?"))


@dataclass
class AgentRun:
    name: str
    turns: list[TurnResult] = field(default_factory=list)

    def of(self, labels: tuple[str, ...]) -> list[TurnResult]:
        return [t for t in self.turns if t.label in labels]


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


def _assistant_said(session: Any) -> bool:
    return any(m.role == "assistant" for m in session.history.messages())


def _label(engine: Any, number: int | None, prompts: int) -> str:
    current = engine.current
    if current is None:
        return "answer->end" if engine.ended else "answer->wrap_up"
    if current.number != number:
        return "answer->question"
    if len(current.prompts) > prompts:
        return "answer->follow_up"
    return "answer->other"


# ------------------------------------------------------------------ mockflow, text


async def mockflow_interview(server: Any, path: Path, *, quality: str = "strong",
                             requests: bool = False, max_turns: int | None = None,
                             ) -> tuple[AgentRun, list[str], list[str]]:
    """One interview through mockflow (to the wrap-up, or ``max_turns`` turns after the
    ready turn). Returns the turns, the answers given and the prompts asked, in order."""
    from livekit.plugins import openai

    from mockflow.format.validate import load_interview
    from mockflow.live.session import prepare_interview, text_session
    from mockflow.testing.policies import interviewer_policy

    compiled = load_interview(path)
    clock = fake_clock()
    server.policy = interviewer_policy
    model = openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
    run = AgentRun("mockflow")
    answers: list[str] = []
    try:
        async with text_session(model, compiled) as session:
            interview = prepare_interview(compiled, clock=clock, seed=SEED, judge="offline",
                                          tick_interval=3600)
            agent, engine = interview.agent, interview.engine
            says = SayStamps(session)
            await interview.start(session)
            await _until(lambda: _assistant_said(session))
            if engine.current is None:  # the greeting asked "ready?"; else it asked question 1
                run.turns.append(await timed_turn(session, server, "Yes, ready.", "ready",
                                                  says))
            asked: set[int] = set()  # questions that got a request turn first
            limit = 80 if max_turns is None else max_turns
            while engine.current is not None and len(answers) + len(asked) < limit:
                clock.advance(STEP_SECONDS)
                current = engine.current
                if requests and current.number not in asked:
                    kind, text = REQUESTS[len(asked) % len(REQUESTS)]
                    asked.add(current.number)
                    before = agent.stats.requests.get(kind, 0)
                    run.turns.append(await timed_turn(session, server, text, f"request:{kind}",
                                                      says))
                    if agent.stats.requests.get(kind, 0) != before + 1:
                        raise RuntimeError(f"{text!r} was not taken as a {kind} request")
                    continue
                number, prompts = current.number, len(current.prompts)
                answer = scripted_answer(engine, quality)
                answers.append(answer)
                turn = await timed_turn(session, server, answer, "", says)
                turn.label = _label(engine, number, prompts)
                run.turns.append(turn)
            if max_turns is None and engine.current is not None:
                raise RuntimeError("the interview did not progress")
            await asyncio.sleep(0.05)
    finally:
        await model.aclose()
    return run, answers, asked_prompts(engine)


# ------------------------------------------------------------------ the reference, text


async def reference_interview(server: Any, prompts: list[str], answers: list[str],
                              labels: list[str]) -> AgentRun:
    from reference_agent import (
        InterviewState,
        ReferenceInterviewer,
        reference_llm,
        reference_policy,
        reference_session,
    )

    server.policy = reference_policy
    model = reference_llm(server.base_url)
    state = InterviewState(questions=list(prompts))
    run = AgentRun("seed-style")
    try:
        async with reference_session(model, state) as session:
            await session.start(ReferenceInterviewer())
            await _until(lambda: _assistant_said(session))
            run.turns.append(await timed_turn(session, server, "Yes, ready.", "ready"))
            for answer, label in zip(answers, labels, strict=True):
                run.turns.append(await timed_turn(session, server, answer, label))
            await asyncio.sleep(0.05)
    finally:
        await model.aclose()
    return run


def _check_same_prompts(mock: AgentRun, ref: AgentRun, prompts: list[str]) -> int:
    """How many compared turns did not ask the same next prompt in both agents (answer
    ``i`` answers prompt ``i``; its reply asks prompt ``i + 1``)."""
    misses = 0
    mock_answers = [t for t in mock.turns if t.label != "ready"]
    ref_answers = [t for t in ref.turns if t.label != "ready"]
    for i, (m, r) in enumerate(zip(mock_answers, ref_answers, strict=True)):
        if m.label in COMPARED:
            want = prompts[i + 1]
            if not any(want in s for s in m.said) or not any(want in s for s in r.said):
                misses += 1
    return misses


# ------------------------------------------------------------------ mockflow, audio


async def audio_turns(ttft: float, tokens_per_s: float | None, turns: int,
                      seed: int) -> list[dict[str, float]]:
    """Answer turns on the audio path, preemptive generation on: a scripted STT sends
    1-3 preflight transcripts (growing prefixes of the answer) before the final one."""
    import yaml
    from livekit.agents import AgentSession
    from livekit.plugins import openai

    from mockflow.format.validate import check_bytes
    from mockflow.live.session import prepare_interview
    from mockflow.testing import FakeOpenAIServer
    from mockflow.testing.policies import interviewer_policy
    from mockflow.testing.voice import FakeMic, ScriptedSTT, Speaker

    data = yaml.safe_load((INTERVIEWS / "backend.yaml").read_text())
    data.setdefault("voice", {}).setdefault("turn", {}).update(
        {"min_endpointing_delay": 0.05, "max_endpointing_delay": 1.0})
    result = check_bytes(yaml.safe_dump(data).encode(), "backend-audio.yaml")
    assert result.compiled is not None, result.problems
    compiled = result.compiled
    turn_cfg = compiled.interview.voice.turn
    rng = random.Random(seed)
    clock = fake_clock()
    out: list[dict[str, float]] = []
    async with FakeOpenAIServer(interviewer_policy, ttft=ttft,
                                tokens_per_s=tokens_per_s) as server:
        stt = ScriptedSTT()
        model = openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
        session: AgentSession[Any] = AgentSession(
            stt=stt, llm=model, vad=None,
            turn_handling={
                "turn_detection": "stt",
                "endpointing": {"min_delay": turn_cfg.min_endpointing_delay,
                                "max_delay": turn_cfg.max_endpointing_delay},
                "preemptive_generation": {"enabled": True},
            },
        )
        mic = FakeMic()
        session.input.audio = mic
        interview = prepare_interview(compiled, clock=clock, seed=SEED, judge="offline",
                                      tick_interval=3600)
        agent, engine = interview.agent, interview.engine
        try:
            await interview.start(session)
            for _ in range(5):
                mic.push()
            speaker = Speaker(await stt.wait_for_stream(), mic)
            await _until(lambda: _assistant_said(session))
            await _until(lambda: session.agent_state == "listening")
            first = True
            while len(out) < turns and engine.current is not None or first:
                text = "Yes, I'm ready." if first else scripted_answer(engine)
                words = text.split()
                s0 = agent.stats
                before = (server.request_count, s0.drafts, s0.delivered, s0.discarded)
                await speaker.start()
                await speaker.interim(" ".join(words[:3]))
                k = rng.randint(1, 3)
                for i in range(1, k + 1):
                    cut = max(1, round(len(words) * i / k))
                    await speaker.preflight(" ".join(words[:cut]))
                    if i < k:
                        await asyncio.sleep(0.1)  # the draft's request is in flight
                        await speaker.interim(" ".join(words[cut:cut + 3]))
                await speaker.final(text)
                end_at = time.perf_counter()
                await speaker.end()
                await _until(lambda b=before: agent.stats.delivered > b[2])
                await _until(lambda: session.agent_state == "listening")
                await asyncio.sleep(0.05)
                window = server.exchanges[before[0]:]
                kept = [e for e in window if e.outcome == "ok" and e.reply is not None
                        and e.reply.text]
                latency = (kept[-1].first_chunk_at - end_at
                           if kept and kept[-1].first_chunk_at is not None else float("nan"))
                if not first:
                    out.append({
                        "requests": float(len(window)),
                        "drafts": float(agent.stats.drafts - before[1]),
                        "delivered": float(agent.stats.delivered - before[2]),
                        "discarded": float(agent.stats.discarded - before[3]),
                        "preflights": float(k),
                        "latency": latency,
                    })
                first = False
                clock.advance(STEP_SECONDS)
        finally:
            mic._frames.close()  # end the audio input first, or closing waits for it
            await session.aclose()
            await model.aclose()
    return out


# ------------------------------------------------------------------ report


def _row(name: str, turns: list[TurnResult]) -> list[object]:
    lat = [t.latency for t in turns if t.latency is not None]
    calls = [t.requests for t in turns]
    return [name, len(turns), fmt(sum(calls) / len(calls) if calls else float("nan"), 2),
            f"{min(calls, default=0)}-{max(calls, default=0)}",
            fmt(median(lat)), fmt(pct(lat, 95))]


async def main_async(args: argparse.Namespace) -> dict[str, str]:
    from mockflow.testing import FakeOpenAIServer

    quick = args.quick or args.smoke
    names = ["backend"] if quick else ["backend", "frontend", "support-lead"]
    most = 2 if args.smoke else 4 if quick else None
    mock_all, ref_all = AgentRun("mockflow"), AgentRun("seed-style")
    misses = 0
    async with FakeOpenAIServer(None, ttft=args.ttft, tokens_per_s=args.tokens_per_s) as server:
        for name in names:
            mock, answers, prompts = await mockflow_interview(
                server, INTERVIEWS / f"{name}.yaml", max_turns=most)
            labels = [t.label for t in mock.turns if t.label != "ready"]
            ref = await reference_interview(server, prompts, answers, labels)
            misses += _check_same_prompts(mock, ref, prompts)
            mock_all.turns += mock.turns
            ref_all.turns += ref.turns
        extra = AgentRun("mockflow")
        for name in names[: 1 if quick else 2]:
            run, _, _ = await mockflow_interview(server, INTERVIEWS / f"{name}.yaml",
                                                 quality="average", requests=True,
                                                 max_turns=most)
            extra.turns += run.turns
        await asyncio.sleep(0.1)
        undelivered = sum(1 for e in server.exchanges if e.outcome != "ok")
    audio = await audio_turns(args.ttft, args.tokens_per_s,
                              1 if args.smoke else 2 if quick else 12, SEED)

    m_cmp, r_cmp = mock_all.of(COMPARED), ref_all.of(COMPARED)
    m_lat = [t.latency for t in m_cmp if t.latency is not None]
    r_lat = [t.latency for t in r_cmp if t.latency is not None]
    m_calls = sum(t.requests for t in m_cmp) / len(m_cmp)
    r_calls = sum(t.requests for t in r_cmp) / len(r_cmp)
    ratio = median(m_lat) / median(r_lat)

    print(f"interviews: {', '.join(names)}; seed {SEED}; fake model ttft {args.ttft:.3f} s,"
          f" {args.tokens_per_s or 'unpaced'} tokens/s; real openai plugin; text sessions")
    print(machine_line())
    print()
    print("Answer turns (reply asks the next question or follow-up), both agents:")
    print(table([_row("mockflow", m_cmp), _row("seed-style", r_cmp)],
                ["agent", "turns", "LLM req/turn", "range", "median s", "p95 s"]))
    print(f"latency ratio (mockflow median / seed-style median): {ratio:.3f};"
          f" turns whose next prompt differed between the agents: {misses};"
          f" requests not delivered in text sessions: {undelivered}")
    print()
    print("Other turns (not in the ratio):")
    rows = []
    for label in ("ready", "answer->wrap_up", "answer->end"):
        for run in (mock_all, ref_all):
            turns = run.of((label,))
            if turns:
                rows.append(_row(f"{run.name} {label}", turns))
    print(table(rows, ["agent / turn", "turns", "LLM req/turn", "range", "median s", "p95 s"]))
    print()
    print("mockflow alone: request turns and follow-ups (average answers):")
    rows = []
    by_label: dict[str, list[TurnResult]] = defaultdict(list)
    for t in extra.turns:
        by_label[t.label].append(t)
    for label in ("request:repeat", "request:hint", "request:skip", "answer->follow_up",
                  "answer->question"):
        if by_label[label]:
            rows.append(_row(label, by_label[label]))
    print(table(rows, ["turn", "turns", "LLM req/turn", "range", "median s", "p95 s"]))
    print("(request turns: latency to the engine's words handed to the session;"
          " no second request)")
    print()
    drafted = [a["requests"] for a in audio]
    delivered = [a["delivered"] for a in audio]
    discarded = [a["discarded"] for a in audio]
    a_lat = [a["latency"] for a in audio if a["latency"] == a["latency"]]
    print("mockflow alone, audio path with preemptive generation (scripted STT):")
    print(table([[len(audio), fmt(sum(a["preflights"] for a in audio) / len(audio), 2),
                  fmt(sum(drafted) / len(audio), 2), fmt(sum(delivered) / len(audio), 2),
                  fmt(sum(discarded) / len(audio), 2), fmt(median(a_lat)), fmt(pct(a_lat, 95))]],
                ["turns", "preflights/turn", "requests sent/turn", "delivered/turn",
                 "discarded/turn", "end of speech->token median s", "p95 s"]))
    requests_turns = [t for t in extra.turns if t.label.startswith("request:")]
    follow = by_label["answer->follow_up"]
    return {
        "ttft_s": f"{args.ttft:.3f}",
        "tokens_per_s": str(args.tokens_per_s or "unpaced"),
        "turns_compared": str(len(m_cmp)),
        "prompt_mismatches": str(misses),
        "text_requests_undelivered": str(undelivered),
        "mockflow_turn_median_s": fmt(median(m_lat)),
        "mockflow_turn_p95_s": fmt(pct(m_lat, 95)),
        "seed_turn_median_s": fmt(median(r_lat)),
        "seed_turn_p95_s": fmt(pct(r_lat, 95)),
        "request_turn_llm_calls": fmt(
            sum(t.requests for t in requests_turns) / max(1, len(requests_turns)), 2),
        "request_turn_median_s": fmt(median(
            [t.latency for t in requests_turns if t.latency is not None])),
        "follow_up_llm_calls": fmt(sum(t.requests for t in follow) / max(1, len(follow)), 2),
        "follow_up_median_s": fmt(median([t.latency for t in follow if t.latency is not None])),
        "audio_requests_sent_per_turn": fmt(sum(drafted) / max(1, len(audio)), 2),
        "audio_delivered_per_turn": fmt(sum(delivered) / max(1, len(audio)), 2),
        "audio_discarded_per_turn": fmt(sum(discarded) / max(1, len(audio)), 2),
        "audio_eos_to_token_median_s": fmt(median(a_lat)),
        "seed_llm_calls_per_turn": fmt(r_calls, 2),
        "llm_calls_per_turn": fmt(m_calls, 2),
        "turn_latency_ratio": fmt(ratio),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one interview instead of three")
    parser.add_argument("--ttft", type=float, default=DEFAULT_TTFT,
                        help=f"fake model time to first token, s (default {DEFAULT_TTFT})")
    parser.add_argument("--tokens-per-s", type=float, default=DEFAULT_TOKENS_PER_S,
                        help=f"fake model streaming pace (default {DEFAULT_TOKENS_PER_S:g};"
                        " 0 = unpaced)")
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
