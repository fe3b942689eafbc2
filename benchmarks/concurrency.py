"""Many mockflow text sessions in one process: turn latency and memory per session.

Latency: 1, 10 and 50 concurrent room-less text sessions in this process, each with its
own engine, agent and openai LLM client (as a production job builds them), against one
fake OpenAI server running in a child process (so its work and memory are not counted
as the sessions'; a real model is remote too). Two load shapes:

* staggered: each session starts at a seeded random offset and "thinks" a seeded random
  time between its turns;
* all at once: every session hands over turn k at the same moment.

Turn latency is measured as in turn_latency.py: from the call of ``session.run`` to the
server's first content chunk of the spoken reply. Reported: p95 (and median) per shape
and N, and p95 at N over p95 with one session.

Memory (in a fresh child process): 1, then 10, then 50 sessions held open mid-interview;
after a GC, marginal RSS per session = (RSS(N) - RSS(1)) / (N - 1).

Job process: VmRSS of a fresh process that imported livekit, the plugins and
``mockflow.live.worker`` and did what ``prewarm`` does (compile the interview, load the VAD).

Prints tables, then ``key=value`` lines.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
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
    parse_kv,
    pct,
    scripted_answer,
    settled_rss_mib,
    table,
)

from mockflow.interview.clock import VirtualClock  # noqa: E402

SEED = 11
STEP_SECONDS = 20.0
INTERVIEW = INTERVIEWS / "backend.yaml"


@dataclass
class Sim:
    """One candidate session."""

    index: int
    session: Any = None
    agent: Any = None
    engine: Any = None
    model: Any = None
    clock: VirtualClock = field(default_factory=fake_clock)
    starts: list[float] = field(default_factory=list)  # perf_counter at each session.run

    @property
    def name(self) -> str:
        return f"session-{self.index}"

    async def open(self, compiled: Any, base_url: str, shared_model: Any = None) -> None:
        """Open the session; with its own openai client (as a job builds one per
        session) unless ``shared_model`` is given."""
        from livekit.plugins import openai

        from mockflow.live.session import prepare_interview, text_session

        if shared_model is None:
            self.model = openai.LLM(model=self.name, base_url=base_url, api_key="x")
        interview = prepare_interview(compiled, clock=self.clock, seed=self.index,
                                      judge="offline", tick_interval=3600)
        self.engine, self.agent = interview.engine, interview.agent
        self.session = text_session(shared_model or self.model, compiled)
        await self.session.__aenter__()
        await interview.start(self.session)

    async def turn(self) -> None:
        first = not self.starts
        text = "Yes, ready." if first else scripted_answer(self.engine)
        self.clock.advance(STEP_SECONDS)
        self.starts.append(time.perf_counter())
        await self.session.run(user_input=text)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.__aexit__(None, None, None)
        if self.model is not None:
            await self.model.aclose()


def latencies(sims: list[Sim], records: list[dict[str, Any]]) -> tuple[list[float], int]:
    """Per turn: the first chunk of the last spoken request after its start, minus the
    start. Also the number of requests seen (for requests per turn)."""
    by_model: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_model.setdefault(r["model"], []).append(r)
    out: list[float] = []
    total = 0
    for sim in sims:
        mine = sorted(by_model.get(sim.name, []), key=lambda r: r["received_at"])
        total += len(mine)
        bounds = [*sim.starts, float("inf")]
        for k, t0 in enumerate(sim.starts):
            window = [r for r in mine if t0 <= r["received_at"] < bounds[k + 1]]
            spoken = [r for r in window if r["text"] and r["first_chunk_at"] is not None]
            if spoken:
                out.append(spoken[-1]["first_chunk_at"] - t0)
    return out, total


@dataclass
class Shape:
    """What one load shape measured."""

    name: str
    n: int
    latencies: list[float] = field(default_factory=list)
    turns: int = 0
    requests: int = 0
    cpu: float = 0.0  # process CPU seconds while the turns ran

    def add(self, other: Shape) -> None:
        self.latencies += other.latencies
        self.turns += other.turns
        self.requests += other.requests
        self.cpu += other.cpu

    @property
    def p95(self) -> float:
        return pct(self.latencies, 95)


async def run_shape(compiled: Any, server: ServerProcess, n: int, shape: str, turns: int,
                    think: tuple[float, float], rng: random.Random) -> Shape:
    """``n`` sessions open at once in this process, each taking ``turns`` turns."""
    sims = [Sim(i) for i in range(n)]
    server.dump()  # forget earlier requests
    try:
        for sim in sims:
            await sim.open(compiled, server.base_url)
        await asyncio.sleep(0.2)  # greetings are said
        cpu_start = time.process_time()
        if shape == "staggered":
            offsets = [rng.uniform(0, think[1]) for _ in sims]
            pauses = [[rng.uniform(*think) for _ in range(turns)] for _ in sims]

            async def drive(sim: Sim) -> None:
                await asyncio.sleep(offsets[sim.index])
                for k in range(turns):
                    await sim.turn()
                    if k < turns - 1:
                        await asyncio.sleep(pauses[sim.index][k])

            await asyncio.gather(*(drive(s) for s in sims))
        else:  # all at once (and one session alone)
            for _ in range(turns):
                await asyncio.gather(*(s.turn() for s in sims))
        cpu = time.process_time() - cpu_start
    finally:
        for sim in sims:
            await sim.close()
    lat, requests = latencies(sims, server.dump())
    return Shape(shape, n, lat, sum(len(s.starts) for s in sims), requests, cpu)


def sizes(smoke: bool) -> tuple[int, int, int]:
    """Session counts measured: one, then two loads (tiny ones in a smoke run)."""
    return (1, 2, 3) if smoke else (1, 10, 50)


async def latency_phase(args: argparse.Namespace) -> list[Shape]:
    from mockflow.format.validate import load_interview

    compiled = load_interview(INTERVIEW)
    rng = random.Random(SEED)
    quick = args.quick or args.smoke
    turns = 1 if args.smoke else 2 if quick else 6
    think = (0.1, 0.6) if quick else (0.5, 3.0)
    with ServerProcess("mockflow", args.ttft, args.tokens_per_s) as server:
        # one session alone, several times over, so its p95 rests on enough turns
        one = Shape("one session", 1)
        for _ in range(1 if args.smoke else 2 if quick else 4):
            one.add(await run_shape(compiled, server, 1, "one session", turns, think, rng))
        results = [one]
        for n in sizes(args.smoke)[1:]:
            for shape in ("staggered", "all-at-once"):
                results.append(await run_shape(compiled, server, n, shape, turns, think, rng))
    return results


# ------------------------------------------------------------------ memory (child process)


async def memory_phase(shared: bool, smoke: bool = False) -> None:
    """Run in a fresh process: sessions held open mid-interview, RSS after a GC.
    ``shared``: all sessions use one openai client instead of one each."""
    targets = sizes(smoke)
    from livekit.plugins import openai

    from mockflow.format.validate import load_interview

    compiled = load_interview(INTERVIEW)
    mid = 3  # turns per session before measuring: "ready" and two answers
    sims: list[Sim] = []
    marks: dict[int, float] = {}
    # memory does not depend on the model's pace: the fake model answers at once
    with ServerProcess("mockflow", 0.0, None) as server:
        model = openai.LLM(model="shared", base_url=server.base_url, api_key="x")
        try:
            for target in targets:
                new = [Sim(i) for i in range(len(sims), target)]
                for sim in new:
                    await sim.open(compiled, server.base_url, model if shared else None)
                for _ in range(mid):
                    await asyncio.gather(*(s.turn() for s in new))
                sims += new
                await asyncio.sleep(0.2)
                server.dump()
                marks[target] = settled_rss_mib()
            history = sum(len(s.session.history.items) for s in sims) / len(sims)
        finally:
            for sim in sims:
                await sim.close()
            await model.aclose()
    for n in targets:
        print(f"rss_{n}_mib={marks[n]:.1f}")
        if n > 1:
            print(f"marginal_{n}_mib={(marks[n] - marks[1]) / (n - 1):.3f}")
    print(f"history_items={history:.1f}")


JOB_SCRIPT = """
import dataclasses, sys, tempfile, time, types
from pathlib import Path
t0 = time.perf_counter()
import livekit.agents
import livekit.plugins.openai, livekit.plugins.deepgram, livekit.plugins.silero
from mockflow.live.worker import WorkerConfig, prewarm

def rss(key):
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(key + ':'):
            return int(line.split()[1]) / 1024

imported = rss('VmRSS')
path = sys.argv[1]
known = {'interview_path': path, 'interview_source': Path(path).read_bytes(),
         'results_dir': tempfile.gettempdir(), 'agent_name': 'bench'}
required = [f.name for f in dataclasses.fields(WorkerConfig)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
config = WorkerConfig(**{name: known[name] for name in required})
proc = types.SimpleNamespace(userdata={})
prewarm(config, proc)  # what LiveKit runs once in each job process
assert proc.userdata['compiled'] is not None and proc.userdata['vad'] is not None
print(f'job_imports_rss_mib={imported:.1f}')
print(f'job_process_rss_mib={rss("VmRSS"):.1f}')
print(f'job_process_anon_mib={rss("RssAnon"):.1f}')
print(f'job_prewarm_s={time.perf_counter() - t0:.2f}')
"""


def _child(cmd: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _collect(proc: subprocess.Popen[str], what: str) -> dict[str, str]:
    try:
        out, err = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"{what} timed out") from None
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{err[-3000:]}")
    return parse_kv(out)


def memory_and_job(quick: bool, smoke: bool = False
                   ) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The RSS measurements, each in a fresh process, side by side (no timings there):
    sessions with their own openai clients, sessions sharing one (full run only), the job
    process."""
    me = [sys.executable, str(Path(__file__).resolve()), "--memory-child",
          *(["--smoke"] if smoke else [])]
    own = _child(me)
    shared = None if quick or smoke else _child([*me, "--shared-llm"])
    job = _child([sys.executable, "-c", JOB_SCRIPT, str(INTERVIEW)])
    _, mid, most = sizes(smoke)
    absent = dict.fromkeys(("rss_1_mib", f"rss_{mid}_mib", f"rss_{most}_mib",
                            f"marginal_{mid}_mib", f"marginal_{most}_mib"), "-")
    return (_collect(own, "the memory measurement"),
            absent if shared is None else _collect(shared, "the shared-client measurement"),
            _collect(job, "the job-process measurement"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer turns and repeats")
    parser.add_argument("--ttft", type=float, default=DEFAULT_TTFT)
    parser.add_argument("--tokens-per-s", type=float, default=DEFAULT_TOKENS_PER_S)
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shared-llm", action="store_true", help=argparse.SUPPRESS)
    add_smoke(parser)
    args = parser.parse_args()
    args.tokens_per_s = args.tokens_per_s or None
    if args.smoke:  # a quick model: the smoke run checks the path, not the figures
        args.ttft, args.tokens_per_s = min(args.ttft, 0.01), None
    if args.memory_child:
        asyncio.run(memory_phase(args.shared_llm, args.smoke))
        return
    _, mid, most = sizes(args.smoke)
    mem, shared, job = memory_and_job(args.quick, args.smoke)
    results = asyncio.run(latency_phase(args))
    one = results[0]
    rows = []
    figures: dict[str, str] = {}
    for r in results:
        ratio = r.p95 / one.p95
        rows.append([r.name, r.n, len(r.latencies), fmt(r.requests / max(1, r.turns), 2),
                     fmt(median(r.latencies)), fmt(r.p95), fmt(ratio, 2),
                     fmt(1000 * r.cpu / max(1, r.turns), 1)])
        if r.n > 1:
            key = r.name.replace("-", "_")
            figures[f"p95_{key}_{r.n}_s"] = fmt(r.p95)
            figures[f"p95_ratio_{key}_{r.n}"] = fmt(ratio, 2)
    print(machine_line())
    print(f"fake model (child process): ttft {args.ttft:.3f} s,"
          f" {args.tokens_per_s or 'unpaced'} tokens/s; interview {INTERVIEW.name}")
    print()
    print("Turn latency (session.run -> first token of the spoken reply), one process:")
    print(table(rows, ["load", "sessions", "turns", "LLM req/turn", "median s", "p95 s",
                       "p95 / one", "CPU ms/turn"]))
    print("(CPU ms/turn: this process's CPU time while the turns ran, per turn)")
    print()
    print("Memory (fresh process, sessions mid-interview, after GC):")
    print(table([[1, mem["rss_1_mib"], "", shared["rss_1_mib"], ""],
                 [mid, mem[f"rss_{mid}_mib"], mem[f"marginal_{mid}_mib"],
                  shared[f"rss_{mid}_mib"], shared[f"marginal_{mid}_mib"]],
                 [most, mem[f"rss_{most}_mib"], mem[f"marginal_{most}_mib"],
                  shared[f"rss_{most}_mib"], shared[f"marginal_{most}_mib"]]],
                ["sessions", "RSS MiB", "marginal MiB/session", "one shared client: RSS",
                 "marginal"]))
    print(f"history items per session when measured: {mem['history_items']}")
    print()
    print("One prewarmed job process (imports + compiled interview + VAD):")
    print(table([["after imports", job["job_imports_rss_mib"]],
                 ["after prewarm (VmRSS)", job["job_process_rss_mib"]],
                 ["after prewarm (RssAnon)", job["job_process_anon_mib"]]],
                ["", "MiB"]))
    print()
    figures.update({
        "p95_one_session_s": fmt(one.p95),
        "client_cpu_ms_per_turn": fmt(1000 * one.cpu / max(1, one.turns), 1),
        f"session_rss_{mid}_mib": mem[f"marginal_{mid}_mib"],
        **({} if args.quick or args.smoke
           else {"session_rss_shared_llm_mib": shared["marginal_50_mib"]}),
        "job_process_anon_mib": job["job_process_anon_mib"],
        "job_prewarm_s": job["job_prewarm_s"],
        "session_rss_mib": mem[f"marginal_{most}_mib"],
        "job_process_rss_mib": job["job_process_rss_mib"],
    })
    for key, value in figures.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()
