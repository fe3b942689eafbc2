"""Dispatch-scale simulation: many jobs, four ``mockflow run`` workers, one results store.

Everything runs on loopback in one machine:

* the fake LiveKit worker-protocol server (tests/fakes/livekit_server.py) dispatches jobs,
  each to the available worker with the fewest running jobs (as LiveKit balances by load;
  a worker that answers "not available", e.g. above its CPU load threshold, is skipped
  and the job offered again later);
* four ``mockflow run`` workers in production mode (``--port 0``, warm job processes,
  drain on SIGTERM), each with its own local results directory and the same s3:// store,
  started with ``--simulated-jobs``: a job whose dispatch metadata asks for it interviews
  a simulated candidate in its job process through the real session path
  (``mockflow.simulate.job``: room-less AgentSession, InterviewerAgent, engine, scorer,
  session files, upload queue) with the interviewer model the file names, here the
  fake OpenAI server (mockflow.testing, interviewer policy) in a child process;
* moto's S3 server in this process, behind a small WSGI recorder that notes when each
  upload was acknowledged (the store's own Last-Modified has one-second resolution).

Mid-run one worker is SIGKILLed (its job processes lose their parent and stop with it);
like a supervisor (systemd ``Restart=always``, a Kubernetes pod on the same volume) the
benchmark starts it again on the same results directory, and its upload queue is
drained by the new process in the background.

Reported: ``jobs=`` dispatched, ``completed=`` (the store holds a session.json with the
interview's end), ``lost_sessions=`` (an accepted job whose transcript in the store lacks
a turn that was written more than ``checkpoint_seconds`` + 1 s before that session's last
local write, or that has no record in the store at all), ``store_lag_s_p95=`` (from a
turn's timestamp to the acknowledged upload that first contained it), jobs per worker,
and the VmRSS of job processes (sampled every second while they run).

Not exercised: room connections, WebRTC media, STT, TTS, VAD and the end-of-turn model
(the candidate speaks text on a virtual interview clock; see mockflow/simulate/job.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import logging
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "tests"))

from _common import ServerProcess, fmt, machine_line, pct, table  # noqa: E402

KEY, SECRET = "devkey", "devsecret-that-is-long-enough-for-hs256"
BUCKET, PREFIX = "fleet-results", "bench"
PERSONAS = ("strong", "average", "weak")


# ------------------------------------------------------------------ the store


@dataclass
class Put:
    key: str
    body: bytes
    acked_at: float


class RecordingS3:
    """moto's S3 server on 127.0.0.1, recording each PUT's body and acknowledgement time."""

    def __init__(self) -> None:
        from moto.server import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.puts: list[Put] = []
        self._lock = threading.Lock()
        app = DomainDispatcherApplication(create_backend_app)

        def recorder(environ: dict[str, Any], start_response: Any) -> Any:
            if environ["REQUEST_METHOD"] != "PUT":
                return app(environ, start_response)
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            result = list(app(environ, start_response))
            with self._lock:
                self.puts.append(Put(environ["PATH_INFO"], body, time.time()))
            return result

        self._server = make_server("127.0.0.1", 0, recorder, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()


# ------------------------------------------------------------------ workers


@dataclass
class Worker:
    slot: int
    directory: Path
    log: Path
    proc: asyncio.subprocess.Process | None = None
    conn: Any = None
    restarts: int = 0
    killed_at: float | None = None
    jobs: list[str] = field(default_factory=list)
    refused: int = 0
    options: tuple[str, ...] = ()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None and self.conn is not None


async def start_worker(worker: Worker, interview: Path, env: dict[str, str]) -> None:
    log = open(worker.log, "ab")  # noqa: SIM115 - closed when the process ends
    worker.proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mockflow", "run", str(interview), "--port", "0",
        "--results", str(worker.directory), "--simulated-jobs", *worker.options,
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()


def socket_owner(port: int) -> int:
    """The pid holding the TCP socket whose local port on 127.0.0.1 is ``port``."""
    inode = ""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            inode = fields[9]
            break
    target = f"socket:[{inode}]"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        return int(entry.name)
    return -1


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def rss_mib(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def _cmdline(pid: int) -> bytes:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def _ppid(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat[stat.rindex(")") + 2:].split()[1])
    return 0


def is_job_process(pid: int) -> bool:
    """LiveKit forks job processes from a forkserver: they carry its command line and
    their parent is the forkserver."""
    return b"forkserver" in _cmdline(pid) and b"forkserver" in _cmdline(_ppid(pid))


# ------------------------------------------------------------------ local writes


@dataclass
class Seen:
    """One session's local files as the benchmark saw them."""

    directory: Path
    lines: list[float] = field(default_factory=list)  # when each transcript line appeared
    size: int = 0
    closed_at: float | None = None
    session_mtime: float = 0.0


class Watcher:
    """Polls the workers' local results directories every ``interval`` seconds and notes
    when each transcript line first appeared and when each session closed.

    Transcript times can't say this: a simulated session runs on a virtual interview clock
    (its ``ended_at`` stamps are minutes apart for seconds of real time), so the real time
    of each local write is observed from outside, at most ``interval`` late."""

    def __init__(self, directories: list[Path], interval: float = 0.2) -> None:
        self.directories = directories
        self.interval = interval
        self.sessions: dict[str, Seen] = {}  # job id -> what was seen
        self._stop = asyncio.Event()

    def poll(self) -> None:
        now = time.time()
        for root in self.directories:
            for transcript in root.glob("*/*/transcript.jsonl"):
                job = transcript.parent.name.rsplit("-", 1)[-1]
                seen = self.sessions.get(job)
                if seen is None:
                    seen = self.sessions[job] = Seen(transcript.parent)
                with contextlib.suppress(OSError):
                    size = transcript.stat().st_size
                    if size != seen.size:
                        count = transcript.read_bytes().count(b"\n")
                        seen.lines += [now] * (count - len(seen.lines))
                        seen.size = size
                if seen.closed_at is None:
                    self._check_closed(seen, now)

    @staticmethod
    def _check_closed(seen: Seen, now: float) -> None:
        path = seen.directory / "session.json"
        with contextlib.suppress(OSError, ValueError):
            mtime = path.stat().st_mtime
            if mtime != seen.session_mtime:
                seen.session_mtime = mtime
                if "close_reason" in json.loads(path.read_text()):
                    seen.closed_at = now

    async def run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
        self.poll()

    def stop(self) -> None:
        self._stop.set()


# ------------------------------------------------------------------ the run


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import boto3

    tmp = Path(tempfile.mkdtemp(prefix="mockflow-fleet-"))
    store = RecordingS3()
    s3 = boto3.client("s3", endpoint_url=store.endpoint, aws_access_key_id="fleet",
                      aws_secret_access_key="fleet", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    model = ServerProcess("mockflow", ttft=args.ttft, tokens_per_s=None)
    source = (ROOT / "interviews" / "backend.yaml").read_text()
    interview = tmp / "backend.yaml"
    interview.write_text(_with_fake_model(source, model.base_url, args.checkpoint_seconds))
    options = ("--max-jobs", str(args.max_jobs)) if args.max_jobs else ()
    workers = [Worker(n, tmp / f"worker-{n}", tmp / f"worker-{n}.log", options=options)
               for n in range(args.workers)]
    samples: dict[int, float] = {}  # job process pid -> max VmRSS seen
    try:
        return await _run(args, tmp, store, model, interview, workers, samples)
    finally:
        for worker in workers:
            if worker.proc is not None and worker.proc.returncode is None:
                worker.proc.kill()
                await worker.proc.wait()
        model.close()
        store.close()


async def _run(args: argparse.Namespace, tmp: Path, store: RecordingS3, model: Any,
               interview: Path, workers: list[Worker], samples: dict[int, float]
               ) -> dict[str, Any]:
    from fakes.livekit_server import FakeLiveKitServer

    accepted: dict[str, Worker] = {}
    accepted_at: dict[str, float] = {}
    aws = {"AWS_ENDPOINT_URL": store.endpoint, "AWS_ACCESS_KEY_ID": "fleet",
           "AWS_SECRET_ACCESS_KEY": "fleet", "AWS_DEFAULT_REGION": "us-east-1"}
    started = time.time()
    async with FakeLiveKitServer(KEY, SECRET) as lk:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LIVEKIT_", "OPENAI_", "DEEPGRAM_", "AWS_"))}
        env.update(aws, LIVEKIT_URL=lk.url, LIVEKIT_API_KEY=KEY, LIVEKIT_API_SECRET=SECRET,
                   OPENAI_API_KEY="sk-fake", DEEPGRAM_API_KEY="dg-fake",
                   LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE="0",
                   MOCKFLOW_RESULTS=f"s3://{BUCKET}/{PREFIX}")
        for worker in workers:
            await start_worker(worker, interview, env)
        connections = await lk.wait_for_workers(len(workers), timeout=180)
        for conn in connections:  # registration order is not start order
            owner = socket_owner(conn.peer[1])
            worker = next(w for w in workers if w.proc is not None and
                          (w.proc.pid == owner or owner in descendants(w.proc.pid)))
            worker.conn = conn
        ready = time.time()
        stop_sampling = asyncio.Event()

        async def sample() -> None:
            while not stop_sampling.is_set():
                for worker in workers:
                    if worker.proc is None or worker.proc.returncode is not None:
                        continue
                    for pid in descendants(worker.proc.pid):
                        if is_job_process(pid) and (rss := rss_mib(pid)) is not None:
                            samples[pid] = max(samples.get(pid, 0.0), rss)
                await asyncio.sleep(1.0)

        sampler = asyncio.create_task(sample())
        watcher = Watcher([w.directory for w in workers])
        watching = asyncio.create_task(watcher.run())
        kill_at = int(args.jobs * args.kill_at)
        victim = workers[1 % len(workers)]  # re-chosen at kill time: the busiest worker
        personas = itertools.cycle(PERSONAS)
        killed = False
        restarts: list[asyncio.Task[None]] = []
        for n in range(args.jobs):
            elapsed = time.time() - ready
            if args.max_seconds and elapsed > args.max_seconds:
                break  # bounded: report the jobs dispatched so far
            if not killed and (n == kill_at or (args.kill_after and elapsed > args.kill_after)):
                killed = True
                victim = max((w for w in workers if w.alive), key=_running)
            if killed and victim.killed_at is None and victim.proc is not None:
                victim.proc.send_signal(signal.SIGKILL)
                victim.killed_at = time.time()
                await victim.proc.wait()
                victim.conn = None
                restarts.append(asyncio.create_task(
                    _restart(victim, interview, env, lk, args.restart_after)))
            job_id = f"J{n:04d}"
            meta = json.dumps({"mockflow_simulate": {"persona": next(personas), "seed": n,
                                                     "think_seconds": args.think}})
            deadline = ready + args.max_seconds if args.max_seconds else math.inf
            if not await _dispatch(lk, workers, job_id, meta, deadline):
                break
            accepted[job_id] = next(w for w in workers if job_id in w.jobs)
            accepted_at[job_id] = time.time()
            await asyncio.sleep(args.interval)
        dispatched_at = time.time()
        await _wait_done(accepted, accepted_at, args.timeout)
        finished = time.time()
        # the restarted worker uploads what its killed predecessor left queued: wait for
        # it (as a supervisor would let it run), or the store looks worse than it is
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*restarts), 180)
        await _wait_uploaded(workers, 120)
        stop_sampling.set()
        await sampler
        watcher.stop()
        await watching
        for worker in workers:
            if worker.proc is not None and worker.proc.returncode is None:
                worker.proc.send_signal(signal.SIGTERM)
        for worker in workers:
            if worker.proc is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(worker.proc.wait(), 120)
    result = analyse(store, workers, accepted, watcher, args)
    result["accepted"] = accepted
    result.update(ready_s=ready - started, dispatch_s=dispatched_at - ready,
                  run_s=finished - ready, job_rss=sorted(samples.values()), tmp=tmp,
                  workers=workers)
    return result


def _with_fake_model(source: str, base_url: str, checkpoint_seconds: float) -> str:
    """The interview with every model of its chain (primary and fallbacks) pointed at the
    fake server, so nothing leaves loopback, and a results section."""
    data = yaml.safe_load(source)
    llm = data.setdefault("voice", {}).setdefault("llm", {})
    for model in (llm, *llm.get("fallback", ())):
        model["base_url"] = base_url
    data.setdefault("results", {})["checkpoint_seconds"] = checkpoint_seconds
    return str(yaml.safe_dump(data, sort_keys=False))


async def _restart(worker: Worker, interview: Path, env: dict[str, str], lk: Any,
                   after: float) -> None:
    await asyncio.sleep(after)
    known = len(lk.workers)
    await start_worker(worker, interview, env)
    worker.restarts += 1
    connections = await lk.wait_for_workers(known + 1, timeout=180)
    worker.conn = connections[-1]


async def _dispatch(lk: Any, workers: list[Worker], job_id: str, meta: str,
                    deadline: float) -> bool:
    """Offer the job to available workers, fewest running jobs first, until one takes it
    (False: none did before ``deadline``)."""
    while time.time() < deadline:
        live = sorted((w for w in workers if w.alive),
                      key=lambda w: (_running(w), w.slot))
        for worker in live:
            try:
                answer = await lk.offer_job(worker.conn, job_id=job_id, room=f"room-{job_id}",
                                            room_url="ws://127.0.0.1:1", metadata=meta,
                                            timeout=10)
            except (TimeoutError, ConnectionError, RuntimeError):
                continue
            if answer.available:
                worker.jobs.append(job_id)
                return True
            worker.refused += 1
        await asyncio.sleep(0.25)
    return False


def _statuses(worker: Worker) -> dict[str, int]:
    status: dict[str, int] = {}
    if worker.conn is None:
        return status
    for message in worker.conn.messages:
        if message.HasField("update_job"):
            status[message.update_job.job_id] = message.update_job.status
    return status


def _running(worker: Worker) -> int:
    done = _statuses(worker)
    return sum(1 for job in worker.jobs if job not in done)


async def _wait_done(accepted: dict[str, Worker], accepted_at: dict[str, float],
                     timeout: float, start_timeout: float = 120.0) -> None:
    """Until every session closed, except those in flight on the worker when it was killed
    and jobs whose session never started within ``start_timeout`` (counted, not waited)."""
    deadline = time.monotonic() + timeout

    def settled(job: str, worker: Worker) -> bool:
        if worker.killed_at is not None and accepted_at[job] <= worker.killed_at:
            return True
        if _closed(worker.directory, job):
            return True
        started = any(worker.directory.glob(f"*/*-{job}/transcript.jsonl"))
        return not started and time.time() - accepted_at[job] > start_timeout

    while time.monotonic() < deadline:
        if all(settled(j, w) for j, w in accepted.items()):
            return
        await asyncio.sleep(0.5)


async def _wait_uploaded(workers: list[Worker], timeout: float) -> None:
    """Until every worker's upload queue is empty (or ``timeout``)."""
    from mockflow.results.uploads import UploadQueue

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(UploadQueue(w.directory)) == 0 for w in workers if w.directory.exists()):
            return
        await asyncio.sleep(0.5)


def _closed(directory: Path, job_id: str) -> bool:
    for path in directory.glob(f"*/*-{job_id}/session.json"):
        with contextlib.suppress(OSError, ValueError):
            if "close_reason" in json.loads(path.read_text()):
                return True
    return False


# ------------------------------------------------------------------ analysis


def analyse(store: RecordingS3, workers: list[Worker], accepted: dict[str, Worker],
            watcher: Watcher, args: argparse.Namespace) -> dict[str, Any]:
    puts: dict[str, list[Put]] = {}
    for put in store.puts:
        puts.setdefault(put.key.lstrip("/"), []).append(put)
    lags: list[float] = []
    completed = lost = never_started = interrupted = 0
    lost_jobs: list[str] = []
    for job_id, worker in accepted.items():
        seen = watcher.sessions.get(job_id)
        local = seen.directory if seen is not None else None
        turns = _lines(local / "transcript.jsonl") if local is not None else []
        if not turns or seen is None:
            never_started += 1  # accepted, but killed before its session said a word
            print(f"never started: {job_id} on worker {worker.slot} ({local})",
                  file=sys.stderr)
            continue
        assert local is not None
        key = _key(local)
        versions = [(p.acked_at, _lines_of(p.body))
                    for p in puts.get(key + "/transcript.jsonl", [])]
        session_puts = puts.get(key + "/session.json", [])
        stored_session = json.loads(session_puts[-1].body) if session_puts else None
        if stored_session is not None and "close_reason" in stored_session:
            completed += 1
        else:
            interrupted += 1
        # when each line was written locally (seen by the watcher, at most its interval late)
        written = seen.lines[:len(turns)]
        bound = written[-1] - args.checkpoint_seconds - 1.0
        stored = max((len(v) for _, v in versions), default=0)
        required = max(1, sum(1 for at in written if at < bound))
        if stored < required:
            lost += 1
            lost_jobs.append(job_id)
        for index, at in enumerate(written):
            first = next((acked for acked, lines in versions if len(lines) > index), None)
            if first is not None:
                lags.append(max(0.0, first - at))
    return {"completed": completed, "lost": lost, "lost_jobs": lost_jobs,
            "never_started": never_started, "interrupted": interrupted, "lags": lags,
            "puts": len(store.puts)}


def _key(local: Path) -> str:
    from mockflow.results.store import key_for

    return f"{BUCKET}/{PREFIX}/" + key_for(f"{local.parent.name}/{local.name}/x").rsplit("/", 1)[0]


def _lines(path: Path) -> list[dict[str, Any]]:
    from mockflow.results.files import read_transcript

    try:
        return read_transcript(path)
    except FileNotFoundError:
        return []


def _lines_of(body: bytes) -> list[str]:
    return [line for line in body.decode("utf-8", "replace").splitlines() if line]


# ------------------------------------------------------------------ report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--interval", type=float, default=0.15,
                        help="seconds between dispatches")
    parser.add_argument("--think", type=float, default=0.3,
                        help="real seconds a simulated candidate waits before each turn")
    parser.add_argument("--ttft", type=float, default=0.05,
                        help="fake model: seconds to the first token")
    parser.add_argument("--checkpoint-seconds", type=float, default=2.0)
    parser.add_argument("--kill-at", type=float, default=0.4,
                        help="fraction of jobs dispatched when one worker is SIGKILLed")
    parser.add_argument("--kill-after", type=float, default=0.0,
                        help="or this many seconds into dispatching, if sooner")
    parser.add_argument("--max-seconds", type=float, default=0.0,
                        help="stop dispatching after this many seconds (0: no limit)")
    parser.add_argument("--restart-after", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--max-jobs", type=int, default=6,
                        help="mockflow run --max-jobs per worker (0: LiveKit's CPU load)")
    parser.add_argument("--quick", action="store_true", help="40 jobs")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds, not minutes: 2 workers, 4 short jobs, one kill (the"
                             " suite runs it to keep the benchmark working)")
    args = parser.parse_args()
    if args.quick:
        args.jobs = min(args.jobs, 40)
    if args.smoke:
        args.jobs, args.workers, args.max_jobs, args.think = 4, 2, 2, 0.0
        args.kill_at, args.restart_after, args.timeout, args.max_seconds = 0.5, 0.5, 120, 90
    result = asyncio.run(run(args))
    print(machine_line())
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (other processes included)")
    rows = [[f"worker {w.slot}" + (" (killed, restarted)" if w.killed_at else ""),
             len(w.jobs), w.refused] for w in result_workers(result)]
    print(table(rows, ["worker", "jobs", "offers refused"]))
    rss = result["job_rss"]
    lags = result["lags"]
    print(f"job processes sampled: {len(rss)}; uploads acknowledged: {result['puts']}")
    print(f"time to {len(result_workers(result))} registered workers {result['ready_s']:.1f} s,"
          " dispatch"
          f" {result['dispatch_s']:.1f} s, until every session closed {result['run_s']:.1f} s")
    print(f"jobs={len(result['accepted'])}")
    print(f"completed={result['completed']}")
    print(f"interrupted={result['interrupted']}")
    print(f"never_started={result['never_started']}")
    print(f"lost_sessions={result['lost']}")
    if result["lost_jobs"]:
        print(f"lost_jobs={','.join(result['lost_jobs'][:20])}")
    print(f"store_lag_s_p50={fmt(statistics.median(lags) if lags else float('nan'))}")
    print(f"store_lag_s_p95={fmt(pct(lags, 95))}")
    print(f"store_lag_s_max={fmt(max(lags) if lags else float('nan'))}")
    print("jobs_per_worker=" + ",".join(str(len(w.jobs)) for w in result_workers(result)))
    print(f"job_process_rss_mib_median={fmt(statistics.median(rss) if rss else float('nan'), 1)}")
    print(f"job_process_rss_mib_max={fmt(max(rss) if rss else float('nan'), 1)}")
    return 0


def result_workers(result: dict[str, Any]) -> list[Worker]:
    workers: list[Worker] = result["workers"]
    return workers


if __name__ == "__main__":
    sys.exit(main())
