"""``make bench``: every benchmark, one report.

Runs each benchmark as its own process (startup, compile, engine, scoring, simulate when present,
turn_latency, concurrency, judge,
voice_latency, voice_real_audio), shows what each printed, then one table of the headline
figures against their goals, and finally every ``key=value`` figure, the required ones
last. ``--quick`` passes ``--quick`` on (a reduced run, under a minute).

Exit status: 0 when every benchmark ran and every required figure is there (a missed
goal is reported, not an error), 1 otherwise.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, parse_kv, table  # noqa: E402

BENCH = Path(__file__).resolve().parent
BENCHMARKS = ("startup", "compile", "engine", "scoring", "simulate", "turn_latency",
              "concurrency", "judge", "voice_latency", "voice_real_audio")
OPTIONAL = {"simulate"}  # comes from another change; skipped with a note when absent
# a figure a benchmark prints under a name an earlier one already printed is kept under
# this prefix (voice_latency's first audio is the fake-TTS pipeline's; voice_real_audio's
# the local voice's, from the true end of an answer)
PREFIX_ON_CLASH = {"voice_real_audio": "real_audio_"}
# hang guards (quick, full) in seconds for benchmarks that run sessions in real time
LONG_RUNS = {"voice_real_audio": (1500, 4800)}
REQUIRED = (
    "llm_calls_per_turn",
    "seed_llm_calls_per_turn",
    "turn_latency_ratio",
    "session_rss_mib",
    "job_process_rss_mib",
    "compile_ratio",
    "judge_calls_per_question",
    "first_audio_ms",
    "seed_first_audio_ms",
    "first_audio_ratio",
    "voice_requests_sent_per_turn",
)


@dataclass(frozen=True)
class Goal:
    key: str
    limit: float
    what: str


GOALS = (
    Goal("llm_calls_per_turn", 1.0, "LLM requests per answer turn (seed-style ~3)"),
    Goal("turn_latency_ratio", 0.40, "median turn latency, mockflow / seed-style"),
    Goal("session_rss_mib", 2.0, "marginal RSS per session, MiB (50 sessions)"),
    Goal("p95_ratio_staggered_50", 1.5, "p95 latency, 50 staggered sessions / one"),
    Goal("calibration_loio_mae", 0.8, "offline scorer vs hand scores, MAE (LOIO)"),
    Goal("key_point_lists_above_min", 0.0, "key-point lists scored above the minimum"),
    Goal("calibration_answers_listed", 0.0, "calibration answers caught by the list rule"),
    Goal("score_answer_median_ms", 2.0, "score one answer offline, median ms"),
    Goal("score_1000_words_ms", 10.0, "score a 1,000-word answer offline, ms"),
    Goal("first_audio_over_budget_ms", 0.0,
         "voice: first audio - (endpointing + TTS first byte + 60 ms), median, ms"),
    Goal("first_audio_ratio", 0.6, "voice: first audio, mockflow / seed-style (medians)"),
    Goal("voice_p95_ratio_concurrent", 1.5, "voice: p95 first audio, 50 sessions / one"),
    Goal("validate_cold_ratio", 1.8, "cold `mockflow validate` / python -c 'import yaml, jinja2'"),
    Goal("compile_ratio", 1.5, "compile time / raw YAML parse, 500 questions"),
    Goal("scaling_2000_over_500", 4.5, "compile time, 2,000 questions / 500 (4.0: linear)"),
    Goal("console_first_line_s", 0.5, "`mockflow run --console`: launch -> first line, s"),
    Goal("stt_rtf", 0.5, "local STT (Whisper tiny.en): real-time factor, one core"),
    Goal("tts_rtf", 0.5, "local TTS (Piper): real-time factor, one core"),
    Goal("cut_ins_1s", 0.0, "real audio: cut-ins on a 1 s pause inside an answer"),
    Goal("cut_ins_3s", 0.0, "real audio: cut-ins on a 3 s pause inside an answer"),
    Goal("cut_ins_5s", 0.0, "real audio: cut-ins on a 5 s pause inside an answer"),
    Goal("real_audio_first_audio_ratio", 1.0,
         "real audio: first audio after an answer's true end, mockflow / seed-style"),
)
AT_LEAST = (
    Goal("calibration_loio_within_one", 0.85, "offline scorer vs hand scores, within one"
         " (LOIO)"),
    Goal("calibration_loio_exact", 0.40, "offline scorer vs hand scores, exact (LOIO)"),
    Goal("calibration_loio_spearman", 0.65, "offline scorer vs hand scores, Spearman (LOIO)"),
    Goal("keyterm_recall", 0.9, "real audio: key-point terms heard, whole sessions (mockflow)"),
)
INFO = (
    ("seed_llm_calls_per_turn", "seed-style LLM requests per answer turn"),
    ("mockflow_turn_median_s", "mockflow turn latency, median s"),
    ("seed_turn_median_s", "seed-style turn latency, median s"),
    ("p95_ratio_all_at_once_50", "p95 latency, 50 sessions all at once / one"),
    ("audio_requests_sent_per_turn", "audio path: requests sent per turn (drafts incl.)"),
    ("job_process_rss_mib", "prewarmed job process VmRSS, MiB"),
    ("validate_cpu_ratio", "cold `mockflow validate` / floor, CPU time"),
    ("calibration_loio_plain_words_within_one", "plain-words answers, within one (LOIO)"),
    ("judge_calls_per_question", "judge requests per judged question (background)"),
    ("judge_llm_calls_per_turn", "interviewer LLM requests per turn, judge on"),
    ("judge_turn_latency_ratio", "median turn latency, judge on / off"),
    ("first_audio_ms", "voice: end of speech -> first audio, median ms (instant ack)"),
    ("seed_first_audio_ms", "voice: seed-style end of speech -> first audio, median ms"),
    ("move_audio_ms", "voice: end of speech -> the move's own audio, median ms"),
    ("voice_requests_sent_per_turn", "voice: requests sent per answer turn (defaults)"),
    ("voice_requests_sent_per_turn_old_defaults", "voice: ... with the old defaults (drafts)"),
    ("voice_concurrent_cpu_share", "voice: CPU share the 50-session process got"),
    ("seed_keyterm_recall", "real audio: key-point terms heard, seed-style sessions"),
    ("wer", "real audio: word error rate of answers, whole sessions (mockflow)"),
    ("seed_wer", "real audio: word error rate of answers, seed-style sessions"),
    ("job_pss_mib", "process with the local models loaded, PSS MiB"),
    ("cut_ins_8s", "real audio: cut-ins on an 8 s pause inside an answer"),
    ("seed_cut_ins", "real audio: seed-style cut-ins, all pauses"),
    ("real_audio_first_audio_ms", "real audio: answer's true end -> first audio, median ms"),
    ("real_audio_seed_first_audio_ms", "real audio: the same, seed-style, median ms"),
)


def ordered_figures(figures: dict[str, str]) -> list[str]:
    """``key=value`` lines: the other figures in the order seen, then the required ones
    in :data:`REQUIRED` order (``missing`` when a benchmark did not produce one)."""
    lines = [f"{k}={v}" for k, v in figures.items() if k not in REQUIRED]
    lines += [f"{k}={figures.get(k, 'missing')}" for k in REQUIRED]
    return lines


def goal_rows(figures: dict[str, str]) -> list[list[str]]:
    rows = []
    for goal in GOALS:
        raw = figures.get(goal.key)
        try:
            value = float(raw) if raw is not None else math.nan
        except ValueError:
            value = math.nan
        verdict = "?" if math.isnan(value) else ("met" if value <= goal.limit else "MISSED")
        rows.append([goal.what, raw or "missing", f"<= {goal.limit:g}", verdict])
    for goal in AT_LEAST:
        raw = figures.get(goal.key)
        try:
            value = float(raw) if raw is not None else math.nan
        except ValueError:
            value = math.nan
        verdict = "?" if math.isnan(value) else ("met" if value >= goal.limit else "MISSED")
        rows.append([goal.what, raw or "missing", f">= {goal.limit:g}", verdict])
    for key, what in INFO:
        rows.append([what, figures.get(key, "missing"), "", ""])
    return rows


def run_one(name: str, quick: bool, timeout: float) -> tuple[str, dict[str, str], str]:
    """(output without key=value lines, figures, problem or "")."""
    path = BENCH / f"{name}.py"
    if not path.exists():
        return "", {}, f"skipped: {path.name} does not exist yet"
    cmd = [sys.executable, str(path), *(["--quick"] if quick else [])]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "", {}, f"FAILED: timed out after {timeout:.0f} s"
    figures = parse_kv(out.stdout)
    shown = "\n".join(line.rstrip() for line in out.stdout.splitlines()
                      if line.split("=", 1)[0] not in figures).strip()
    if out.returncode != 0:
        tail = "\n".join(out.stderr.strip().splitlines()[-15:])
        return shown, figures, f"FAILED (exit {out.returncode}):\n{tail}"
    return shown, figures, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="reduced runs (under a minute)")
    args = parser.parse_args()
    started = time.perf_counter()
    info = machine()
    print(f"mockflow benchmarks ({'quick' if args.quick else 'full'} run)")
    print(table([[k, v] for k, v in info.items()], ["machine", ""]))
    figures: dict[str, str] = {}
    failed = False
    for name in BENCHMARKS:
        t0 = time.perf_counter()
        print(f"\n== {name}", flush=True)
        limit = LONG_RUNS.get(name, (600, 2400))[0 if args.quick else 1]
        shown, found, problem = run_one(name, args.quick, limit)
        if shown:
            print(shown)
        if problem:
            print(problem)
            failed = failed or name not in OPTIONAL or not problem.startswith("skipped")
        print(f"({time.perf_counter() - t0:.1f} s)", flush=True)
        prefix = PREFIX_ON_CLASH.get(name)
        for key, value in found.items():
            if prefix is not None and key in figures:
                key = prefix + key
            figures.pop(key, None)
            figures[key] = value
    print("\n== summary")
    print(table(goal_rows(figures), ["figure", "value", "goal", ""]))
    missing = [k for k in REQUIRED if k not in figures]
    if missing:
        print(f"missing figures: {', '.join(missing)}")
    print(f"total {time.perf_counter() - started:.1f} s; machine: {info['cpus']} CPUs,"
          f" {info['memory']}, Python {info['python']}")
    print()
    figures["bench_mode"] = "quick" if args.quick else "full"
    for line in ordered_figures(figures):
        print(line)
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
