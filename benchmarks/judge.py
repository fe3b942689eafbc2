"""The judge off the critical path: interviewer figures with and without a judge.

The same interview runs twice in one process, in room-less text sessions through the real
openai plugin against the same fake interviewer model (same seed, same answers): once
scored offline, once with an LLM judge (the competent fake judge, on its own server with
its own time to first token, through the real ``openai`` client) judging each question in
the background as it closes. Measured: the interviewer's requests per answer turn and the
median answer-turn latency with the judge against without it (both should stay put), and
the judge's requests per judged question (1.0 when every verdict is valid first time).

Prints a table, then ``key=value`` lines: ``judge_calls_per_question``,
``judge_llm_calls_per_turn`` (with the judge), ``judge_llm_calls_per_turn_off``,
``judge_turn_latency_ratio`` (median with / without).

``--smoke`` (from ``_common.add_smoke``): the smallest run, seconds; tests/test_benchmarks.py
runs it so a format change can't break this benchmark unseen.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
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
    fake_clock,
    machine_line,
    median,
    scripted_answer,
    table,
    timed_turn,
)

SEED = 7
STEP_SECONDS = 20.0
JUDGE_TTFT = 0.8  # a judge reads a long prompt: slower than the interviewer


async def interview(server: Any, path: Path, judge_url: str | None, max_turns: int
                    ) -> tuple[list[TurnResult], Any]:
    """One interview; returns its answer turns and the session judge (or None)."""
    from livekit.plugins import openai

    from mockflow.format.validate import load_interview
    from mockflow.live.session import prepare_interview, text_session
    from mockflow.scoring.judge import OFFLINE_CHOICE, choose
    from mockflow.testing.policies import interviewer_policy

    compiled = load_interview(path)
    clock = fake_clock()
    choice = OFFLINE_CHOICE if judge_url is None else choose(
        compiled.interview, {}, mode="llm", model="fake-judge", base_url=judge_url)
    # no results written: with the offline scorer there is no judge to attach
    interview = prepare_interview(compiled, clock=clock, seed=SEED, judge=choice,
                                  judge_wait_s=60, tick_interval=3600)
    engine, judging = interview.engine, interview.judging
    server.policy = interviewer_policy
    model = openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
    turns: list[TurnResult] = []
    try:
        async with text_session(model, compiled) as session:
            says = SayStamps(session)
            await interview.start(session)
            while not any(m.role == "assistant" for m in session.history.messages()):
                await asyncio.sleep(0.01)
            if engine.current is None:
                await timed_turn(session, server, "Yes, ready.", "ready", says)
            while engine.current is not None and len(turns) < max_turns:
                clock.advance(STEP_SECONDS)
                number = engine.current.number
                turn = await timed_turn(session, server, scripted_answer(engine, "average"),
                                        "", says)
                current = engine.current
                turn.label = "answer->next" if current is not None and (
                    current.number != number or len(current.prompts) > 1) else "other"
                turns.append(turn)
            if judging is not None:
                await judging.finish()
    finally:
        await model.aclose()
    return [t for t in turns if t.label == "answer->next"], judging


def _row(name: str, turns: list[TurnResult]) -> list[str]:
    lat = [t.latency for t in turns if t.latency is not None]
    calls = sum(t.requests for t in turns) / len(turns)
    return [name, str(len(turns)), f"{calls:.2f}", f"{median(lat):.3f}"]


async def main_async(args: argparse.Namespace) -> dict[str, str]:
    from mockflow.testing import FakeOpenAIServer
    from mockflow.testing.judges import competent_judge
    from mockflow.testing.thread import serve_in_thread

    names = ["backend"] if args.quick or args.smoke else ["backend", "frontend", "support-lead"]
    limit = 2 if args.smoke else 6 if args.quick else 40
    off: list[TurnResult] = []
    on: list[TurnResult] = []
    judged = requests = 0
    t0 = time.perf_counter()
    with serve_in_thread(competent_judge, ttft=JUDGE_TTFT) as judge_server:
        async with FakeOpenAIServer(None, ttft=args.ttft,
                                    tokens_per_s=args.tokens_per_s) as server:
            for name in names:
                path = INTERVIEWS / f"{name}.yaml"
                turns, _ = await interview(server, path, None, limit)
                off += turns
                turns, judging = await interview(server, path, judge_server.base_url, limit)
                on += turns
                assert judging is not None
                judged += judging.judged
                requests += judging.requests
    calls_off = sum(t.requests for t in off) / len(off)
    calls_on = sum(t.requests for t in on) / len(on)
    lat_off = median([t.latency for t in off if t.latency is not None])
    lat_on = median([t.latency for t in on if t.latency is not None])
    print(f"interviews: {', '.join(names)}; seed {SEED}; interviewer ttft {args.ttft:.3f} s,"
          f" judge ttft {JUDGE_TTFT:.3f} s; real openai plugin and client; text sessions;"
          f" {time.perf_counter() - t0:.1f} s")
    print(machine_line())
    print(table([_row("judge off (offline scorer)", off), _row("LLM judge in background", on)],
                ["interviewer", "answer turns", "LLM req/turn", "median s"]))
    print(f"judge: {judged} questions judged, {requests} judge requests")
    return {
        "judge_calls_per_question": f"{requests / judged:.2f}" if judged else "nan",
        "judge_llm_calls_per_turn": f"{calls_on:.2f}",
        "judge_llm_calls_per_turn_off": f"{calls_off:.2f}",
        "judge_turn_latency_ratio": f"{lat_on / lat_off:.3f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one interview, a few turns")
    parser.add_argument("--ttft", type=float, default=DEFAULT_TTFT,
                        help=f"interviewer model time to first token, s (default {DEFAULT_TTFT})")
    parser.add_argument("--tokens-per-s", type=float, default=DEFAULT_TOKENS_PER_S,
                        help="interviewer streaming pace (0 = unpaced)")
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
