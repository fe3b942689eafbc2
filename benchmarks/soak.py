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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import INTERVIEWS, machine_line, pct  # noqa: E402

from mockflow.format.model import HttpTool, LlmConfig, LlmModel  # noqa: E402
from mockflow.format.validate import load_interview  # noqa: E402
from mockflow.interview.prompting import APOLOGY, competent_reply  # noqa: E402
from mockflow.live.plugins import build_llm  # noqa: E402
from mockflow.results.files import read_transcript  # noqa: E402
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


def reply_delays_ms(transcript: list[dict[str, Any]]) -> list[float]:
    """For each candidate turn, the wall time until the interviewer's next turn was
    recorded (a model reply is recorded once it is complete)."""
    delays: list[float] = []
    for i, turn in enumerate(transcript):
        if turn.get("role") != "candidate" or turn.get("kind") == "cut_off":
            continue
        reply = next((t for t in transcript[i + 1:] if t.get("role") == "interviewer"), None)
        said, answered = turn.get("ended_at"), reply and reply.get("ended_at")
        if isinstance(said, float) and isinstance(answered, float) and said > 1e9:
            delays.append((answered - said) * 1000)
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
            turn_ms.extend(reply_delays_ms(transcript))
            duplicated, contradicted = interviewer_turns_ok(transcript)
            for event in session.get("model", {}).get("events", []):
                if event.get("what") == "failed":
                    reasons[_reason(str(event.get("why", "")))] += 1
            return {"scorecard": (directory / "scorecard.json").exists(),
                    "lost": lost_words(persona_turns, transcript),
                    "degraded": session.get("degraded") is not None,
                    "failures": session.get("model", {}).get("failures", 0),
                    "duplicated": duplicated, "contradicted": contradicted}

        outcomes = await asyncio.gather(*(one(i) for i in range(args.sessions)),
                                        return_exceptions=True)
        requests = server.request_count
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
        "wall_s": round(time.perf_counter() - started, 1),
    }


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
    args = parser.parse_args()
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
           or figures["duplicated_turns"] or figures["contradicted_turns"])
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
