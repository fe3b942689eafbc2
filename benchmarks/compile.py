"""Compile time of a generated 500-question interview against a raw CSafeLoader parse.

Both are measured in the same run, on the same bytes; the ratio is what matters.
Also: cold wall time of `mockflow validate interviews/*.yaml` in a fresh process.
Prints a table, then `key=value` lines.
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_smoke  # noqa: E402

from mockflow.format.validate import check_bytes  # noqa: E402

LEVELS = ("junior", "mid", "senior")
COMPETENCIES = ("system_design", "debugging", "databases", "apis", "testing")


def generate(questions: int = 500) -> bytes:
    """A realistic interview: five competencies, three levels, full question entries."""
    lines = [
        "# yaml-language-server: $schema=../schemas/interview.schema.json",
        "mockflow: 1",
        "id: generated-bank",
        "title: Generated question bank",
        "role: {title: Backend Engineer, level: mid, company: Acme}",
        "interviewer:",
        "  name: Alex",
        "  greeting: Hi {{ candidate.name | default('there') }}, I'm {{ interviewer.name }}.",
        "  closing: Thanks{{ ', ' ~ candidate.name if candidate.name }}.",
        "timing: {total_minutes: 60, wrap_up_minutes: 2}",
        "scale: {min: 1, max: 5}",
        "competencies:",
    ]
    for comp in COMPETENCIES:
        lines += [
            f"  - id: {comp}",
            f"    name: {comp.replace('_', ' ').title()}",
            "    anchors:",
            "      - {score: 1, behaviour: Names parts without explaining them}",
            "      - {score: 3, behaviour: Sound answer with one or two trade-offs}",
            "      - {score: 5, behaviour: Drives the answer and weighs alternatives}",
        ]
    lines += [
        "ladder: {levels: [junior, mid, senior], start: mid, step_up_at: 4, step_down_at: 2}",
        "stages:",
        "  - {id: technical, pick: 6, competencies: [system_design, debugging, databases]}",
        "  - {id: craft, pick: 4, competencies: [apis, testing]}",
        "questions:",
    ]
    for i in range(questions):
        comp = COMPETENCIES[i % len(COMPETENCIES)]
        level = LEVELS[(i // len(COMPETENCIES)) % len(LEVELS)]
        lines += [
            f"  - id: q-{i:04d}",
            f"    competency: {comp}",
            f"    level: {level}",
            f"    text: How would you approach problem number {i} in a busy payments service?",
            "    follow_ups:",
            "      - What would you change if the traffic doubled overnight?",
            "    key_points:",
            "      - [caching, cache, memoize]",
            "      - [idempotency, idempotent, retry safely]",
            "      - monitoring",
            "    hints:",
            "      - Think about what happens when the same request arrives twice.",
            "    examples:",
            "      strong: I'd make the handler safe to retry and watch the error rate.",
            "      average: I'd add retries and some logging.",
            "      weak: I'd restart it.",
            "    answer_seconds: 60",
        ]
    return ("\n".join(lines) + "\n").encode()


def best_of(fn: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return times


def cold_validate_seconds(runs: int) -> float:
    exe = ROOT / ".venv" / "bin" / "mockflow"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "mockflow"]
    files = sorted(glob.glob(str(ROOT / "interviews" / "*.yaml")))
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*cmd, "validate", *files], capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    add_smoke(parser)
    args = parser.parse_args()
    repeat = 1 if args.smoke else 5 if args.quick else 15
    raw = generate(20 if args.smoke else 500)
    result = check_bytes(raw, "generated.yaml")
    assert result.compiled is not None, [p.message for p in result.errors][:3]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # Interleave the two so drift on a shared machine hits both alike.
    ours: list[float] = []
    raw_yaml: list[float] = []
    for _ in range(repeat):
        ours += best_of(lambda: check_bytes(raw, "generated.yaml"), 1)
        raw_yaml += best_of(lambda: yaml.load(raw, Loader=loader), 1)
    compile_ms = statistics.median(ours)
    yaml_ms = statistics.median(raw_yaml)
    cold = cold_validate_seconds(1 if args.smoke else 3 if args.quick else 7)
    print(f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()}"
          f" python={platform.python_version()}")
    print(f"{'measure':<52}{'median':>10}")
    print(f"{f'raw yaml.load CSafeLoader, {20 if args.smoke else 500} questions (ms)':<52}"
          f"{yaml_ms:>10.1f}")
    print(f"{'mockflow load+schema+model+checks+compile (ms)':<52}{compile_ms:>10.1f}")
    print(f"{'cold `mockflow validate interviews/*.yaml` (s)':<52}{cold:>10.3f}")
    print(f"compile_ms={compile_ms:.1f}")
    print(f"compile_ratio={compile_ms / yaml_ms:.2f}")
    print(f"validate_cold_s={cold:.3f}")


if __name__ == "__main__":
    main()
