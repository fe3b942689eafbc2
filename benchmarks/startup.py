"""Start-up: how long the commands people run first take, against the floor of their own
libraries, in one run.

- floor: ``python -c "import yaml, jinja2"`` (the two libraries ``validate`` cannot do
  without), a fresh process each time;
- ``mockflow validate interviews/*.yaml`` (the three shipped files), a fresh process;
- ``mockflow run interviews/backend.yaml --console --offline``: launch → the first line
  on stdout, and → the interviewer's opening words.

Each is run ``--runs`` times, interleaved (floor, validate, console, floor, ...), so
machine load hits them alike; medians are compared. "Cold" means a new interpreter each
time; the OS file cache and Python's bytecode cache are warm, as after an install (the
first, discarded round warms both: the children run without ``PYTHONDONTWRITEBYTECODE``,
which some shells set and which made every run compile mockflow's sources, about 70 ms
of CPU here). Besides wall time, the CPU time of floor and validate (user + system, from
``getrusage``) is compared: on a machine other work is loading it moves far less.

Prints a table, then ``key=value`` lines.

``--smoke`` (from ``_common.add_smoke``): the smallest run, seconds; tests/test_benchmarks.py
runs it so a format change can't break this benchmark unseen.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import INTERVIEWS, add_smoke, fmt, machine_line, median, table  # noqa: E402

BIN = Path(sys.executable).parent
FLOOR = [sys.executable, "-c", "import yaml, jinja2"]
# as installed: bytecode is cached (pip compiles it; an editable install writes it on first use)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _mockflow() -> list[str]:
    script = BIN / "mockflow"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mockflow"]


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env=ENV)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def console_lines(results: str) -> tuple[float, float]:
    """Launch → first stdout line, launch → the interviewer's first words (seconds)."""
    env = {**ENV, "OPENAI_API_KEY": ""}
    cmd = [*_mockflow(), "run", str(INTERVIEWS / "backend.yaml"), "--console", "--offline",
           "--results", results]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None and proc.stdin is not None
    first = opening = 0.0
    for line in proc.stdout:
        now = time.perf_counter() - t0
        first = first or now
        if ": " in line and not line.startswith(("mockflow", "interviewer:")):
            opening = now
            break
    proc.stdin.write("/quit\n")
    proc.stdin.close()
    proc.stdout.read()
    proc.wait(timeout=120)
    return first, opening


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 9")
    parser.add_argument("--runs", type=int, default=None)
    add_smoke(parser)
    args = parser.parse_args()
    runs = args.runs or (1 if args.smoke else 3 if args.quick else 9)
    files = [str(p) for p in sorted(INTERVIEWS.glob("*.yaml"))]
    validate = [*_mockflow(), "validate", *files]
    floor: list[float] = []
    cold: list[float] = []
    floor_cpu: list[float] = []
    cold_cpu: list[float] = []
    first: list[float] = []
    opening: list[float] = []
    with tempfile.TemporaryDirectory() as results:
        for i in range(runs + 1):
            (f, f_cpu), (v, v_cpu) = timed(FLOOR), timed(validate)
            c1, c2 = console_lines(results)
            if i:  # the first round only warms the file and bytecode caches
                floor.append(f)
                cold.append(v)
                floor_cpu.append(f_cpu)
                cold_cpu.append(v_cpu)
                first.append(c1)
                opening.append(c2)
    base = median(floor)
    print(f"{runs} interleaved runs of each, medians; {len(files)} interview files")
    print(machine_line())
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print()
    print(table([
        ["python -c 'import yaml, jinja2' (floor)", fmt(base * 1000, 0), "1.00"],
        [f"mockflow validate ({len(files)} files)", fmt(median(cold) * 1000, 0),
         fmt(median(cold) / base, 2)],
        ["mockflow run --console: first line", fmt(median(first) * 1000, 0),
         fmt(median(first) / base, 2)],
        ["mockflow run --console: opening words", fmt(median(opening) * 1000, 0),
         fmt(median(opening) / base, 2)],
        ["CPU: python -c 'import yaml, jinja2'", fmt(median(floor_cpu) * 1000, 0), "1.00"],
        [f"CPU: mockflow validate ({len(files)} files)", fmt(median(cold_cpu) * 1000, 0),
         fmt(median(cold_cpu) / median(floor_cpu), 2)],
    ], ["command", "median ms", "/ floor"]))
    print()
    for key, value in {
        "startup_floor_ms": fmt(base * 1000, 0),
        "validate_cold_ms": fmt(median(cold) * 1000, 0),
        "console_first_line_ms": fmt(median(first) * 1000, 0),
        "console_opening_ms": fmt(median(opening) * 1000, 0),
        "console_first_line_s": fmt(median(first), 3),
        "validate_cold_ratio": fmt(median(cold) / base, 2),
        "validate_cpu_ratio": fmt(median(cold_cpu) / median(floor_cpu), 2),
    }.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()
