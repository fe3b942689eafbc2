"""Compile time of a generated 500-question interview against a raw CSafeLoader parse, and
how it scales to 2,000 questions.

Both are measured in the same run, on the same bytes; the ratio is what matters. The
scaling figure is compile time at 2,000 questions over compile time at 500 (4.0 is
linear; the quadratic template bound check this guards against gave ~12). Every fifth
question's text and hint are templates (each one different), so template analysis is
part of the figure. Also: cold wall time of `mockflow validate interviews/*.yaml` in a
fresh process. Prints a table, then `key=value` lines. ``--smoke``: 50 and 200
questions, one round, no cold run (the suite runs it: the benchmark still works).
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


def generate(questions: int = 500, templated_every: int = 5) -> bytes:
    """A realistic interview: five competencies, three levels, full question entries; every
    ``templated_every``-th question's text and hint are templates (0: none)."""
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
        text = f"How would you approach problem number {i} in a busy payments service?"
        hint = "Think about what happens when the same request arrives twice."
        if templated_every and i % templated_every == 0:
            text = (f"Question {{{{ question.number }}}} of {{{{ stage.title }}}} for a"
                    f" {{{{ role.title | lower }}}}: how would you approach problem {i}?")
            hint = (f"{{{{ candidate.name | default('Think') }}}} about request {i}"
                    " arriving twice.")
        lines += [
            f"  - id: q-{i:04d}",
            f"    competency: {comp}",
            f"    level: {level}",
            f"    text: \"{text}\"",
            "    follow_ups:",
            "      - What would you change if the traffic doubled overnight?",
            "    key_points:",
            "      - [caching, cache, memoize]",
            "      - [idempotency, idempotent, retry safely]",
            "      - monitoring",
            "    hints:",
            f"      - \"{hint}\"",
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


def median_ms(raw: bytes, repeat: int) -> float:
    return statistics.median(best_of(lambda: check_bytes(raw, "generated.yaml"), repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    add_smoke(parser)
    args = parser.parse_args()
    repeat = 1 if args.smoke else 5 if args.quick else 15
    small, large = (50, 200) if args.smoke else (500, 2000)
    raw = generate(small)
    big = generate(large)
    for sample in (raw, big):
        result = check_bytes(sample, "generated.yaml")
        assert result.compiled is not None, [p.message for p in result.errors][:3]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # Interleave the measurements so drift on a shared machine hits all alike.
    ours: list[float] = []
    raw_yaml: list[float] = []
    ours_big: list[float] = []
    for _ in range(repeat):
        ours += best_of(lambda: check_bytes(raw, "generated.yaml"), 1)
        raw_yaml += best_of(lambda: yaml.load(raw, Loader=loader), 1)
        if len(ours_big) < max(1 if args.smoke else 3, repeat // 3):  # 4x as long each
            ours_big += best_of(lambda: check_bytes(big, "generated.yaml"), 1)
    compile_ms = statistics.median(ours)
    yaml_ms = statistics.median(raw_yaml)
    big_ms = statistics.median(ours_big)
    cold = None if args.smoke else cold_validate_seconds(3 if args.quick else 7)
    print(f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()}"
          f" python={platform.python_version()}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'measure':<52}{'median':>10}")
    print(f"{f'raw yaml.load CSafeLoader, {small} questions (ms)':<52}{yaml_ms:>10.1f}")
    print(f"{f'mockflow load+schema+model+checks+compile, {small} (ms)':<52}{compile_ms:>10.1f}")
    print(f"{f'the same, {large} questions (ms)':<52}{big_ms:>10.1f}")
    if cold is not None:
        print(f"{'cold `mockflow validate interviews/*.yaml` (s)':<52}{cold:>10.3f}")
    print(f"compile_ms={compile_ms:.1f}")
    print(f"compile_ms_{small}={compile_ms:.1f}")
    print(f"compile_ms_{large}={big_ms:.1f}")
    print(f"scaling_{large}_over_{small}={big_ms / compile_ms:.2f}")
    print(f"compile_ratio={compile_ms / yaml_ms:.2f}")
    if cold is not None:
        print(f"validate_cold_s={cold:.3f}")


if __name__ == "__main__":
    main()
