"""Soak under faults: many simulated interviews at once against a model that misbehaves.

``--sessions`` (50) simulated text interviews run concurrently in one process, each
through the real session path (``mockflow.simulate.runner.simulate``: persona, engine,
agent, ``AgentSession``) with the model chain ``mockflow run`` builds (the file's model,
then the offline interviewer), pointed at the local fake OpenAI server. The server fails
requests at random: 5 % HTTP 500, 1 % stalls (no first token for a minute), 1 % replies
that break off mid-stream. The interview also declares an HTTP tool on a local service
that misbehaves (oversized chunked bodies, drips, gzip bombs, redirects, 503s); the
scripted model calls it on a fifth of the answers. Loopback only; bounded in time.

Checked for every session: it ends with a scorecard; every word the candidate said is in
the transcript; no interviewer turn is duplicated or contradicted (two replies to one
answer, or an apology that puts back a question already answered). Prints
``sessions=``, ``lost_words=``, ``degraded_sessions=``, ``p95_turn_ms=`` and more as
``key=value`` lines; exits 1 when a check fails.

Then a disk-full phase (``--disk-sessions``, 6): that many sessions write their results to
a small tmpfs (mounted here: it needs root, and is reported as skipped where mounting is
impossible), which a ballast file fills once every session has recorded a few turns, and
which is freed again once the sessions have hit the full disk (an operator clearing
space). Checked: no word the recorder had acknowledged (``append_turn`` returned) is
missing from the transcript afterwards (``disk_full_lost_words=0``), no file is damaged
(every JSON file parses, no torn transcript line), and every session either finished
with its scorecard or records the failure (``status: error`` naming the full disk) or,
where even that could not be written, raised a clear error; ``disk_full_unclear=0``.
``--smoke`` runs 3 sessions and 2 in the disk-full phase, in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import INTERVIEWS, add_smoke, machine_line, pct  # noqa: E402

from mockflow.format.model import HttpTool, LlmConfig, LlmModel  # noqa: E402
from mockflow.format.validate import load_interview  # noqa: E402
from mockflow.interview.prompting import APOLOGY, competent_reply  # noqa: E402
from mockflow.live.plugins import build_llm  # noqa: E402
from mockflow.results.files import (  # noqa: E402
    SessionRecorder,
    read_transcript,
    read_transcript_report,
)
from mockflow.simulate.runner import simulate  # noqa: E402
from mockflow.testing import ChatRequest, FakeOpenAIServer, Reply, ToolCall  # noqa: E402
from mockflow.testing.policies import simple_messages  # noqa: E402

TOOL = "check_availability"
STALL_S = 60.0
TIMEOUT_S = 5.0  # voice.llm.timeout_s: the shipped examples' value


class FaultyModel:
    """The scripted interviewer, with faults at the given rates (seeded)."""

    def __init__(self, seed: int, *, errors: float, stalls: float, cuts: float,
                 tool_calls: float) -> None:
        self.rng = random.Random(seed)
        self.rates = (errors, stalls, cuts)
        self.tool_calls = tool_calls
        self.faults: Counter[str] = Counter()

    def __call__(self, request: ChatRequest) -> Reply:
        errors, stalls, cuts = self.rates
        roll = self.rng.random()
        if roll < errors:
            self.faults["500"] += 1
            return Reply(status=500, error="injected: the model is overloaded")
        if roll < errors + stalls:
            self.faults["stall"] += 1
            return Reply(text="This reply never arrives in time.", ttft=STALL_S)
        messages = simple_messages(list(request.messages))
        last = next((m.get("role") for m in reversed(request.messages)
                     if m.get("role") not in ("system", "developer")), None)
        offers_tool = any(t.get("function", {}).get("name") == TOOL for t in request.tools)
        if last == "user" and offers_tool and self.rng.random() < self.tool_calls:
            self.faults["tool_call"] += 1
            return Reply(tool_calls=(ToolCall(TOOL, json.dumps({"day": "monday"})),))
        # After the tool's answer (or its error), speak the move as if it hadn't been called.
        decision = competent_reply([m for m in messages if m[0] != "tool"])
        if decision.tool is not None:
            return Reply(tool_calls=(ToolCall(decision.tool, decision.arguments),))
        if roll < errors + stalls + cuts and len(decision.text.split()) > 3:
            self.faults["cut"] += 1
            return Reply(text=decision.text, disconnect_after=self.rng.randint(1, 3))
        return Reply(text=decision.text)


async def misbehaving_service(seed: int) -> tuple[web.AppRunner, str, Counter[str]]:
    """A local HTTP service that answers badly more often than not."""
    rng = random.Random(seed)
    seen: Counter[str] = Counter()

    async def handle(request: web.Request) -> web.StreamResponse:
        mode = rng.choice(["ok", "ok", "503", "redirect", "chunked", "drip", "bomb"])
        seen[mode] += 1
        if mode == "ok":
            return web.json_response({"slots": ["10:00", "14:30"]})
        if mode == "503":
            return web.Response(status=503, text="down")
        if mode == "redirect":
            raise web.HTTPFound("http://127.0.0.1:1/elsewhere")
        response = web.StreamResponse(
            headers={"Content-Encoding": "gzip"} if mode == "bomb" else None)
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            if mode == "chunked":
                for _ in range(200):
                    await response.write(b"x" * 1024)
            elif mode == "drip":
                for _ in range(40):
                    await response.write(b"z")
                    await asyncio.sleep(0.1)
            else:
                await response.write(gzip.compress(b"a" * 5_000_000))
            await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/availability", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"127.0.0.1:{runner.addresses[0][1]}", seen


def _reason(why: str) -> str:
    """A failure's kind, for the summary."""
    for key, kind in (("HTTP 5", "http5xx"), ("first token", "no_first_token"),
                      ("next token", "stalled_mid_reply"), ("empty", "empty"),
                      ("Connection", "connection"), ("timed out", "timeout")):
        if key in why:
            return kind
    return "other"


def interviewer_turns_ok(transcript: list[dict[str, Any]]) -> tuple[int, int]:
    """(duplicated, contradicted) interviewer turns in one transcript."""
    duplicated = contradicted = 0
    previous: dict[str, Any] | None = None
    replies_since_answer = 0
    for turn in transcript:
        if turn.get("role") == "candidate":
            replies_since_answer = 0
        elif turn.get("role") == "interviewer":
            text = str(turn.get("text", ""))
            if previous is not None and previous.get("role") == "interviewer" \
                    and previous.get("text") == text:
                duplicated += 1
            if turn.get("kind") == "reply":
                replies_since_answer += 1
                if replies_since_answer > 1:
                    duplicated += 1
            if APOLOGY in text:
                contradicted += 1
        previous = turn
    return duplicated, contradicted


class Acknowledged:
    """Every turn the recorder acknowledged (``append_turn`` returned: durable, by its
    contract), by session, with the wall time it returned; and every recorder that saw a
    write fail."""

    def __init__(self) -> None:
        self.turns: dict[Path, list[str]] = {}
        self.times: dict[Path, list[tuple[str, str | None, float]]] = {}
        self.failed: set[Path] = set()
        self._real = SessionRecorder.append_turn

    def __enter__(self) -> Acknowledged:
        real, record = self._real, self

        def append_turn(recorder: SessionRecorder, role: Any, text: str, **kw: Any) -> None:
            try:
                real(recorder, role, text, **kw)
            except Exception:
                record.failed.add(recorder.directory)
                raise
            record.turns.setdefault(recorder.directory, []).append(text)
            record.times.setdefault(recorder.directory, []).append(
                (str(role), kw.get("kind"), time.perf_counter()))

        SessionRecorder.append_turn = append_turn  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        SessionRecorder.append_turn = self._real  # type: ignore[method-assign]


def reply_delays_ms(turns: list[tuple[str, str | None, float]]) -> list[float]:
    """For each candidate turn, the wall time from its being recorded until the
    interviewer's next turn was (a model reply is recorded once it is complete). The
    transcript's own times are the session's clock: virtual in simulations."""
    delays: list[float] = []
    for i, (role, kind, at) in enumerate(turns):
        if role != "candidate" or kind == "cut_off":
            continue
        reply = next((t for r, _, t in turns[i + 1:] if r == "interviewer"), None)
        if reply is not None:
            delays.append((reply - at) * 1000)
    return delays


def lost_words(persona_turns: list[dict[str, Any]], transcript: list[dict[str, Any]]) -> int:
    """Words the candidate said that are missing from the transcript (as a multiset)."""
    said = Counter(w for t in persona_turns for w in str(t.get("text", "")).split())
    kept = Counter(w for t in transcript if t.get("role") == "candidate"
                   for w in str(t.get("text", "")).split())
    return sum((said - kept).values())


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    compiled = load_interview(INTERVIEWS / args.interview)
    runner, host, tool_seen = await misbehaving_service(args.seed)
    policy = FaultyModel(args.seed, errors=args.errors, stalls=args.stalls, cuts=args.cuts,
                         tool_calls=args.tool_calls)
    results = Path(tempfile.mkdtemp(prefix="mockflow-soak-"))
    turn_ms: list[float] = []  # candidate turn recorded -> interviewer's reply recorded
    session_ms: list[float] = []  # a session's wall time per answer
    reasons: Counter[str] = Counter()
    started = time.perf_counter()
    async with FakeOpenAIServer(policy) as server:
        iv = compiled.interview
        tool = HttpTool(name=TOOL, description="Look up the hiring manager's free slots.",
                        url=f"http://{host}/availability", allow_hosts=(host,),
                        parameters={"type": "object",
                                    "properties": {"day": {"type": "string"}}},
                        timeout_s=2.0, max_response_bytes=16_384)
        voice = replace(iv.voice, llm=LlmConfig(
            LlmModel(model="soak-model", base_url=server.base_url), timeout_s=args.timeout_s))
        soaked = replace(compiled, interview=replace(iv, voice=voice, tools=(tool,)))

        async def one(i: int) -> dict[str, Any]:
            model = build_llm(soaked.interview.voice, api_key="x")
            persona = ("strong", "average", "weak")[i % 3]
            t0 = time.perf_counter()
            try:
                outcome = await simulate(soaked, persona, seed=args.seed + i,
                                         results_root=results, model=model,
                                         session_id=f"soak-{i:03d}", timeout=args.timeout)
            finally:
                await model.aclose()
            directory = outcome.recorder.directory
            transcript = read_transcript(outcome.recorder.transcript_path)
            persona_turns = json.loads((directory / "persona.json").read_text())["turns"]
            session = json.loads(outcome.recorder.session_path.read_text())
            answers = sum(1 for t in transcript if t.get("role") == "candidate")
            session_ms.append((time.perf_counter() - t0) * 1000 / max(answers, 1))
            duplicated, contradicted = interviewer_turns_ok(transcript)
            for event in session.get("model", {}).get("events", []):
                if event.get("what") == "failed":
                    reasons[_reason(str(event.get("why", "")))] += 1
            return {"scorecard": (directory / "scorecard.json").exists(),
                    "lost": lost_words(persona_turns, transcript),
                    "degraded": session.get("degraded") is not None,
                    "failures": session.get("model", {}).get("failures", 0),
                    "duplicated": duplicated, "contradicted": contradicted}

        with Acknowledged() as recorded:
            outcomes = await asyncio.gather(*(one(i) for i in range(args.sessions)),
                                            return_exceptions=True)
        for turns in recorded.times.values():
            turn_ms.extend(reply_delays_ms(turns))
        requests = server.request_count
        full = await disk_full(args, soaked, server.base_url) if args.disk_sessions else {}
    await runner.cleanup()
    done = [o for o in outcomes if isinstance(o, dict)]
    crashed = [o for o in outcomes if not isinstance(o, dict)]
    for exc in crashed[:3]:
        print(f"session failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    return {
        "sessions": len(outcomes),
        "completed": len(done),
        "crashed": len(crashed),
        "without_scorecard": sum(not o["scorecard"] for o in done),
        "lost_words": sum(o["lost"] for o in done),
        "degraded_sessions": sum(o["degraded"] for o in done),
        "duplicated_turns": sum(o["duplicated"] for o in done),
        "contradicted_turns": sum(o["contradicted"] for o in done),
        "model_failures_recorded": sum(o["failures"] for o in done),
        "failure_reasons": ",".join(f"{k}:{v}" for k, v in sorted(reasons.items())),
        "requests": requests,
        "injected_500": policy.faults["500"], "injected_stalls": policy.faults["stall"],
        "injected_cuts": policy.faults["cut"], "tool_calls": policy.faults["tool_call"],
        "tool_service": ",".join(f"{k}:{v}" for k, v in sorted(tool_seen.items())),
        "turns_timed": len(turn_ms),
        "p50_turn_ms": round(pct(turn_ms, 50), 1) if turn_ms else None,
        "p95_turn_ms": round(pct(turn_ms, 95), 1) if turn_ms else None,
        "max_turn_ms": round(max(turn_ms), 1) if turn_ms else None,
        "p95_session_ms_per_answer": round(pct(session_ms, 95), 1) if session_ms else None,
        **full,
        "wall_s": round(time.perf_counter() - started, 1),
    }


# ---------------------------------------------------------------------- disk full


@contextlib.contextmanager
def small_disk(size: str) -> Any:
    """A tmpfs of ``size`` (root only); yields its path, or None where it can't be mounted."""
    where = Path(tempfile.mkdtemp(prefix="mockflow-soak-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                              str(where)], capture_output=True, text=True, check=False)
    try:
        yield where if mounted.returncode == 0 else None
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)
        with contextlib.suppress(OSError):
            where.rmdir()


def fill_disk(directory: Path) -> Path:
    """A ballast file that takes every free byte of ``directory``'s filesystem."""
    ballast = directory / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while True:
            try:
                if os.write(fd, b"\0" * 65536) == 0:
                    break
            except OSError:
                break
    finally:
        os.close(fd)
    return ballast


def _damaged(directory: Path) -> list[str]:
    """Files of a session that don't read back: JSON that doesn't parse, torn lines."""
    bad = []
    for path in directory.iterdir():
        if path.name.startswith("."):
            continue
        if path.suffix == ".json":
            try:
                json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                bad.append(path.name)
        elif path.suffix == ".jsonl":
            _, skipped = read_transcript_report(path)
            if skipped:
                bad.append(f"{path.name} ({'; '.join(map(str, skipped))})")
    return bad


async def disk_full(args: argparse.Namespace, soaked: Any, base_url: str) -> dict[str, Any]:
    """Sessions whose results disk fills up mid-interview (see the module docstring)."""
    n = args.disk_sessions
    with small_disk(args.disk_size) as disk:
        if disk is None:
            return {"disk_full": "skipped (a tmpfs can't be mounted here: run as root)"}
        results = disk / "results"
        with Acknowledged() as acked:
            async def one(i: int) -> str | None:
                model = build_llm(soaked.interview.voice, api_key="x")
                try:
                    await simulate(soaked, ("strong", "average", "weak")[i % 3],
                                   seed=args.seed + 1000 + i, results_root=results,
                                   model=model, session_id=f"disk-{i:03d}",
                                   timeout=args.timeout, think_seconds=args.disk_think)
                except Exception as exc:  # a full disk is reported, never swallowed
                    return f"{type(exc).__name__}: {exc}"
                finally:
                    await model.aclose()
                return None

            tasks = [asyncio.create_task(one(i)) for i in range(n)]
            # fill the disk once every session has a few turns on it ...
            while not all(t.done() for t in tasks) and not (
                    len(acked.turns) == n and all(len(v) >= 3 for v in acked.turns.values())):
                await asyncio.sleep(0.05)
            ballast = fill_disk(disk)
            filled_at = time.perf_counter()
            before = {d: len(v) for d, v in acked.turns.items()}
            # ... keep it full until every running session has hit it (at most 30 s) ...
            while not all(t.done() for t in tasks) and time.perf_counter() - filled_at < 30:
                running = [d for d in before if (d / ".writer.lock").exists()]
                if all(d in acked.failed for d in running):
                    break
                await asyncio.sleep(0.05)
            # ... then an operator frees space; the sessions go on
            ballast.unlink()
            errors = await asyncio.gather(*tasks)
        lost = damaged = completed = recorded = raised = unclear = 0
        reasons: list[str] = []
        for i, error in enumerate(errors):
            directory = results / soaked.interview.id / f"disk-{i:03d}"
            kept = Counter(w for t in read_transcript(directory / "transcript.jsonl")
                           for w in str(t.get("text", "")).split()) \
                if (directory / "transcript.jsonl").exists() else Counter()
            said = Counter(w for t in acked.turns.get(directory, []) for w in t.split())
            lost += sum((said - kept).values())
            bad = _damaged(directory) if directory.is_dir() else []
            damaged += len(bad)
            reasons += bad
            try:
                session = json.loads((directory / "session.json").read_text("utf-8"))
            except (OSError, ValueError):
                session = {}
            if session.get("status") == "error" and "disk is full" in str(session.get("error")):
                recorded += 1
            elif error is not None and "disk is full" in error:
                raised += 1
            elif error is None and session.get("status") not in (None, "running") and (
                    directory / "scorecard.json").exists():
                completed += 1
            else:
                unclear += 1
                reasons.append(f"disk-{i:03d}: status {session.get('status')!r}, {error}")
        for reason in reasons[:5]:
            print(f"disk-full phase: {reason}", file=sys.stderr)
        return {"disk_full_sessions": n, "disk_full_hit": len(acked.failed),
                "disk_full_turns_before": sum(before.values()),
                "disk_full_completed": completed, "disk_full_error_recorded": recorded,
                "disk_full_error_raised": raised, "disk_full_unclear": unclear,
                "disk_full_lost_words": lost, "disk_full_damaged_files": damaged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--interview", default="backend.yaml")
    parser.add_argument("--errors", type=float, default=0.05)
    parser.add_argument("--stalls", type=float, default=0.01)
    parser.add_argument("--cuts", type=float, default=0.01)
    parser.add_argument("--tool-calls", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--timeout-s", type=float, default=TIMEOUT_S,
                        help="voice.llm.timeout_s for the sessions (a stall costs this).")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="Longest a single session may take (seconds).")
    parser.add_argument("--budget", type=float, default=900.0,
                        help="Longest the whole soak may take (seconds).")
    parser.add_argument("--disk-sessions", type=int, default=6,
                        help="Sessions in the disk-full phase (0: no such phase).")
    parser.add_argument("--disk-size", default="4m", help="The phase's tmpfs size.")
    parser.add_argument("--disk-think", type=float, default=0.05,
                        help="Real seconds a candidate waits before each turn in that phase.")
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.sessions, args.disk_sessions = min(args.sessions, 3), min(args.disk_sessions, 2)
    for name in ("livekit", "mockflow"):  # faults are the point here: keep stderr readable
        logging.getLogger(name).setLevel(logging.CRITICAL)
    print(machine_line())
    try:
        figures = asyncio.run(asyncio.wait_for(soak(args), args.budget))
    except TimeoutError:
        print(f"soak: did not finish within {args.budget:g} s", file=sys.stderr)
        sys.exit(1)
    for key, value in figures.items():
        print(f"{key}={value}")
    bad = (figures["crashed"] or figures["without_scorecard"] or figures["lost_words"]
           or figures["duplicated_turns"] or figures["contradicted_turns"]
           or figures.get("disk_full_lost_words") or figures.get("disk_full_damaged_files")
           or figures.get("disk_full_unclear"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
