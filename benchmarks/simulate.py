"""A full offline simulated interview of interviews/backend.yaml, timed in the process.

The import of the agent layer (livekit, the session, the offline interviewer) is timed
separately and printed beside the run: it is paid once per process, the run once per
interview. The run is the real session path (``mockflow.simulate.runner.simulate``: room-less
``AgentSession``, ``InterviewerAgent``, tools, timers, engine, offline scorer, results
written and fsynced to a temporary directory) with the strong persona, seed 1, on a
virtual clock: a 40-minute interview in well under a second of real time.

Prints a table, then ``key=value`` lines. Goal: ``simulate_s`` <= 2 s.

``--smoke`` (from ``_common.add_smoke``): the smallest run, seconds; tests/test_benchmarks.py
runs it so a format change can't break this benchmark unseen.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_smoke  # noqa: E402

from mockflow.format.validate import load_interview  # noqa: E402
from mockflow.simulate.runner import simulate  # noqa: E402  (imports livekit)

IMPORT_S = time.perf_counter() - _T0
GOAL_S = 2.0
BACKEND = ROOT / "interviews" / "backend.yaml"


async def one(persona: str, seed: int, root: Path) -> tuple[float, int, int, str]:
    compiled = load_interview(BACKEND)  # once per worker in real use; timed apart below
    start = time.perf_counter()
    outcome = await simulate(compiled, persona, seed=seed, results_root=root)
    elapsed = time.perf_counter() - start
    card = outcome.scorecard
    return elapsed, outcome.requests, len(card["questions"]), str(card["overall"]["score"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    add_smoke(parser)
    args = parser.parse_args()
    repeats = 1 if args.smoke else 3 if args.quick else 15
    start = time.perf_counter()
    load_interview(BACKEND)
    compile_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="mockflow-bench-") as tmp:
        root = Path(tmp)

        async def runs() -> list[tuple[float, int, int, str]]:
            out = [await one("strong", 1, root)]  # the first (cold) run, reported apart
            out += [await one("strong", 1, root) for _ in range(repeats)]
            out += [await one(p, 1, root) for p in ("average", "weak")]
            return out

        results = asyncio.run(runs())
    first = results[0][0]
    warm = [r[0] for r in results[1:1 + repeats]]
    median = statistics.median(warm)
    _, requests, questions, overall = results[0]
    print(f"python {platform.python_version()} on {platform.machine()},"
          f" {os.cpu_count()} CPUs; {repeats} warm runs")
    print(f"{'measure':<34}{'seconds':>10}")
    print(f"{'import (agent layer, livekit)':<34}{IMPORT_S:>10.3f}")
    print(f"{'load and compile backend.yaml':<34}{compile_s:>10.3f}")
    print(f"{'simulate backend, first run':<34}{first:>10.3f}")
    print(f"{'simulate backend, median warm':<34}{median:>10.3f}")
    print(f"{'simulate backend, average persona':<34}{results[-2][0]:>10.3f}")
    print(f"{'simulate backend, weak persona':<34}{results[-1][0]:>10.3f}")
    print(f"(strong, seed 1: {questions} questions, {requests} model requests,"
          f" overall {overall})")
    print(f"import_s={IMPORT_S:.3f}")
    print(f"compile_s={compile_s:.3f}")
    print(f"simulate_s={first:.3f}")
    print(f"simulate_warm_median_s={median:.3f}")
    print(f"simulate_warm_min_s={min(warm):.3f}")
    print(f"goal_simulate_s={GOAL_S}")
    print(f"simulate_within_goal={first <= GOAL_S}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
