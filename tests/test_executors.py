"""Job executors (``mockflow run --executor process|thread``) and what jobs share: the
process-wide load-once cache, the compiled interview and the VAD model loaded once per
process, and, in thread mode, a runaway or failing job next to interviews that must finish
(a worker against the local fake of LiveKit's worker protocol)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from mockflow.live import shared

KEY, SECRET = "devkey", "devsecret-that-is-long-enough-for-hs256"
BACKEND = ROOT / "interviews" / "backend.yaml"


@pytest.fixture(autouse=True)
def _fresh_shared_state() -> Iterator[None]:
    shared.forget()
    yield
    shared.forget()


def test_shared_loads_once_for_concurrent_callers() -> None:
    started = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def load() -> object:
        calls.append(1)
        started.set()
        assert release.wait(60)  # hang guard; the others queue behind this load
        return object()

    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(shared.shared(("k", 1), load)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    assert started.wait(60)
    release.set()
    for thread in threads:
        thread.join(60)
    assert len(calls) == 1 and len(got) == 8 and len({id(g) for g in got}) == 1
    assert shared.load_count(("k", 1)) == 1 and shared.loaded(("k", 1))
    assert shared.shared(("k", 2), object) is not got[0]  # other settings, other object


def test_a_failed_load_is_not_kept() -> None:
    def broken() -> object:
        raise OSError("model file missing")

    with pytest.raises(OSError, match="model file missing"):
        shared.shared(("model", "x"), broken)
    assert not shared.loaded(("model", "x"))
    value = shared.shared(("model", "x"), lambda: "loaded")
    assert value == "loaded" and shared.load_count(("model", "x")) == 1


def test_jobs_in_threads_compile_the_interview_once() -> None:
    """LiveKit's thread executor calls prewarm once per job thread: the interview is
    compiled (templates included) once per process, and each job gets its own VAD around
    one shared VAD model."""
    from livekit.agents import JobExecutorType, JobProcess

    from mockflow.format.validate import load_interview
    from mockflow.live.plugins import import_plugins
    from mockflow.live.worker import WorkerConfig, interview_key, prewarm

    import_plugins(load_interview(BACKEND).interview.voice)  # as build_server does: on the
    # main thread (a job thread can't register a plugin)
    source = BACKEND.read_bytes()
    config = WorkerConfig(interview_path=str(BACKEND), interview_source=source,
                          results_dir="unused", agent_name="backend-engineer")
    procs = [JobProcess(executor_type=JobExecutorType.THREAD, user_arguments=None,
                        http_proxy=None) for _ in range(4)]
    threads = [threading.Thread(target=prewarm, args=(config, proc)) for proc in procs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert shared.load_count(interview_key(source)) == 1
    compiled = {id(p.userdata["compiled"]) for p in procs}
    assert len(compiled) == 1
    vads = [p.userdata["vad"] for p in procs]
    assert len({id(v) for v in vads}) == 4  # a VAD per job: its streams, its listeners
    assert len({id(v._onnx_session) for v in vads}) == 1  # one model
    assert shared.load_count(("vad", "silero")) == 1
    # every template was compiled before the jobs share it
    assert all(t._template is not None for t in procs[0].userdata["compiled"].templates.values()
               if t.needs_context)


def test_an_unknown_executor_is_refused() -> None:
    from mockflow.live.worker import WorkerConfig, build_server

    config = WorkerConfig(interview_path=str(BACKEND), interview_source=BACKEND.read_bytes(),
                          results_dir="unused", agent_name="backend-engineer")
    with pytest.raises(ValueError, match="unknown executor 'fibers'; use one of: process,"
                                         " thread"):
        build_server(config, executor="fibers")  # type: ignore[arg-type]


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("LIVEKIT_", "OPENAI_", "DEEPGRAM_", "MOCKFLOW_"))}
    return {**base, **extra}


def test_the_executor_flag_is_checked_before_anything_starts() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockflow", "run", str(BACKEND), "--executor", "fibers"],
        capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=120)
    assert result.returncode == 2
    message = " ".join(result.stderr.replace("│", " ").split())
    assert "Invalid value for '--executor' (env var: 'MOCKFLOW_EXECUTOR'): Value error," \
        " 'fibers' is not one of 'process', 'thread'." in message


@pytest.mark.slow
@pytest.mark.parametrize("how", ["flag", "env"])
def test_the_executor_comes_from_the_flag_or_the_environment(how: str) -> None:
    """The worker says how it runs interviews when it starts (here it can't reach LiveKit
    and gives up after one attempt)."""
    args = ["--executor", "thread"] if how == "flag" else []
    env = _env(LIVEKIT_URL="ws://127.0.0.1:9", LIVEKIT_API_KEY=KEY,
               LIVEKIT_API_SECRET=SECRET, OPENAI_API_KEY="sk-fake", DEEPGRAM_API_KEY="dg",
               MOCKFLOW_CONNECT_ATTEMPTS="1", LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE="0",
               **({"MOCKFLOW_EXECUTOR": "thread"} if how == "env" else {}))
    result = subprocess.run(
        [sys.executable, "-m", "mockflow", "run", str(BACKEND), "--port", "0", *args,
         "--idle-processes", "1"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "(a thread per interview)" in result.stderr


def _interview_with_model(tmp_path: Path, base_url: str) -> Path:
    data = yaml.safe_load(BACKEND.read_text())
    for llm in (data["voice"]["llm"], *data["voice"]["llm"].get("fallback", ())):
        llm["base_url"] = base_url  # every model of the chain: the fake
    path = tmp_path / "backend.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


async def _session(results: Path, job: str) -> dict[str, Any]:
    """The job's session.json once it is written at the end (hang guard: the caller's)."""
    while True:
        for path in results.glob(f"*/*-{job}/session.json"):
            with_end = json.loads(path.read_text())
            if with_end.get("close_reason") is not None:
                return dict(with_end)
        await asyncio.sleep(0.2)


@pytest.mark.slow
def test_a_runaway_and_a_failing_job_leave_their_neighbours_to_finish(tmp_path: Path) -> None:
    """Thread executor, three interviews at most: one job spins on the CPU and yields to
    its event loop once every 2 s, forever; another raises at once. The failed job's slot
    is freed (two more interviews are taken next to the runaway), and those interviews,
    sharing the worker process with the runaway, run to their end and write their
    records."""
    from fakes.livekit_server import FakeLiveKitServer
    from livekit.protocol import agent

    from mockflow.testing import FakeOpenAIServer
    from mockflow.testing.policies import interviewer_policy

    results = tmp_path / "results"
    marker = tmp_path / "spinning"

    async def main() -> None:
        async with FakeOpenAIServer(interviewer_policy) as model, \
                FakeLiveKitServer(KEY, SECRET) as livekit:
            interview = _interview_with_model(tmp_path, model.base_url)
            env = _env(LIVEKIT_URL=livekit.url, LIVEKIT_API_KEY=KEY, LIVEKIT_API_SECRET=SECRET,
                       OPENAI_API_KEY="sk-fake", DEEPGRAM_API_KEY="dg-fake",
                       LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE="0")
            log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "tests" / "fakes" / "worker_jobs.py"),
                str(interview), str(results), "--executor", "thread", "--max-jobs", "3",
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            try:
                [worker] = await livekit.wait_for_workers(1, timeout=300)

                async def offer(job: str, metadata: dict[str, Any]) -> None:
                    while True:  # the worker's load is refreshed every few seconds
                        answer = await livekit.offer_job(
                            worker, job_id=job, room=f"r-{job}", room_url="ws://127.0.0.1:1",
                            metadata=json.dumps(metadata), timeout=120)
                        if answer.available:
                            return
                        await asyncio.sleep(0.5)

                def ended(job: str) -> bool:
                    return any(m.update_job.job_id == job and m.update_job.status in (
                        agent.JobStatus.JS_SUCCESS, agent.JobStatus.JS_FAILED)
                        for m in worker.messages if m.HasField("update_job"))

                await offer("J_SPIN", {"misbehave": "spin", "marker": str(marker)})
                while not marker.exists():  # the runaway runs before the others come
                    await asyncio.sleep(0.1)
                await offer("J_FAIL", {"misbehave": "raise"})
                while not ended("J_FAIL"):
                    await asyncio.sleep(0.1)
                # three slots: the runaway's and the two freed by the failed job's end
                await asyncio.wait_for(offer("J_A", {"mockflow_simulate": {
                    "persona": "average", "seed": 3}}), 300)
                await asyncio.wait_for(offer("J_B", {"mockflow_simulate": {
                    "persona": "strong", "seed": 4}}), 300)
                sessions = {job: await asyncio.wait_for(_session(results, job), 900)
                            for job in ("J_A", "J_B")}  # hang guard
                assert not ended("J_SPIN")  # still running next to them
            finally:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGKILL)  # the runaway never ends on its own
                await asyncio.wait_for(proc.wait(), 120)
                log.close()
            for job, session in sessions.items():
                assert (session["status"], session["close_reason"]) == (
                    "complete", "interview_ended"), (job, session["status"])
                directory = next(results.glob(f"*/*-{job}"))
                assert (directory / "scorecard.json").is_file()
            assert not list(results.glob("*/*-J_FAIL"))  # it failed before any session

    asyncio.run(main())


def test_the_forkserver_compiles_the_interview_for_every_job_process(tmp_path: Path) -> None:
    """Process executor: with the module build_server lists in the forkserver's preload, a
    forked process starts with the interview compiled (loaded before the fork, not in the
    child, which prewarm then finds under the same key)."""
    code = f"""
import multiprocessing as mp, os, sys
from pathlib import Path
os.environ["MOCKFLOW_PRELOAD_INTERVIEW"] = {str(BACKEND)!r}

def child(queue):
    from mockflow.live import shared
    from mockflow.live.worker import interview_key
    key = interview_key(Path({str(BACKEND)!r}).read_bytes())
    queue.put((shared.loaded(key), shared.load_count(key), os.getpid()))

if __name__ == "__main__":
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["mockflow.live.preload"])
    queue = ctx.Queue()
    process = ctx.Process(target=child, args=(queue,))
    process.start()
    loaded, count, pid = queue.get(timeout=300)
    process.join(60)
    from mockflow.live import shared
    print(loaded, count, pid != os.getpid(), "mockflow.live.worker" in sys.modules)
"""
    script = tmp_path / "forkserver_check.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            cwd=ROOT, env=_env(LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE="0"),
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    # loaded in the child, by nobody there (the count is the forkserver's: one load),
    # and this parent process never imported the worker at all
    assert result.stdout.split() == ["True", "1", "True", "False"]
