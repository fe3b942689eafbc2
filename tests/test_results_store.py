"""The results store against a real S3-protocol server on loopback (moto's server mode):
uploads with idempotent keys, an outage that loses nothing, concurrent writers, listing
and incremental sync, corrupt and partial objects named by key."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from fakes.s3_server import S3Server

from mockflow.results.files import SessionRecorder, read_transcript, results_root
from mockflow.results.store.backend import (
    CheckpointPolicy,
    MissingExtra,
    StoreError,
    StoreSpecError,
    key_for,
    parse_s3,
    relative_for,
    results_target,
)
from mockflow.results.store.sync import StoreCorrupt, publish_results, resolve_results
from mockflow.results.store.uploads import UploadQueue, flush_uploads

ROOT = Path(__file__).resolve().parent.parent
SESSION = "20261124T121212Z-1a2b3c"


@pytest.fixture
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
       ) -> Iterator[S3Server]:
    bucket = "results-" + request.node.name.replace("_", "-")[-40:].strip("-").lower()
    server = S3Server(bucket)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**server.env(tmp_path), "MOCKFLOW_CACHE": str(tmp_path / "cache")
                        }.items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def _session(root: Path, spec: str, session: str = SESSION, turns: int = 3,
             policy: CheckpointPolicy | None = None) -> SessionRecorder:
    recorder = SessionRecorder(root, "backend-engineer", session, store=spec,
                               checkpoint=policy or CheckpointPolicy(turns=2, seconds=60))
    recorder.write_session({"session_id": session, "status": "connecting"})
    for n in range(turns):
        recorder.append_turn("candidate" if n % 2 else "interviewer", f"turn {n}")
    return recorder


def _close(recorder: SessionRecorder) -> None:
    recorder.write_scorecard({"overall": {"score": 3}})
    recorder.write_session({"session_id": recorder.session_id, "close_reason": "ended"})
    recorder.close()


def test_spec_and_keys() -> None:
    assert parse_s3("s3://results/a//b/").spec == "s3://results/a/b"
    assert key_for(f"iv/{SESSION}/transcript.jsonl") == f"iv/2026-11-24/{SESSION}/transcript.jsonl"
    assert relative_for(f"iv/2026-11-24/{SESSION}/transcript.jsonl") == \
        f"iv/{SESSION}/transcript.jsonl"
    assert relative_for(f"iv/2026-11-25/{SESSION}/transcript.jsonl") is None  # wrong date
    assert relative_for("notes.txt") is None
    with pytest.raises(StoreSpecError, match=r"'s3://' has no valid bucket name.*s3://my-bucket"):
        parse_s3("s3://")
    with pytest.raises(StoreSpecError, match=r"'s3://results/\.\./x' has a prefix folder '\.\.'"
                                             r" that can't be used; folder names are letters"):
        parse_s3("s3://results/../x")


def test_target_resolution() -> None:
    env = {"MOCKFLOW_RESULTS": "s3://env-bucket/p"}
    target = results_target("/srv/results", env, file_store="s3://file-bucket")
    assert (target.directory, target.store) == (Path("/srv/results"), "s3://env-bucket/p")
    target = results_target(None, {}, file_store="s3://file-bucket/x")
    assert (target.directory, target.store) == (Path("results"), "s3://file-bucket/x")
    target = results_target("s3://flag-bucket", env, file_store=None)
    assert target.store == "s3://flag-bucket"
    assert results_target(None, {}).store is None
    # the local directory never becomes a folder named "s3:"
    assert results_root(None, {"MOCKFLOW_RESULTS": "s3://env-bucket/p"}) == Path("results")
    assert results_root("/srv/r", {"MOCKFLOW_RESULTS": "s3://env-bucket/p"}) == Path("/srv/r")


def test_checkpoints_while_running_and_every_file_at_close(s3: S3Server, tmp_path: Path) -> None:
    root = tmp_path / "results"
    queue = UploadQueue(root)
    prefix = f"team/backend-engineer/2026-11-24/{SESSION}/"
    recorder = _session(root, s3.spec(), turns=1)  # checkpoints every 2 turns
    # the first turn goes at once, so the store knows of every session that started
    assert sorted(_queued(e) for e in queue.pending()) == ["session.json", "transcript.jsonl"]
    assert flush_uploads(root).remaining == 0
    assert s3.keys() == [prefix + "session.json", prefix + "transcript.jsonl"]
    recorder.append_turn("candidate", "turn 1")
    assert queue.pending() == []  # one turn since the checkpoint: not due yet
    recorder.append_turn("interviewer", "turn 2")
    assert [_queued(e) for e in queue.pending()] == ["transcript.jsonl"]
    recorder.append_turn("candidate", "turn 3")  # still queued: the upload sends the newest
    assert len(queue.pending()) == 1
    assert flush_uploads(root).remaining == 0
    stored = s3.body(prefix + "transcript.jsonl").decode().splitlines()
    assert [json.loads(line)["text"] for line in stored] == [
        "turn 0", "turn 1", "turn 2", "turn 3"]
    _close(recorder)
    assert flush_uploads(root).remaining == 0
    assert s3.keys() == [prefix + name for name in
                         ("scorecard.json", "session.json", "transcript.jsonl")]
    for name in ("scorecard.json", "session.json", "transcript.jsonl"):
        assert s3.body(prefix + name) == (recorder.directory / name).read_bytes()
    assert stat.S_IMODE(queue.directory.stat().st_mode) == 0o700
    assert len(queue) == 0


def _queued(entry: Path) -> str:
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    return Path(json.loads(entry.read_text())["path"]).name


class _ManualTimer:
    """``threading.Timer`` that fires when the test says: the checkpoint timer's time is
    the test's, not the machine's (a real 0.3 s timer could fire, or come due, while the
    queue was still being asserted empty on a busy machine)."""

    armed: list[_ManualTimer] = []

    def __init__(self, interval: float, function: Any, args: Any = ()) -> None:
        self.interval, self.function, self.args = interval, function, args
        self.daemon = False
        self.cancelled = False

    def start(self) -> None:
        _ManualTimer.armed.append(self)

    def cancel(self) -> None:
        self.cancelled = True

    def fire(self) -> None:
        if not self.cancelled:
            self.function(*self.args)


def test_time_checkpoint_covers_a_quiet_session(s3: S3Server, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from mockflow.results.store import checkpoints

    now = [100.0]
    _ManualTimer.armed = []
    monkeypatch.setattr(checkpoints, "time", SimpleNamespace(monotonic=lambda: now[0]))
    monkeypatch.setattr(checkpoints, "threading",
                        SimpleNamespace(Timer=_ManualTimer, Lock=threading.Lock))
    root = tmp_path / "results"
    recorder = _session(root, s3.spec(), turns=1,
                        policy=CheckpointPolicy(turns=100, seconds=0.3))  # a clock we drive
    queue = UploadQueue(root)
    assert flush_uploads(root).remaining == 0
    now[0] += 0.1
    recorder.append_turn("candidate", "then silence")
    assert queue.pending() == []  # not due by turns; the timer queues it
    [timer] = _ManualTimer.armed
    assert timer.interval == pytest.approx(0.2)  # due 0.3 s after the last checkpoint
    now[0] += 0.2
    timer.fire()
    assert [_queued(e) for e in queue.pending()] == ["transcript.jsonl"]
    assert flush_uploads(root).remaining == 0
    recorder.close()


def test_store_down_loses_nothing_and_flush_resumes(s3: S3Server, tmp_path: Path) -> None:
    root = tmp_path / "results"
    s3.stop()
    recorder = _session(root, s3.spec(), turns=5)
    _close(recorder)
    down = flush_uploads(root, attempts=2)
    assert down.uploaded == 0 and down.remaining == 3
    assert down.error is not None and "stays queued" in down.error
    assert f"s3://{s3.bucket}/team/backend-engineer/2026-11-24/{SESSION}/" in down.error
    s3.restart()
    up = flush_uploads(root)
    assert (up.uploaded, up.remaining, up.error) == (3, 0, None)
    prefix = f"team/backend-engineer/2026-11-24/{SESSION}/"
    assert s3.body(prefix + "transcript.jsonl") == recorder.transcript_path.read_bytes()
    assert len(read_transcript(recorder.transcript_path)) == 5


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from mockflow.results.files import SessionRecorder
    from mockflow.results.store.backend import CheckpointPolicy
    from mockflow.results.store.uploads import flush_uploads
    root, spec, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for s in range(3):
        sid = f"20261124T1212{n:02d}Z-w{n}s{s}"
        rec = SessionRecorder(root, "backend-engineer", sid, store=spec,
                              checkpoint=CheckpointPolicy(turns=1, seconds=60))
        for t in range(20):
            rec.append_turn("candidate", f"writer {n} session {s} turn {t}")
            if t % 5 == 0:
                flush_uploads(root, wait=60)
        rec.write_session({"session_id": sid, "close_reason": "ended"})
        rec.close()
    assert flush_uploads(root, wait=60).error is None
""")


def test_concurrent_writers_share_a_results_directory_and_a_bucket(s3: S3Server, tmp_path: Path
                                                                  ) -> None:
    shared, own = tmp_path / "shared", tmp_path / "own"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER,
                               str(shared if n < 3 else own), s3.spec(), str(n)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for n in range(4)]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outputs
    for root in (shared, own):
        assert flush_uploads(root).remaining == 0
    keys = s3.keys()
    assert len(keys) == 4 * 3 * 2
    for root in (shared, own):
        for path in root.glob("backend-engineer/*/*"):
            relative = path.relative_to(root).as_posix()
            assert s3.body("team/" + key_for(relative)) == path.read_bytes(), relative


def test_listing_and_incremental_sync(s3: S3Server, tmp_path: Path) -> None:
    root = tmp_path / "results"
    first = _session(root, s3.spec(), SESSION)
    _close(first)
    other = SessionRecorder(root, "support-lead", "20261125T080000Z-ffffff", store=s3.spec())
    other.append_turn("interviewer", "Hello")
    other.close()
    assert flush_uploads(root).remaining == 0
    s3.client.put_object(Bucket=s3.bucket, Key="team/README.txt", Body=b"not a session")
    cache = resolve_results(s3.spec())
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    got = sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()
                 and not p.name.startswith("."))
    assert got == sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                         if p.is_file() and ".uploads" not in p.parts)
    copy = cache / "backend-engineer" / SESSION / "transcript.jsonl"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert read_transcript(copy) == read_transcript(first.transcript_path)
    # a second sync downloads only what changed
    from mockflow.results.store.backend import open_store
    from mockflow.results.store.sync import sync

    assert sync(open_store(s3.spec()), cache).downloaded == 0
    late = SessionRecorder(root, "support-lead", "20261126T080000Z-eeeeee", store=s3.spec())
    late.close()
    assert flush_uploads(root).remaining == 0
    report = sync(open_store(s3.spec()), cache)
    assert (report.downloaded, report.ignored) == (1, 1)


def test_corrupt_and_partial_objects_are_named(s3: S3Server, tmp_path: Path) -> None:
    root = tmp_path / "results"
    _close(_session(root, s3.spec()))
    assert flush_uploads(root).remaining == 0
    prefix = f"team/backend-engineer/2026-11-24/{SESSION}/"
    # changed after upload: the recorded sha256 no longer matches
    good = s3.client.get_object(Bucket=s3.bucket, Key=prefix + "scorecard.json")
    s3.client.put_object(Bucket=s3.bucket, Key=prefix + "scorecard.json",
                         Body=good["Body"].read().replace(b"3", b"5"),
                         Metadata=good["Metadata"])
    # written by another tool from a half-written file
    s3.client.put_object(Bucket=s3.bucket, Key=prefix + "session.json", Body=b'{"sess')
    with pytest.raises(StoreCorrupt) as info:
        resolve_results(s3.spec())
    messages = sorted(str(p) for p in info.value.problems)
    assert messages == [
        f"object 's3://{s3.bucket}/{prefix}scorecard.json' in the results store is corrupt:"
        " its content does not match the sha256 recorded when it was uploaded; re-upload it"
        " from the worker's results directory or delete the object",
        f"object 's3://{s3.bucket}/{prefix}session.json' in the results store is partial or"
        " corrupt: not valid JSON (Unterminated string starting at: line 1 column 2 (char 1))",
    ]
    cache = info.value.directory
    assert (cache / "backend-engineer" / SESSION / "transcript.jsonl").exists()
    assert not (cache / "backend-engineer" / SESSION / "session.json").exists()
    s3.client.put_object(Bucket=s3.bucket, Key=prefix + "transcript.jsonl",
                         Body=b'{"seq": 1}\n{"seq": 2, "te')
    with pytest.raises(StoreCorrupt, match=r"transcript.jsonl' in the results store is"
                                           r" partial: its last line is cut off"):
        resolve_results(s3.spec())


def test_review_written_to_the_cache_goes_back_to_the_store(s3: S3Server, tmp_path: Path) -> None:
    root = tmp_path / "results"
    _close(_session(root, s3.spec()))
    assert flush_uploads(root).remaining == 0
    cache = resolve_results(s3.spec())
    review = cache / "backend-engineer" / SESSION / "review.json"
    review.write_text('{"note": "checked"}\n')
    publish_results(s3.spec(), review)
    key = f"team/backend-engineer/2026-11-24/{SESSION}/review.json"
    assert s3.body(key) == b'{"note": "checked"}\n'
    assert publish_results(str(root), root / "x") is None  # a directory: nothing to do


def test_missing_extra_names_it(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['boto3'] = None\n"
            "from mockflow.results.store.backend import open_store\n"
            "open_store('s3://results/x')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert "MissingExtra: an s3:// results store needs boto3, which is not installed;" \
        " install the extra: pip install 'mockflow[s3]'" in proc.stderr
    assert MissingExtra.__mro__[1].__name__ == "StoreError"


def test_a_session_run_while_the_store_is_down_reaches_it_after(s3: S3Server, tmp_path: Path
                                                                ) -> None:
    from mockflow.format.validate import load_interview
    from mockflow.simulate.runner import simulate

    root = tmp_path / "results"
    compiled = load_interview(ROOT / "interviews" / "backend.yaml")
    s3.stop()
    outcome = asyncio.run(simulate(compiled, "average", seed=3, results_root=root,
                                   store=s3.spec(), session_id=SESSION))
    directory = outcome.recorder.directory
    files = sorted(p.name for p in directory.iterdir())
    assert files == ["judgements.jsonl", "persona.json", "questions.jsonl", "scorecard.json",
                     "session.json", "transcript.jsonl"]
    down = flush_uploads(root, attempts=1)
    assert (down.uploaded, down.remaining) == (0, len(files))
    s3.restart()
    assert flush_uploads(root).remaining == 0
    prefix = f"team/backend-engineer/2026-11-24/{SESSION}/"
    assert s3.keys() == [prefix + name for name in files]
    for name in files:
        assert s3.body(prefix + name) == (directory / name).read_bytes(), name


def _cli(*args: str, stdin: str = "", env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("OPENAI", "LIVEKIT", "DEEPGRAM", "MOCKFLOW_RESULTS"))}
    return subprocess.run([sys.executable, "-m", "mockflow", *args], cwd=ROOT,
                          env={**base, **(env or {})}, input=stdin, capture_output=True,
                          text=True, timeout=180, check=False)


def test_console_session_goes_to_the_store(s3: S3Server, tmp_path: Path) -> None:
    local = tmp_path / "local"
    answers = "\n".join(["Yes", *["I'd add a queue, retry with backoff and watch it."] * 40])
    result = _cli("run", "interviews/backend.yaml", "--console", "--results", s3.spec("cli"),
                  stdin=answers + "\n", env={"MOCKFLOW_RESULTS": str(local)})
    assert result.returncode == 0, result.stderr
    [directory] = list((local / "backend-engineer").iterdir())
    keys = s3.keys()
    assert all(k.startswith("cli/backend-engineer/") for k in keys)
    # every file the session left (the judge's per-question files and the interview's
    # copy included), each uploaded once
    assert sorted(k.rsplit("/", 1)[1] for k in keys) == sorted(
        p.name for p in directory.iterdir())
    assert {"transcript.jsonl", "scorecard.json", "session.json"} <= {
        k.rsplit("/", 1)[1] for k in keys}
    for key in keys:
        assert s3.body(key) == (directory / key.rsplit("/", 1)[1]).read_bytes()


def test_results_flush_and_sync_commands(s3: S3Server, tmp_path: Path) -> None:
    root = tmp_path / "results"
    s3.stop()
    _close(_session(root, s3.spec()))
    down = _cli("results", "flush", "--results", str(root))
    assert down.returncode == 2
    assert down.stderr.startswith(
        f"mockflow: uploaded 0 files from {root}; 3 still queued: upload of"
        f" s3://{s3.bucket}/team/backend-engineer/2026-11-24/{SESSION}/")
    assert "it stays queued and is retried" in down.stderr
    s3.restart()
    up = _cli("results", "flush", "--results", str(root))
    assert (up.returncode, up.stdout) == (
        0, f"uploaded 3 files from {root}; nothing left queued\n")
    synced = _cli("results", "sync", "--results", s3.spec())
    assert synced.returncode == 0, synced.stderr
    cache = Path(synced.stdout.strip())
    assert (cache / "backend-engineer" / SESSION / "scorecard.json").is_file()
    key = f"team/backend-engineer/2026-11-24/{SESSION}/scorecard.json"
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"{")
    broken = _cli("results", "sync", "--results", s3.spec())
    assert broken.returncode == 1
    assert broken.stderr == (f"mockflow: error: object 's3://{s3.bucket}/{key}' in the results"
                             " store is partial or corrupt: not valid JSON (Expecting property"
                             " name enclosed in double quotes: line 1 column 2 (char 1))\n")
    assert broken.stdout.strip() == str(cache)


def test_a_bad_store_spec_stops_the_run_at_once(tmp_path: Path) -> None:
    result = _cli("run", "interviews/backend.yaml", "--console", "--results", "s3://x")
    assert result.returncode == 2
    assert result.stderr == (
        "mockflow: error: results store 's3://x' has no valid bucket name ('x'); bucket names"
        " are 3-63 lower-case letters, digits, dots and hyphens: s3://my-bucket/prefix\n")


KEY, SECRET = "devkey", "devsecret-that-is-long-enough-for-hs256"


@pytest.mark.slow
def test_worker_jobs_reach_the_store_through_the_worker_process(s3: S3Server, tmp_path: Path
                                                                 ) -> None:
    """``mockflow run`` against the fake LiveKit server: a job with a simulated candidate
    (``--simulated-jobs``, dispatch metadata) and an ordinary job whose room can't be
    joined; the worker's main process uploads both sessions from its queue."""
    from fakes.livekit_server import FakeLiveKitServer

    from mockflow.testing import FakeOpenAIServer
    from mockflow.testing.policies import interviewer_policy

    local = tmp_path / "local"

    async def main() -> None:
        async with FakeOpenAIServer(interviewer_policy) as model, \
                FakeLiveKitServer(KEY, SECRET) as livekit:
            interview = tmp_path / "backend.yaml"
            data = yaml.safe_load((ROOT / "interviews" / "backend.yaml").read_text())
            for llm in (data["voice"]["llm"], *data["voice"]["llm"].get("fallback", ())):
                llm["base_url"] = model.base_url  # every model of the chain: the fake
            interview.write_text(yaml.safe_dump(data, sort_keys=False))
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("LIVEKIT_", "OPENAI_", "DEEPGRAM_", "MOCKFLOW_"))}
            env.update(LIVEKIT_URL=livekit.url, LIVEKIT_API_KEY=KEY, LIVEKIT_API_SECRET=SECRET,
                       OPENAI_API_KEY="sk-fake", DEEPGRAM_API_KEY="dg-fake",
                       LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE="0",
                       MOCKFLOW_RESULTS=s3.spec("fleet"))
            log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "mockflow", "run", str(interview), "--port", "0",
                "--results", str(local), "--simulated-jobs", "--max-jobs", "2",
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            try:
                [worker] = await livekit.wait_for_workers(1, timeout=300)
                meta = json.dumps({"mockflow_simulate": {"persona": "strong", "seed": 2}})
                for job, metadata in (("J_SIM", meta), ("J_ROOM", "")):
                    answer = await livekit.offer_job(worker, job_id=job, room=f"r-{job}",
                                                     room_url="ws://127.0.0.1:1",
                                                     metadata=metadata, timeout=60)
                    assert answer.available
                for job in ("J_SIM", "J_ROOM"):
                    await asyncio.wait_for(_closed_in_store(s3, job), 900)  # hang guard
            finally:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(proc.wait(), 120)
                log.close()
            assert code == 0, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]

    asyncio.run(main())
    sim = _session_keys(s3, "J_SIM")
    assert sorted(k.rsplit("/", 1)[1] for k in sim) == [
        "judgements.jsonl", "persona.json", "questions.jsonl", "scorecard.json", "session.json",
        "transcript.jsonl"]
    [directory] = list((local / "backend-engineer").glob("*-J_SIM"))
    for key in sim:
        assert s3.body(key) == (directory / key.rsplit("/", 1)[1]).read_bytes(), key
    room = json.loads(s3.body(next(k for k in _session_keys(s3, "J_ROOM")
                                   if k.endswith("session.json"))))
    assert (room["status"], room["close_reason"]) == ("error", "connect_failed")
    assert len(UploadQueue(local)) == 0


def _session_keys(s3: S3Server, job: str) -> list[str]:
    return [k for k in s3.keys() if k.split("/")[-2].endswith(f"-{job}")]


async def _closed_in_store(s3: S3Server, job: str) -> None:
    while True:
        keys = await asyncio.to_thread(_session_keys, s3, job)
        for key in keys:
            if key.endswith("/session.json"):
                data = json.loads(await asyncio.to_thread(s3.body, key))
                if "close_reason" in data:
                    return
        await asyncio.sleep(0.5)


def test_a_missing_bucket_is_named_with_the_fix(s3: S3Server, tmp_path: Path) -> None:
    root = tmp_path / "results"
    recorder = _session(root, "s3://no-such-bucket/x", turns=1)
    recorder.close()
    result = flush_uploads(root, attempts=1)
    assert result.remaining == 2  # session.json and the transcript, both still queued
    assert result.error == (
        f"upload of s3://no-such-bucket/x/backend-engineer/2026-11-24/{SESSION}/session.json"
        " was refused (NoSuchBucket); create the bucket or fix the name")


def test_a_review_written_while_the_store_is_down_stays_queued(s3: S3Server, tmp_path: Path
                                                              ) -> None:
    root = tmp_path / "results"
    _close(_session(root, s3.spec()))
    assert flush_uploads(root).remaining == 0
    cache = resolve_results(s3.spec())
    review = cache / "backend-engineer" / SESSION / "review.json"
    review.write_text("{}\n")
    s3.stop()
    with pytest.raises(StoreError, match=r"review.json is saved locally and queued, but not"
                                         r" uploaded to s3://.* yet: upload of .* failed: .*;"
                                         r" run `mockflow results flush --results s3://"):
        publish_results(s3.spec(), review)
    s3.restart()
    assert flush_uploads(cache).remaining == 0
    assert s3.body(f"team/backend-engineer/2026-11-24/{SESSION}/review.json") == b"{}\n"


def test_simulated_job_requests() -> None:
    from mockflow.simulate.job import SimulatedJob, SimulatedJobError, simulation_request

    assert simulation_request("") is None
    assert simulation_request('{"team": "payments"}') is None  # someone else's metadata
    assert simulation_request("not json") is None
    assert simulation_request('{"mockflow_simulate": {"persona": "weak", "seed": 4,'
                              ' "think_seconds": 0.5}}') == SimulatedJob("weak", 4, 0.5)
    with pytest.raises(SimulatedJobError, match=r"job metadata 'mockflow_simulate' must be an"
                                                r" object with persona, seed and"
                                                r" think_seconds"):
        simulation_request('{"mockflow_simulate": {"seed": "four"}}')


def test_reading_a_store_that_is_down_says_so(s3: S3Server) -> None:
    s3.stop()
    with pytest.raises(StoreError, match=rf"^listing s3://{s3.bucket}/team failed: Could not"
                                         r" connect to the endpoint URL: .*; try again when"
                                         r" the store is reachable$"):
        resolve_results(s3.spec())
    s3.restart()
