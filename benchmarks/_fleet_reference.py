"""The fleet benchmark's anchor: the seed-style LiveKit agent (``reference_agent.py``) as a
worker job, in the same run as mockflow's workers.

Set up the way LiveKit's examples set up an agent worker, with nothing of mockflow's:
LiveKit's defaults (a process per job from the forkserver, warm processes; the plugins it
imports registered, so the forkserver preloads them), a ``prewarm`` that loads Silero VAD,
and the agent, its session and its openai LLM built in the job. Availability is by
running jobs (``--max-jobs``, the same load function and threshold as ``mockflow run
--max-jobs``), so both are offered the same number of jobs.

A job interviews a scripted candidate without a room, like mockflow's simulated jobs: the
room-less ``AgentSession`` through ``session.run(user_input=...)``, ``think_seconds``
real seconds before each answer (from the same dispatch metadata), against the fake
OpenAI server with the reference policy (three requests per answer). It writes what the
benchmark's watcher reads: ``<results>/reference/<time>-<job id>/transcript.jsonl``, one
line per interviewer message, and ``session.json`` with a ``close_reason`` at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from livekit.agents import AgentServer, JobContext, JobProcess, llm  # noqa: E402
from livekit.plugins import openai, silero  # noqa: E402, F401 - registered: preloaded
from reference_agent import (  # noqa: E402
    InterviewState,
    ReferenceInterviewer,
    reference_llm,
    reference_session,
)

QUESTIONS = 12  # about as many candidate turns as a simulated mockflow interview


def _script() -> tuple[list[str], list[str]]:
    data = yaml.safe_load((BENCH.parent / "interviews" / "backend.yaml").read_text())
    items = [q for q in data["questions"] if (q.get("examples") or {}).get("strong")]
    questions = [str(q["text"]) for q in items[:QUESTIONS]]
    answers = ["Yes, ready.", *(" ".join(str(q["examples"]["strong"]).split())
                                for q in items[:QUESTIONS])]
    return questions, answers


def prewarm(proc: JobProcess) -> None:
    proc.userdata["vad"] = silero.VAD.load()


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"role": "interviewer", "text": text}) + "\n")


async def reference_job(results: str, base_url: str, ctx: JobContext) -> None:
    spec = json.loads(ctx.job.metadata or "{}").get("mockflow_simulate", {})
    think = float(spec.get("think_seconds", 0.0))
    directory = Path(results) / "reference" / f"{time.strftime('%Y%m%dT%H%M%S')}-{ctx.job.id}"
    directory.mkdir(parents=True, exist_ok=True)
    transcript = directory / "transcript.jsonl"
    questions, answers = _script()
    model = reference_llm(base_url)
    spoken = asyncio.Event()

    def on_item(ev: Any) -> None:
        item = ev.item
        if isinstance(item, llm.ChatMessage) and item.role == "assistant":
            _append(transcript, item.text_content or "")
            spoken.set()

    reason = "interview_ended"
    try:
        async with reference_session(model, InterviewState(questions=questions)) as session:
            session.on("conversation_item_added", on_item)
            await session.start(ReferenceInterviewer())
            await asyncio.wait_for(spoken.wait(), 60)  # the greeting
            for answer in answers:
                if think:
                    await asyncio.sleep(think)
                await session.run(user_input=answer)
    except Exception as exc:  # recorded for the benchmark, then the job fails as usual
        reason = f"error: {type(exc).__name__}: {exc}"
        raise
    finally:
        await model.aclose()
        (directory / "session.json").write_text(json.dumps({"close_reason": reason}))
        ctx.shutdown("reference interview ended")


def jobs_load(max_jobs: int, server: AgentServer) -> float:
    return len(server.active_jobs) / max_jobs


async def serve(args: argparse.Namespace) -> None:
    kwargs: dict[str, Any] = {
        "setup_fnc": prewarm, "port": 0,
        "load_fnc": functools.partial(jobs_load, args.max_jobs),
        "load_threshold": (args.max_jobs - 0.5) / args.max_jobs,
    }
    if args.idle_processes is not None:
        kwargs["num_idle_processes"] = args.idle_processes
    server = AgentServer(**kwargs)
    server.rtc_session(functools.partial(reference_job, str(Path(args.results).resolve()),
                                         args.base_url), agent_name=args.agent_name)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    main = asyncio.create_task(server.run(devmode=False))
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({main, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not main.done():
        await server.drain()
    await server.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--max-jobs", type=int, required=True)
    parser.add_argument("--idle-processes", type=int, default=None)
    parser.add_argument("--agent-name", default="reference-interviewer")
    args = parser.parse_args()
    os.makedirs(args.results, exist_ok=True)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
