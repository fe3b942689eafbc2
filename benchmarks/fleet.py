"""Fleet capacity: interviews per GiB and per worker, job start-up, and nothing lost when a
worker is SIGKILLed, per job executor, against the seed-style agent in the same run.

Everything runs on loopback in one machine, one phase after another:

* the fake LiveKit worker-protocol server (tests/fakes/livekit_server.py) dispatches jobs,
  each to the available worker with the fewest running jobs (as LiveKit balances by load;
  a worker that answers "not available" is skipped and the job offered again later);
* a phase per mode of ``mockflow run`` (``--executor process``: a process per job, the
  forkserver's preload shared; ``--executor thread``: a thread per job in the worker),
  each with ``--workers`` workers in production mode (``--port 0``, warm runners,
  ``--max-jobs`` interviews at once), each with its own local results directory and the
  same s3:// store (moto's S3 server in this process, behind a recorder that notes when
  each upload was acknowledged). Workers run ``--simulated-jobs``: a job whose dispatch
  metadata asks for it interviews a simulated candidate through the real session path
  (``mockflow.simulate.job``: room-less AgentSession, InterviewerAgent, engine, scorer,
  session files, upload queue) with the interviewer model the file names, here the fake
  OpenAI server (interviewer policy) in a child process. Mid-phase the busiest worker is
  SIGKILLed and, as a supervisor would, started again on the same directory;
* the anchor phase: the seed-style agent (benchmarks/_fleet_reference.py: LiveKit's
  defaults, a process per job, Silero VAD in prewarm, three model requests per answer)
  as jobs on the same number of workers with the same ``--max-jobs``, paced by the same
  metadata; no kill (it has no store);
* ``--baseline-root DIR``: one more process-mode phase running the mockflow checkout in
  DIR (e.g. ``git archive`` of main), with its own options, for "today's" figure.

Reported per phase (``key_<phase>=``): ``jobs`` dispatched within ``--max-seconds``,
``completed`` (the store holds a session.json with the interview's end; the anchor: its
local record), ``lost_sessions`` (an accepted job whose transcript in the store lacks a
turn written locally more than ``checkpoint_seconds`` + 1 s before that session's last
local write, or that has no record in the store at all), ``job_start_p50_s`` /
``job_start_p95_s`` (offer accepted → the session's first interviewer line on disk),
``pss_mib_per_interview`` / ``rss_mib_per_interview`` (the whole worker's process tree —
main process, forkserver, job processes, warm idle runners — divided by the interviews it
runs, sampled while all its ``--max-jobs`` slots are busy; PSS from
/proc/<pid>/smaps_rollup, which splits each shared page between the processes that map
it; RSS counts a shared page in every process), ``interviews_per_gib`` (1024 / PSS per
interview), ``store_lag_s_p95``. The recommended mode's figures are also printed
without suffix, with their ratios to the process mode and to the anchor.

Observation, not instrumentation: the benchmark polls the workers' results directories
(every 0.2 s) for when each transcript line appears (simulated sessions run on a virtual
interview clock, so the lines' own ``ended_at`` stamps are not real time): start-up and
lag figures are late by up to that interval, alike for every phase.

Not exercised: room connections, WebRTC media, STT, TTS, VAD inference and the
end-of-turn model (text candidates; see mockflow/simulate/job.py): a voice interview costs
more CPU per minute. The end-of-turn model is not even loaded
(``LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE=0``, what ``mockflow run`` sets for a file whose
detector is not ``model``) unless ``--turn-model``; ``--local-model-mib N`` adds a phase
per mode whose jobs share a stand-in local model (``_fleet_local_model.py``).
``--smoke`` runs a small thread phase and anchor in under a minute, to keep the benchmark
working (the suite runs it).
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
MODES = ("process", "thread")
RECOMMENDED = "thread"
REFERENCE = "reference"
LOCAL = "_local"  # a mode with a stand-in local model (_fleet_local_model.py)


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
    command: list[str]
    proc: asyncio.subprocess.Process | None = None
    conn: Any = None
    restarts: int = 0
    killed_at: float | None = None
    jobs: list[str] = field(default_factory=list)
    refused: int = 0
    first_job: int = 0  # index in ``jobs`` of the first job of the running process

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None and self.conn is not None


async def start_worker(worker: Worker, env: dict[str, str], cwd: Path = ROOT) -> None:
    log = open(worker.log, "ab")  # noqa: SIM115 - closed when the process ends
    worker.proc = await asyncio.create_subprocess_exec(
        *worker.command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()


def socket_owner(port: int, remote: int) -> int:
    """The pid holding the open TCP socket from local port ``port`` to ``remote`` (sockets
    of earlier phases in TIME_WAIT may share the port; they have no inode)."""
    inode = ""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (int(fields[1].split(":")[1], 16) == port
                and int(fields[2].split(":")[1], 16) == remote and fields[9] != "0"):
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


# ------------------------------------------------------------------ memory


def smaps_rollup(pid: int) -> tuple[int, int] | None:
    """(Pss, Rss) of a process in KiB, from /proc/<pid>/smaps_rollup."""
    pss = rss = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    return None if pss is None or rss is None else (pss, rss)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (/proc/<pid>/stat)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return None


@dataclass(frozen=True)
class Sample:
    slot: int
    running: int  # interviews in progress in this worker (seen on disk)
    pss_kib: int  # the whole process tree
    rss_kib: int
    processes: int
    per_process: tuple[tuple[int, int, int], ...]  # (pid, pss, rss)
    cpu: tuple[tuple[int, float], ...] = ()  # (pid, CPU seconds so far)


def tree_sample(worker: Worker, running: int) -> Sample | None:
    if worker.proc is None or worker.proc.returncode is not None:
        return None
    pids = [worker.proc.pid, *descendants(worker.proc.pid)]
    rows = [(pid, *m) for pid in pids if (m := smaps_rollup(pid)) is not None]
    if not rows:
        return None
    cpu = tuple((pid, c) for pid in pids if (c := cpu_seconds(pid)) is not None)
    return Sample(worker.slot, running, sum(r[1] for r in rows), sum(r[2] for r in rows),
                  len(rows), tuple(rows), cpu)


def phase_cpu_seconds(samples: list[Sample], slots: set[int]) -> float:
    """CPU the given workers' processes used while the phase ran: each process's last
    reading less its reading in the worker's first sample (a process first seen later
    started later: it counts from zero); what a process used after its last sample is
    missed (at most one sampling interval)."""
    sampled: set[int] = set()
    base: dict[int, float] = {}
    last: dict[int, float] = {}
    for sample in samples:
        if sample.slot not in slots:
            continue
        first = sample.slot not in sampled
        sampled.add(sample.slot)
        for pid, used in sample.cpu:
            base.setdefault(pid, used if first else 0.0)
            last[pid] = used
    return sum(last[pid] - base[pid] for pid in last)


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

    def __init__(self, workers: list[Worker], interval: float = 0.2) -> None:
        self.workers = workers
        self.interval = interval
        self.sessions: dict[str, Seen] = {}  # job id -> what was seen
        self._stop = asyncio.Event()

    def poll(self) -> None:
        now = time.time()
        for worker in self.workers:
            for transcript in worker.directory.glob("*/*/transcript.jsonl"):
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
                if _ended(json.loads(path.read_text())):
                    seen.closed_at = now

    def running(self, worker: Worker) -> int:
        """Interviews in progress on this worker: started (a line on disk), not closed, not
        on a killed predecessor."""
        return sum(1 for job in worker.jobs
                   if (seen := self.sessions.get(job)) is not None and seen.lines
                   and seen.closed_at is None
                   and (worker.killed_at is None or seen.lines[0] > worker.killed_at))

    async def run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
        self.poll()

    def stop(self) -> None:
        self._stop.set()


# ------------------------------------------------------------------ a phase


@dataclass
class Phase:
    name: str  # process | thread | reference | baseline
    kill: bool  # SIGKILL the busiest worker mid-phase (and restart it)
    root: Path = ROOT  # the mockflow checkout the workers run


@dataclass
class Outcome:
    phase: Phase
    workers: list[Worker]
    accepted: dict[str, Worker]
    accepted_at: dict[str, float]
    watcher: Watcher
    samples: list[Sample]
    store: dict[str, Any]
    ready_s: float
    dispatch_s: float
    run_s: float
    load: tuple[float, float]  # load average (1 min) at the start and the end
    stuck: list[str] = field(default_factory=list)  # sessions still open at --timeout


def _command(phase: Phase, args: argparse.Namespace, interview: Path, directory: Path,
             base_url: str) -> list[str]:
    if phase.name.endswith(LOCAL):
        command = [sys.executable, str(BENCH / "_fleet_local_model.py"), str(interview),
                   "--results", str(directory), "--max-jobs", str(args.max_jobs),
                   "--executor", phase.name.removesuffix(LOCAL)]
        if args.idle_processes is not None:
            command += ["--idle-processes", str(args.idle_processes)]
        return command
    if phase.name == REFERENCE:
        command = [sys.executable, str(BENCH / "_fleet_reference.py"), "--results",
                   str(directory), "--base-url", base_url, "--max-jobs", str(args.max_jobs)]
        if args.idle_processes is not None:
            command += ["--idle-processes", str(args.idle_processes)]
        return command
    command = [sys.executable, "-m", "mockflow", "run", str(interview), "--port", "0",
               "--results", str(directory), "--simulated-jobs", "--max-jobs",
               str(args.max_jobs)]
    if phase.name == "baseline":
        return command + args.baseline_option
    command += ["--executor", phase.name]
    if args.idle_processes is not None:
        command += ["--idle-processes", str(args.idle_processes)]
    return command


async def run_phase(phase: Phase, args: argparse.Namespace) -> Outcome:
    import boto3

    tmp = Path(tempfile.mkdtemp(prefix=f"mockflow-fleet-{phase.name}-"))
    store = RecordingS3()
    s3 = boto3.client("s3", endpoint_url=store.endpoint, aws_access_key_id="fleet",
                      aws_secret_access_key="fleet", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    policy = "reference" if phase.name == REFERENCE else "mockflow"
    model = ServerProcess(policy, ttft=args.ttft, tokens_per_s=None)
    # each checkout interviews its own backend.yaml (an older checkout may not know a
    # newer file's keys)
    source = (phase.root / "interviews" / "backend.yaml").read_text()
    interview = tmp / "backend.yaml"
    interview.write_text(_with_fake_model(source, model.base_url, args.checkpoint_seconds))
    workers = [Worker(n, tmp / f"worker-{n}", tmp / f"worker-{n}.log",
                      _command(phase, args, interview, tmp / f"worker-{n}", model.base_url))
               for n in range(args.workers)]
    try:
        outcome = await _run_phase(phase, args, store, workers)
    finally:
        for worker in workers:
            if worker.proc is not None and worker.proc.returncode is None:
                worker.proc.kill()
                await worker.proc.wait()
        model.close()
        store.close()
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return outcome


async def _run_phase(phase: Phase, args: argparse.Namespace, store: RecordingS3,
                     workers: list[Worker]) -> Outcome:
    from fakes.livekit_server import FakeLiveKitServer

    accepted: dict[str, Worker] = {}
    accepted_at: dict[str, float] = {}
    samples: list[Sample] = []
    load_start = os.getloadavg()[0]
    started = time.time()
    async with FakeLiveKitServer(KEY, SECRET) as lk:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LIVEKIT_", "OPENAI_", "DEEPGRAM_", "AWS_", "MOCKFLOW_"))}
        env.update(AWS_ENDPOINT_URL=store.endpoint, AWS_ACCESS_KEY_ID="fleet",
                   AWS_SECRET_ACCESS_KEY="fleet", AWS_DEFAULT_REGION="us-east-1",
                   LIVEKIT_URL=lk.url, LIVEKIT_API_KEY=KEY, LIVEKIT_API_SECRET=SECRET,
                   OPENAI_API_KEY="sk-fake", DEEPGRAM_API_KEY="dg-fake",
                   MOCKFLOW_RESULTS=f"s3://{BUCKET}/{PREFIX}")
        if not args.turn_model:
            # as for a file whose turn detector is not "model" (mockflow run sets it so)
            env["LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE"] = "0"
        if phase.root != ROOT:
            env["PYTHONPATH"] = str(phase.root)
        if phase.name.endswith(LOCAL):
            env["FLEET_LOCAL_MODEL_MIB"] = str(args.local_model_mib)
            # Python 3.11's forkserver ignores the parent's sys.path: the job's module must
            # be importable from the environment for the forkserver to preload it
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BENCH), env.get("PYTHONPATH"))
                                                if p)
        for worker in workers:
            await start_worker(worker, env, phase.root)
        connections = await lk.wait_for_workers(len(workers), timeout=300)
        for conn in connections:  # registration order is not start order
            owner = socket_owner(conn.peer[1], lk.port)
            worker = next(w for w in workers if w.proc is not None and
                          (w.proc.pid == owner or owner in descendants(w.proc.pid)))
            worker.conn = conn
        ready = time.time()
        watcher = Watcher(workers)
        watching = asyncio.create_task(watcher.run())
        stop_sampling = asyncio.Event()

        async def sample() -> None:
            while not stop_sampling.is_set():
                for worker in workers:
                    taken = tree_sample(worker, watcher.running(worker))
                    if taken is not None:
                        samples.append(taken)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop_sampling.wait(), args.sample_every)

        sampler = asyncio.create_task(sample())
        kill_at = int(args.jobs * args.kill_at)
        personas = itertools.cycle(PERSONAS)
        killed = not phase.kill
        restarts: list[asyncio.Task[None]] = []
        for n in range(args.jobs):
            elapsed = time.time() - ready
            if args.max_seconds and elapsed > args.max_seconds:
                break  # bounded: report the jobs dispatched so far
            if not killed and (n == kill_at or (args.kill_after and elapsed > args.kill_after)):
                killed = True
                victim = max((w for w in workers if w.alive), key=_running)
                assert victim.proc is not None
                victim.proc.send_signal(signal.SIGKILL)
                victim.killed_at = time.time()
                victim.first_job = len(victim.jobs)  # the restarted process starts empty
                await victim.proc.wait()
                victim.conn = None
                restarts.append(asyncio.create_task(
                    _restart(victim, env, lk, args.restart_after, phase.root)))
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
        stuck = await _wait_done(accepted, accepted_at, watcher, args.timeout)
        finished = time.time()
        if stuck:
            print(stuck_report(stuck, accepted, accepted_at, watcher), flush=True)
            for worker in {accepted[job].slot: accepted[job] for job in stuck}.values():
                if worker.proc is not None and worker.proc.returncode is None:
                    worker.proc.kill()  # it won't drain or stop: don't wait for it below
                    await worker.proc.wait()
        # the restarted worker uploads what its killed predecessor left queued: wait for
        # it (as a supervisor would let it run), or the store looks worse than it is
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*restarts), 300)
        if phase.name != REFERENCE:
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
    stored = analyse_store(store, accepted, watcher, args) \
        if phase.name != REFERENCE else {}
    return Outcome(phase, workers, accepted, accepted_at, watcher, samples, stored,
                   ready_s=ready - started, dispatch_s=dispatched_at - ready,
                   run_s=finished - ready, load=(load_start, os.getloadavg()[0]),
                   stuck=stuck)


def _with_fake_model(source: str, base_url: str, checkpoint_seconds: float) -> str:
    """The interview with every model of its chain (primary and fallbacks) pointed at the
    fake server, so nothing leaves loopback, and a results section."""
    data = yaml.safe_load(source)
    llm = data.setdefault("voice", {}).setdefault("llm", {})
    for model in (llm, *llm.get("fallback", ())):
        model["base_url"] = base_url
    data.setdefault("results", {})["checkpoint_seconds"] = checkpoint_seconds
    return str(yaml.safe_dump(data, sort_keys=False))


async def _restart(worker: Worker, env: dict[str, str], lk: Any, after: float,
                   cwd: Path) -> None:
    await asyncio.sleep(after)
    known = len(lk.workers)
    await start_worker(worker, env, cwd)
    worker.restarts += 1
    connections = await lk.wait_for_workers(known + 1, timeout=300)
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
    """Jobs the worker's current process accepted and has not reported ended (a launched
    job reports JS_RUNNING first: that is not an end)."""
    from livekit.protocol import agent

    ended = (agent.JobStatus.JS_SUCCESS, agent.JobStatus.JS_FAILED)
    status = _statuses(worker)
    return sum(1 for job in worker.jobs[worker.first_job:] if status.get(job) not in ended)


async def _wait_done(accepted: dict[str, Worker], accepted_at: dict[str, float],
                     watcher: Watcher, timeout: float, start_timeout: float = 120.0
                     ) -> list[str]:
    """Until every session closed, except those in flight on the worker when it was killed
    and jobs whose session never started within ``start_timeout`` (counted, not waited).
    Returns the jobs still open when ``timeout`` ran out (none: every session settled)."""
    deadline = time.monotonic() + timeout

    def settled(job: str, worker: Worker) -> bool:
        if worker.killed_at is not None and accepted_at[job] <= worker.killed_at:
            return True
        seen = watcher.sessions.get(job)
        if seen is not None and seen.closed_at is not None:
            return True
        started = seen is not None and bool(seen.lines)
        return not started and time.time() - accepted_at[job] > start_timeout

    while time.monotonic() < deadline:
        if all(settled(j, w) for j, w in accepted.items()):
            return []
        await asyncio.sleep(0.5)
    return [job for job, worker in accepted.items() if not settled(job, worker)]


async def _wait_uploaded(workers: list[Worker], timeout: float) -> None:
    """Until every worker's upload queue is empty (or ``timeout``)."""
    from mockflow.results.store.uploads import UploadQueue

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(UploadQueue(w.directory)) == 0 for w in workers if w.directory.exists()
               and w.proc is not None and w.proc.returncode is None):
            return
        await asyncio.sleep(0.5)


def stuck_report(stuck: list[str], accepted: dict[str, Worker],
                 accepted_at: dict[str, float], watcher: Watcher) -> str:
    """What a phase that did not finish left open: each open session (its worker, its
    transcript lines, how long since the last), then each of those workers' thread stacks
    (py-spy, when installed)."""
    import shutil

    now = time.time()
    lines = [f"!! {len(stuck)} session(s) still open after --timeout:"]
    for job in stuck:
        worker = accepted[job]
        seen = watcher.sessions.get(job)
        written = seen.lines if seen is not None else []
        last = f"{now - written[-1]:.0f} s ago" if written else "never"
        lines.append(f"   {job} on worker {worker.slot} (pid"
                     f" {worker.proc.pid if worker.proc else '-'}): accepted"
                     f" {now - accepted_at[job]:.0f} s ago, {len(written)} transcript"
                     f" line(s), the last {last}"
                     + (f", {seen.directory}" if seen is not None else ""))
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    for worker in {accepted[job].slot: accepted[job] for job in stuck}.values():
        if worker.proc is None or worker.proc.returncode is not None:
            continue
        cpu = cpu_seconds(worker.proc.pid)
        lines.append(f"-- worker {worker.slot} (pid {worker.proc.pid}, CPU so far {cpu} s)")
        if spy is None:
            lines.append("   (install py-spy to see its threads' stacks here)")
            continue
        dump = subprocess.run([spy, "dump", "--native", "--pid", str(worker.proc.pid)],
                              capture_output=True, text=True, timeout=60, check=False)
        lines.append(dump.stdout + dump.stderr)
    return "\n".join(lines)


# ------------------------------------------------------------------ analysis


def analyse_store(store: RecordingS3, accepted: dict[str, Worker], watcher: Watcher,
                  args: argparse.Namespace) -> dict[str, Any]:
    puts: dict[str, list[Put]] = {}
    for put in store.puts:
        puts.setdefault(put.key.lstrip("/"), []).append(put)
    lags: list[float] = []
    completed = lost = never_started = interrupted = 0
    lost_jobs: list[str] = []
    for job_id in accepted:
        seen = watcher.sessions.get(job_id)
        local = seen.directory if seen is not None else None
        turns = _lines(local / "transcript.jsonl") if local is not None else []
        if not turns or seen is None:
            never_started += 1  # accepted, but killed before its session said a word
            continue
        assert local is not None
        key = _key(local)
        versions = [(p.acked_at, _lines_of(p.body))
                    for p in puts.get(key + "/transcript.jsonl", [])]
        session_puts = puts.get(key + "/session.json", [])
        stored_session = json.loads(session_puts[-1].body) if session_puts else None
        if stored_session is not None and _ended(stored_session):
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


def _ended(session: dict[str, Any]) -> bool:
    """A session.json written at the end (it is written at the start too, running)."""
    return session.get("close_reason") is not None


def _key(local: Path) -> str:
    from mockflow.results.store.backend import key_for

    return f"{BUCKET}/{PREFIX}/" + key_for(f"{local.parent.name}/{local.name}/x").rsplit("/", 1)[0]


def _lines(path: Path) -> list[dict[str, Any]]:
    from mockflow.results.files import read_transcript

    try:
        return read_transcript(path)
    except FileNotFoundError:
        return []


def _lines_of(body: bytes) -> list[str]:
    return [line for line in body.decode("utf-8", "replace").splitlines() if line]


def figures(outcome: Outcome, max_jobs: int) -> dict[str, float]:
    """The phase's headline figures."""
    watcher, accepted = outcome.watcher, outcome.accepted
    starts = [seen.lines[0] - outcome.accepted_at[job] for job in accepted
              if (seen := watcher.sessions.get(job)) is not None and seen.lines]
    # all slots busy; a worker briefly above --max-jobs (LiveKit's load is refreshed
    # every few seconds) would flatter the figure, so exactly full when there is such
    full = ([s for s in outcome.samples if s.running == max_jobs]
            or [s for s in outcome.samples if s.running > max_jobs])
    if not full:  # never all slots busy (a short run): the busiest samples
        most = max((s.running for s in outcome.samples), default=0)
        full = [s for s in outcome.samples if s.running == most and most > 0]
    pss = statistics.median(s.pss_kib / s.running / 1024 for s in full) if full else math.nan
    rss = statistics.median(s.rss_kib / s.running / 1024 for s in full) if full else math.nan
    if outcome.phase.name == REFERENCE:
        completed = sum(1 for job in accepted if (seen := watcher.sessions.get(job))
                        is not None and seen.closed_at is not None)
        lost = math.nan
    else:
        completed, lost = outcome.store["completed"], outcome.store["lost"]
    lags = outcome.store.get("lags", [])
    # CPU per interview: the workers never killed (a restart's start-up is not an
    # interview's cost), over the interviews that ended on them
    steady = {w.slot for w in outcome.workers if w.killed_at is None}
    ended = sum(1 for w in outcome.workers if w.slot in steady for job in w.jobs
                if (seen := watcher.sessions.get(job)) is not None and seen.closed_at)
    cpu = phase_cpu_seconds(outcome.samples, steady)
    return {
        "jobs": len(accepted),
        "completed": completed,
        "lost_sessions": lost,
        "job_start_p50_s": statistics.median(starts) if starts else math.nan,
        "job_start_p95_s": pct(starts, 95),
        "job_start_max_s": max(starts) if starts else math.nan,
        "pss_mib_per_interview": pss,
        "rss_mib_per_interview": rss,
        "interviews_per_gib": 1024 / pss if pss == pss else math.nan,
        "full_samples": len(full),
        "store_lag_s_p95": pct(lags, 95),
        "fleet_s": outcome.run_s,
        "cpu_s_per_interview": cpu / ended if ended else math.nan,
    }


# ------------------------------------------------------------------ report


def describe(outcome: Outcome, max_jobs: int) -> str:
    """A phase's workers and a typical full-worker memory sample."""
    rows = [[f"worker {w.slot}" + (" (killed, restarted)" if w.killed_at else ""),
             len(w.jobs), w.refused] for w in outcome.workers]
    lines = [table(rows, ["worker", "jobs", "offers refused"])]
    full = sorted((s for s in outcome.samples if s.running >= max_jobs),
                  key=lambda s: s.pss_kib)
    if full:
        typical = full[len(full) // 2]
        per = sorted(typical.per_process, key=lambda r: -r[1])
        shown = ", ".join(f"{p / 1024:.0f}/{r / 1024:.0f}" for _, p, r in per[:8])
        lines.append(f"a full worker ({typical.running} interviews): {typical.processes}"
                     f" processes, PSS {typical.pss_kib / 1024:.0f} MiB, RSS"
                     f" {typical.rss_kib / 1024:.0f} MiB; per process PSS/RSS MiB: {shown}"
                     + (" ..." if len(per) > 8 else ""))
    by_running: dict[int, list[float]] = {}
    for sample in outcome.samples:
        by_running.setdefault(sample.running, []).append(sample.pss_kib / 1024)
    lines.append("worker PSS (MiB, median) by interviews running: " + ", ".join(
        f"{n}: {statistics.median(v):.0f}" for n, v in sorted(by_running.items())))
    ended = (f"{len(outcome.stuck)} session(s) still open after" if outcome.stuck
             else "every session closed after")
    lines.append(f"workers registered in {outcome.ready_s:.1f} s; dispatch"
                 f" {outcome.dispatch_s:.1f} s; {ended}"
                 f" {outcome.run_s:.1f} s; load average {outcome.load[0]:.1f} at the start,"
                 f" {outcome.load[1]:.1f} at the end")
    if outcome.store.get("lost_jobs"):
        lines.append("lost: " + ",".join(outcome.store["lost_jobs"][:20]))
    return "\n".join(lines)


KEYS = ("jobs", "completed", "lost_sessions", "job_start_p50_s", "job_start_p95_s",
        "job_start_max_s", "pss_mib_per_interview", "rss_mib_per_interview",
        "interviews_per_gib", "cpu_s_per_interview", "store_lag_s_p95", "fleet_s")


def _value(key: str, value: float) -> str:
    if key in ("jobs", "completed", "lost_sessions"):
        return "nan" if value != value else str(int(value))
    return fmt(value, 1 if "mib" in key or key in ("interviews_per_gib", "fleet_s") else 2)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default=",".join(MODES),
                        help="mockflow executors to measure, comma-separated")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the seed-style anchor phase")
    parser.add_argument("--baseline-root", type=Path, default=None,
                        help="also measure the mockflow checkout in this directory (process"
                             " per job, its own options)")
    parser.add_argument("--baseline-option", action="append", default=[],
                        help="extra `mockflow run` option for the baseline; repeat")
    parser.add_argument("--local-model-mib", type=int, default=0,
                        help="also measure each mode with a stand-in local model of this"
                             " many MiB shared by the worker's jobs (_fleet_local_model.py)")
    parser.add_argument("--turn-model", action="store_true",
                        help="workers load LiveKit's end-of-turn model as for a voice file"
                             " with the default detector (about 244 MiB a process image)")
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-jobs", type=int, default=4,
                        help="interviews at once per worker (mockflow run --max-jobs)")
    parser.add_argument("--idle-processes", type=int, default=None,
                        help="warm runners per worker (default: LiveKit's, the CPU count)")
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
    parser.add_argument("--max-seconds", type=float, default=420.0,
                        help="stop dispatching after this many seconds (0: no limit)")
    parser.add_argument("--restart-after", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--sample-every", type=float, default=2.0,
                        help="seconds between memory samples of each worker")
    parser.add_argument("--keep", action="store_true", help="keep the phases' directories")
    parser.add_argument("--quick", action="store_true", help="40 jobs a phase")
    parser.add_argument("--smoke", action="store_true",
                        help="under a minute: a thread phase (2 workers, 4 short jobs, one"
                             " kill) and a small anchor; keeps the benchmark working")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if args.quick:
        args.jobs = min(args.jobs, 40)
    if args.smoke:
        modes = [RECOMMENDED]
        args.jobs, args.workers, args.max_jobs, args.think = 4, 2, 2, 0.2
        args.kill_at, args.restart_after, args.timeout, args.max_seconds = 0.5, 0.5, 120, 90
        args.idle_processes, args.sample_every = 1, 0.5
    phases = [Phase(mode, kill=True) for mode in modes]
    if args.local_model_mib:
        phases += [Phase(mode + LOCAL, kill=False) for mode in modes]
    if args.baseline_root is not None:
        phases.append(Phase("baseline", kill=True, root=args.baseline_root.resolve()))
    if not args.no_reference:
        phases.append(Phase(REFERENCE, kill=False))
    results: dict[str, dict[str, float]] = {}
    print(machine_line())
    for phase in phases:
        if args.smoke and phase.name == REFERENCE:
            args.jobs, args.workers = 2, 1
        outcome = asyncio.run(run_phase(phase, args))
        results[phase.name] = figures(outcome, args.max_jobs)
        what = f"mockflow, {phase.name} executor" if phase.name in MODES else (
            f"mockflow from {phase.root}" if phase.name == "baseline" else
            f"mockflow, {phase.name.removesuffix(LOCAL)} executor, a"
            f" {args.local_model_mib} MiB stand-in local model" if phase.name.endswith(LOCAL)
            else "the seed-style agent, LiveKit's defaults")
        print(f"\n== {phase.name}: {what}")
        print(describe(outcome, args.max_jobs))
    print()
    names = list(results)
    print(table([[key, *(_value(key, results[n][key]) for n in names)] for key in KEYS],
                ["figure", *names]))
    print()
    for name, values in results.items():
        for key in KEYS:
            print(f"{key}_{name}={_value(key, values[key])}")
    best = RECOMMENDED if RECOMMENDED in results else names[0]
    for key in KEYS:
        print(f"{key}={_value(key, results[best][key])}")
    per_gib = results[best]["interviews_per_gib"]
    for other in ("process", "baseline", REFERENCE):
        if other in results and other != best:
            print(f"interviews_per_gib_over_{other}="
                  f"{fmt(per_gib / results[other]['interviews_per_gib'], 2)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
