"""Smoke tests of the benchmarks (no timings asserted): every benchmark runs in its
``--smoke`` mode (found by listing ``benchmarks/``, so a new one is covered the day it
lands), the seed-style reference agent costs three LLM requests per answer turn where
mockflow costs one, and the ``make bench`` driver reads and orders ``key=value`` figures."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

sys.path.append(str(ROOT / "benchmarks"))

import run_all  # noqa: E402
from _common import SayStamps, fake_clock, scripted_answer, timed_turn  # noqa: E402
from reference_agent import (  # noqa: E402
    InterviewState,
    ReferenceInterviewer,
    reference_llm,
    reference_policy,
    reference_session,
)

BACKEND = ROOT / "interviews" / "backend.yaml"
# helpers (_*.py: the shared code, the fleet benchmark's worker programs) and the driver
NOT_BENCHMARKS = {"run_all.py", "reference_agent.py"}
# run in smoke mode by their own tests, which also check the figures they print (a real
# voice session takes a minute: once per suite is enough)
OWN_SMOKE_TESTS = {"voice_real_audio.py": "tests/test_voice_benchmark.py"}
SMOKE_HANG_GUARD_S = 900  # not a timing: a smoke run takes seconds on an idle machine


def benchmarks() -> list[Any]:
    found = sorted(p for p in (ROOT / "benchmarks").glob("*.py")
                   if p.name not in NOT_BENCHMARKS | OWN_SMOKE_TESTS.keys()
                   and not p.name.startswith("_"))
    return [pytest.param(p, id=p.name) for p in found]


@pytest.mark.parametrize("path", benchmarks())
def test_every_benchmark_runs_in_smoke_mode(path: Path, tmp_path: Path) -> None:
    """A format change elsewhere can never silently break a benchmark again: each one
    runs end to end (fake model servers on loopback, temporary files) and prints its
    ``key=value`` figures."""
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_API_KEY", "_API_SECRET")) and not k.startswith("LIVEKIT_")}
    env.update(TMPDIR=str(tmp_path), MOCKFLOW_RESULTS=str(tmp_path / "results"),
               MOCKFLOW_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, str(path), "--smoke"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=SMOKE_HANG_GUARD_S,
                          check=False)
    assert proc.returncode == 0, f"{path.name} --smoke failed:\n{proc.stderr[-4000:]}"
    figures = run_all.parse_kv(proc.stdout)
    assert figures, f"{path.name} --smoke printed no key=value figures:\n{proc.stdout[-2000:]}"


def test_discovery_sees_every_benchmark_file() -> None:
    names = {p.values[0].name for p in benchmarks()}
    assert {"soak.py", "compile.py", "fleet.py"} <= names
    assert not names & NOT_BENCHMARKS
    for name, test in OWN_SMOKE_TESTS.items():  # covered elsewhere, really
        assert (ROOT / "benchmarks" / name).exists()
        assert f'"{name}"' in (ROOT / test).read_text("utf-8") and "--smoke" in (
            ROOT / test).read_text("utf-8")


async def _until_assistant(session: Any) -> None:
    async def poll() -> None:
        while not any(m.role == "assistant" for m in session.history.messages()):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), 60)  # hang guard


async def _mockflow(server: Any) -> tuple[list[int], list[str], list[str]]:
    """Ready + two answers through mockflow: (requests per turn, answers, prompts)."""
    from livekit.plugins import openai

    from mockflow.format.validate import load_interview
    from mockflow.live.session import prepare_interview, text_session
    from mockflow.testing.policies import interviewer_policy

    compiled = load_interview(BACKEND)
    clock = fake_clock()
    interview = prepare_interview(compiled, clock=clock, seed=7, judge="offline",
                                  tick_interval=3600)
    engine = interview.engine
    server.policy = interviewer_policy
    model = openai.LLM(model="gpt-4o-mini", base_url=server.base_url, api_key="x")
    costs, answers = [], []
    try:
        async with text_session(model, compiled) as session:
            says = SayStamps(session)
            await interview.start(session)
            await _until_assistant(session)
            costs.append((await timed_turn(session, server, "Ready.", "ready", says)).requests)
            for _ in range(2):
                answers.append(scripted_answer(engine))
                costs.append((await timed_turn(session, server, answers[-1], "a", says)).requests)
    finally:
        await model.aclose()
    prompts = [p for r in engine.records for p in r.prompts]
    return costs, answers, prompts


async def _reference(server: Any, prompts: list[str], answers: list[str]
                     ) -> tuple[list[int], list[list[str]], InterviewState]:
    server.policy = reference_policy
    model = reference_llm(server.base_url)
    state = InterviewState(questions=prompts)
    costs, said = [], []
    try:
        async with reference_session(model, state) as session:
            await session.start(ReferenceInterviewer())
            await _until_assistant(session)
            for text in ["Ready.", *answers]:
                turn = await timed_turn(session, server, text, "t")
                costs.append(turn.requests)
                said.append(turn.said)
    finally:
        await model.aclose()
    return costs, said, state


def test_reference_costs_three_requests_per_answer_and_mockflow_one() -> None:
    from mockflow.testing import FakeOpenAIServer

    async def main() -> tuple[Any, ...]:
        async with FakeOpenAIServer(None) as server:
            mock_costs, answers, prompts = await _mockflow(server)
            first_ref = server.request_count
            ref_costs, said, state = await _reference(server, prompts, answers)
            ref_requests = server.requests[first_ref:]
        return mock_costs, ref_costs, said, state, prompts, ref_requests

    mock_costs, ref_costs, said, state, prompts, requests = asyncio.run(
        asyncio.wait_for(main(), 60))
    assert mock_costs == [1, 1, 1]
    assert ref_costs == [2, 3, 3]  # ready: fetch + speak; answers: record + fetch + speak
    # the reference asked what mockflow asked, in the same order
    assert len(prompts) >= 3
    for turn_said, prompt in zip(said, prompts, strict=False):
        assert any(prompt in s for s in turn_said), (prompt, turn_said)
    assert state.index == 3 and len(state.responses) == 2
    assert all(r["summary"].startswith("The candidate said:") for r in state.responses)
    # the seed's set-up: four tools from the class, parallel tool calls off
    tools = {t["function"]["name"] for t in requests[-1].tools}
    assert tools == {"record_response", "get_next_question", "provide_feedback",
                     "end_interview"}
    assert all(r.raw.get("parallel_tool_calls") is False for r in requests if r.tools)
    names = [c["function"]["name"] for m in requests[-1].messages
             if m.get("role") == "assistant" for c in m.get("tool_calls") or []]
    assert names == ["get_next_question", "record_response", "get_next_question",
                     "record_response", "get_next_question"]


SAMPLE = """\
machine: x86_64 cores=2 python=3.11.7
measure                                               median
mockflow load+schema+model+checks+compile (ms)          62.1
compile_ms=62.1
compile_ratio=1.69
turn_latency_ratio=0.25
  not a figure=1 2
Key=upper case is not a figure
llm_calls_per_turn=1.00
compile_ratio=1.70
"""


def test_driver_parses_and_orders_figures() -> None:
    figures = run_all.parse_kv(SAMPLE)
    assert figures == {"compile_ms": "62.1", "turn_latency_ratio": "0.25",
                       "llm_calls_per_turn": "1.00", "compile_ratio": "1.70"}
    figures["p95_ratio_staggered_50"] = "1.10"
    lines = run_all.ordered_figures(figures)
    required = [line.split("=")[0] for line in lines[-len(run_all.REQUIRED):]]
    assert required == list(run_all.REQUIRED)
    assert lines[:2] == ["compile_ms=62.1", "p95_ratio_staggered_50=1.10"]
    assert "session_rss_mib=missing" in lines
    verdicts = {row[0]: row[3] for row in run_all.goal_rows(figures)}
    goals = {g.key: g.what for g in run_all.GOALS}
    assert verdicts[goals["llm_calls_per_turn"]] == "met"
    assert verdicts[goals["turn_latency_ratio"]] == "met"
    assert verdicts[goals["session_rss_mib"]] == "?"
    figures["turn_latency_ratio"] = "0.55"
    verdicts = {row[0]: row[3] for row in run_all.goal_rows(figures)}
    assert verdicts[goals["turn_latency_ratio"]] == "MISSED"
