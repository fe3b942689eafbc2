"""Shared pieces of the benchmarks: the machine, memory, statistics, ``key=value`` output,
the scripted candidate, a timed text turn, and the fake model server in its own process.

Run as a script it is that server: ``python benchmarks/_common.py serve --policy mockflow``
prints ``url <base_url>`` and then answers ``dump`` on stdin with one JSON line of the
requests served since the last dump (see :class:`ServerProcess`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockflow.interview.clock import VirtualClock

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
INTERVIEWS = ROOT / "interviews"
for _p in (str(ROOT), str(BENCH)):
    if _p not in sys.path:
        sys.path.append(_p)

DEFAULT_TTFT = 0.3
DEFAULT_TOKENS_PER_S = 50.0
FOLLOW_UP_ANSWER = ("Good point. I'd check it against real numbers first, then add a test and"
                    " an alert so we'd notice if it happened again.")

# ------------------------------------------------------------------ machine and memory


def _meminfo_mib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    mem = _meminfo_mib()
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": str(os.cpu_count()),
        "memory": f"{mem / 1024:.1f} GiB" if mem else "unknown",
        "python": platform.python_version(),
    }


def machine_line() -> str:
    m = machine()
    return (f"machine: {m['platform']}, {m['cpu']}, {m['cpus']} CPUs, {m['memory']},"
            f" Python {m['python']}")


def rss_mib() -> float:
    """Resident set size of this process (VmRSS), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found in /proc/self/status")


def settled_rss_mib() -> float:
    for _ in range(3):
        gc.collect()
    return rss_mib()


# ------------------------------------------------------------------ statistics and output


def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank), ``nan`` for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


_KV = re.compile(r"^([a-z][a-z0-9_]*)=(\S*)\s*$")


def parse_kv(text: str | Iterable[str]) -> dict[str, str]:
    """The ``key=value`` lines of a benchmark's output (later ones win), in order."""
    lines = text.splitlines() if isinstance(text, str) else text
    out: dict[str, str] = {}
    for line in lines:
        m = _KV.match(line.strip())
        if m:
            out.pop(m.group(1), None)
            out[m.group(1)] = m.group(2)
    return out


SMOKE_HELP = ("a run of seconds that only checks the benchmark still works end to end"
              " (the test suite runs it); its figures mean nothing")


def add_smoke(parser: Any) -> None:
    """``--smoke``: every benchmark has one, and ``tests/test_benchmarks.py`` runs them all,
    so a change elsewhere can't silently break a benchmark."""
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)


def fmt(value: float, digits: int = 3) -> str:
    return "nan" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ------------------------------------------------------------------ the scripted candidate


def fake_clock() -> VirtualClock:
    """The engine's clock: moves only when the benchmark says (deterministic runs)."""
    return VirtualClock(1000.0)


def scripted_answer(engine: Any, quality: str = "strong") -> str:
    """The candidate's fixed answer to whatever is on the table: the question's own
    example answer of that quality, or :data:`FOLLOW_UP_ANSWER` for a follow-up."""
    current = engine.current
    if current is None:
        return "Thanks, no questions from me."
    if len(current.prompts) > 1:
        return FOLLOW_UP_ANSWER
    question = engine.compiled.interview.question(current.question_id)
    text = getattr(question.examples, quality, None) or question.examples.strong
    return " ".join(str(text or "I'd look at the logs and metrics first.").split())


def asked_prompts(engine: Any) -> list[str]:
    """Every prompt mockflow asked, in order: each question, then its follow-ups."""
    return [p for record in engine.records for p in record.prompts]


# ------------------------------------------------------------------ a timed text turn


@dataclass
class TurnResult:
    label: str
    requests: int
    latency: float | None  # end of the candidate's turn -> first token of the reply
    said: list[str] = field(default_factory=list)
    via: str = "llm"  # "llm": the first chunk of the spoken request; "say": the engine's words


class SayStamps:
    """``perf_counter`` of each ``session.say`` (engine speech handed to the session)."""

    def __init__(self, session: Any) -> None:
        self.stamps: list[float] = []
        session.on("speech_created", self._on)

    def _on(self, ev: Any) -> None:
        if ev.source == "say":
            self.stamps.append(time.perf_counter())

    def first_after(self, t0: float) -> float | None:
        return next((t for t in self.stamps if t >= t0), None)


async def timed_turn(session: Any, server: Any, text: str, label: str,
                     says: SayStamps | None = None) -> TurnResult:
    """One candidate turn through ``session.run`` against an in-process fake server.

    Latency: from the call of ``session.run`` to the server's first content chunk of the
    request whose reply is spoken text; when the reply is engine speech (a request
    tool's ``session.say``), to the moment that speech is handed to the session.
    """
    before = server.request_count
    t0 = time.perf_counter()
    result = await session.run(user_input=text)
    window = server.exchanges[before:]
    said = [e.item.text_content or "" for e in result.events if e.type == "message"]
    spoken = [e for e in window if e.reply is not None and e.reply.text]
    if spoken and spoken[-1].first_chunk_at is not None:
        return TurnResult(label, len(window), spoken[-1].first_chunk_at - t0, said)
    stamp = says.first_after(t0) if says is not None else None
    return TurnResult(label, len(window), None if stamp is None else stamp - t0, said, "say")


# ------------------------------------------------------------------ the server in a process


class ServerProcess:
    """The fake OpenAI server in a child process, so that a memory or concurrency
    measurement counts the sessions and not the server, and the server's CPU work does
    not share the sessions' event loop (a real model is remote, too).

    ``perf_counter`` is CLOCK_MONOTONIC on Linux, so the child's timestamps compare
    with the parent's.
    """

    def __init__(self, policy: str, ttft: float, tokens_per_s: float | None) -> None:
        cmd = [sys.executable, str(Path(__file__).resolve()), "serve", "--policy", policy,
               "--ttft", str(ttft)]
        if tokens_per_s:
            cmd += ["--tokens-per-s", str(tokens_per_s)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "url":
            self.close()
            raise RuntimeError(f"fake server did not start: {line}")
        self.base_url = line[1]

    def dump(self) -> list[dict[str, Any]]:
        """The requests served since the last dump (the child forgets them)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("dump\n")
        self.proc.stdin.flush()
        records: list[dict[str, Any]] = json.loads(self.proc.stdout.readline())
        return records

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stdin):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def _serve(policy_name: str, ttft: float, tokens_per_s: float | None) -> None:
    from mockflow.testing import FakeOpenAIServer

    if policy_name == "reference":
        from reference_agent import reference_policy as policy
    else:
        from mockflow.testing.policies import interviewer_policy as policy
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with FakeOpenAIServer(policy, ttft=ttft, tokens_per_s=tokens_per_s) as server:
        print("url", server.base_url, flush=True)
        while line := await reader.readline():
            if line.strip() != b"dump":
                continue
            done = [e for e in server.exchanges if e.outcome != "pending"]
            server.exchanges[:] = [e for e in server.exchanges if e.outcome == "pending"]
            print(json.dumps([{
                "model": e.request.model,
                "received_at": e.request.received_at,
                "first_chunk_at": e.first_chunk_at,
                "finished_at": e.finished_at,
                "text": bool(e.reply is not None and e.reply.text),
                "outcome": e.outcome,
            } for e in done]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="the fake model server for benchmarks")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--policy", choices=["mockflow", "reference"], default="mockflow")
    parser.add_argument("--ttft", type=float, default=DEFAULT_TTFT)
    parser.add_argument("--tokens-per-s", type=float, default=None)
    args = parser.parse_args()
    asyncio.run(_serve(args.policy, args.ttft, args.tokens_per_s))


if __name__ == "__main__":
    main()
