"""Engine and offline-scorer timings, and the offline scorer's calibration agreement.

Timings (median of many runs, this machine): a new engine from a compiled interview, one
move (``propose`` on a typical answer turn, scoring included), scoring one answer offline.
Calibration: the offline scorer against the hand-scored answers in tests/calibration/
(never the interviews' own examples): within-one agreement and Spearman rank correlation
per interview, and over all of them. Prints a table, then ``key=value`` lines.

``--smoke`` (from ``_common.add_smoke``): the smallest run, seconds; tests/test_benchmarks.py
runs it so a format change can't break this benchmark unseen.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_smoke  # noqa: E402

from mockflow.format.compile import CompiledInterview  # noqa: E402
from mockflow.format.validate import load_interview  # noqa: E402
from mockflow.interview.engine import InterviewEngine  # noqa: E402
from mockflow.interview.records import CandidateTurn  # noqa: E402
from mockflow.scoring.agreement import spearman, within_one  # noqa: E402
from mockflow.scoring.base import AnsweredQuestion, Rubric  # noqa: E402
from mockflow.scoring.offline import OFFLINE  # noqa: E402

GOALS_MS = {"engine_new_ms": 1.0, "engine_move_ms": 0.1, "score_answer_ms": 2.0}


def per_call_ms(fn: Callable[[], Any], *, number: int, repeat: int) -> float:
    """Median over ``repeat`` batches of the mean time of one call (ms)."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) * 1000 / number)
    return statistics.median(samples)


def timings(compiled: CompiledInterview, quick: bool, smoke: bool = False
            ) -> dict[str, float]:
    iv = compiled.interview
    number, repeat = (5, 1) if smoke else (200, 5) if quick else (2000, 15)
    t = [0.0]

    def clock() -> float:
        return t[0]

    def new_engine() -> InterviewEngine:
        return InterviewEngine(compiled, clock=clock, seed=7)

    engine = new_engine()
    engine.start()
    if engine.current is None:
        engine.commit(engine.propose("Yes, ready."))
    t[0] = 60.0
    rec = engine.current
    assert rec is not None
    question = iv.question(rec.question_id)
    answer = question.examples.average or question.examples.strong or "I'd add a cache."
    turn = CandidateTurn(answer, 20.0, 55.0)
    rubric = Rubric(iv.competency(question.competency), iv.scale, iv.questions)
    item = AnsweredQuestion.of(question, [answer])
    return {
        "engine_new_ms": per_call_ms(new_engine, number=number, repeat=repeat),
        "engine_move_ms": per_call_ms(lambda: engine.propose(turn), number=number,
                                      repeat=repeat),
        "score_answer_ms": per_call_ms(lambda: OFFLINE.score(item, rubric),
                                       number=number, repeat=repeat),
    }


def calibration(interviews: dict[str, CompiledInterview]) -> list[tuple[str, int, float, float]]:
    rows = []
    all_gold: list[float] = []
    all_pred: list[float] = []
    for path in sorted((ROOT / "tests" / "calibration").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        compiled = interviews.get(data["interview"])
        if compiled is None:
            print(f"warning: {path.name}: no interview '{data['interview']}'", file=sys.stderr)
            continue
        iv = compiled.interview
        gold: list[float] = []
        pred: list[float] = []
        for item in data["answers"]:
            q = iv.question(item["question"])
            score = OFFLINE.score(AnsweredQuestion.of(q, [item["answer"]]),
                                  Rubric(iv.competency(q.competency), iv.scale, iv.questions))
            gold.append(float(item["score"]))
            pred.append(float(iv.scale.min) if score.score is None else score.score)
        rows.append((data["interview"], len(gold), within_one(gold, pred), spearman(gold, pred)))
        all_gold += gold
        all_pred += pred
    if all_gold:
        rows.append(("all", len(all_gold), within_one(all_gold, all_pred),
                     spearman(all_gold, all_pred)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    add_smoke(parser)
    args = parser.parse_args()
    interviews = {}
    for path in sorted((ROOT / "interviews").glob("*.yaml")):
        compiled = load_interview(path)
        interviews[compiled.interview.id] = compiled
    backend = interviews.get("backend-engineer") or next(iter(interviews.values()))
    measured = timings(backend, args.quick, args.smoke)
    print(f"machine: {platform.platform()} {platform.machine()} cpus={os.cpu_count()}"
          f" python={platform.python_version()}")
    print(f"interview: {backend.interview.id} ({len(backend.interview.questions)} questions)")
    print(f"{'measure':<44}{'median ms':>12}{'goal ms':>10}")
    labels = {
        "engine_new_ms": "new engine from a compiled interview",
        "engine_move_ms": "one move (propose on an answer turn)",
        "score_answer_ms": "score one answer offline",
    }
    for key, label in labels.items():
        print(f"{label:<44}{measured[key]:>12.4f}{GOALS_MS[key]:>10.1f}")
    rows = calibration(interviews)
    print()
    print(f"{'calibration (offline scorer)':<32}{'answers':>8}{'within-one':>12}{'spearman':>10}")
    for name, n, w1, rho in rows:
        print(f"{name:<32}{n:>8}{w1:>12.3f}{rho:>10.3f}")
    for key in labels:
        print(f"{key}={measured[key]:.4f}")
    for name, _, w1, rho in rows:
        suffix = "" if name == "all" else f"_{name.replace('-', '_')}"
        print(f"calibration_within_one{suffix}={w1:.3f}")
        print(f"calibration_spearman{suffix}={rho:.3f}")


if __name__ == "__main__":
    main()
