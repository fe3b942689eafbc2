"""Frame sampling without CPython 3.11's garbage-collector deadlock (gh-106883), as
LiveKit's loop monitor does it from a watchdog thread per job loop
(``mockflow.live.frame_sampling``; the fleet benchmark's thread workers froze on it).

The deadlock is built step by step, on events: a collection starts inside
``sys._current_frames()`` (while it holds the interpreter's thread-list lock), a finalizer
in that collection waits for another thread, and that thread starts a thread, which needs
the same lock while holding the GIL. Unguarded, the child process never exits (the test
then fails on its hang guard); guarded, the collection runs after the call and everything
finishes."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading

import pytest
from conftest import ROOT

AFFECTED = sys.version_info < (3, 12)  # as frame_sampling.AFFECTED (imported per test: this
# file runs against the code before it too, where the module does not exist)
HANG_GUARD_S = 300  # the child imports LiveKit; it finishes in seconds unless it deadlocks

# A collection is made to start inside the sampling call: the garbage (a cycle with a
# finalizer) is created with collection off, then the threshold is set a few allocations
# past the current count, so the call's own allocations (its result dict, then a frame
# object for each parked thread) pass it while the thread-list lock is held.
SCENARIO = textwrap.dedent("""
    import gc, sys, threading

    {setup}

    in_finalizer, thread_started, release = (threading.Event() for _ in range(3))
    ran_in = []

    class Garbage:
        def __init__(self):
            self.me = self  # a cycle: only the collector frees it

        def __del__(self):
            ran_in.append(sys._getframe(1).f_code.co_name)
            in_finalizer.set()
            thread_started.wait(120)  # hang guard; lets go of the GIL meanwhile

    def start_a_thread():
        in_finalizer.wait()
        t = threading.Thread(target=lambda: None)
        t.start()  # needs the thread-list lock
        t.join()
        thread_started.set()

    parked = [threading.Thread(target=release.wait) for _ in range(20)]
    for t in parked:
        t.start()
    starter = threading.Thread(target=start_a_thread)
    starter.start()
    gc.collect()
    gc.disable()
    Garbage()
    gc.set_threshold(gc.get_count()[0] + 5)
    gc.enable()
    frames = sys._current_frames()
    assert threading.get_ident() in frames
    assert in_finalizer.wait(120) and thread_started.wait(120)
    release.set()
    for t in [*parked, starter]:
        t.join()
    print("finished; the finalizer ran in", ran_in)
""")


def _run(setup: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCENARIO.format(setup=setup)],
                          capture_output=True, text=True, cwd=ROOT, timeout=HANG_GUARD_S)


@pytest.mark.skipif(not AFFECTED, reason="CPython 3.12+ has no such deadlock")
@pytest.mark.slow
def test_a_thread_worker_samples_frames_without_deadlocking() -> None:
    """The worker's set-up (``build_server`` with the thread executor) guards sampling
    before any job starts. Fails on the code before: the child deadlocks."""
    setup = textwrap.dedent(f"""
        from mockflow.live.worker import WorkerConfig, build_server
        path = {str(ROOT / "interviews" / "backend.yaml")!r}
        config = WorkerConfig(interview_path=path, interview_source=open(path, "rb").read(),
                              results_dir="unused", agent_name="backend-engineer")
        build_server(config, executor="thread")
    """)
    result = _run(setup)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "finished" in result.stdout


@pytest.mark.skipif(not AFFECTED, reason="CPython 3.12+ has no such deadlock")
@pytest.mark.slow
def test_a_job_process_samples_frames_without_deadlocking() -> None:
    """Process executor: ``prewarm``, which LiveKit runs in each job process before the
    job's loop (and its monitor) starts, guards the sampling. Fails on the code before."""
    setup = textwrap.dedent(f"""
        from livekit.agents import JobExecutorType, JobProcess
        from mockflow.live.worker import WorkerConfig, prewarm
        path = {str(ROOT / "interviews" / "backend.yaml")!r}
        config = WorkerConfig(interview_path=path, interview_source=open(path, "rb").read(),
                              results_dir="unused", agent_name="backend-engineer")
        prewarm(config, JobProcess(executor_type=JobExecutorType.PROCESS, user_arguments=None,
                                   http_proxy=None))
    """)
    result = _run(setup)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "finished" in result.stdout


def test_the_guard_keeps_the_collector_as_it_was_and_the_frames_the_same() -> None:
    """Collection is back on after a call only if it was on; the result is the real one."""
    from mockflow.live import frame_sampling

    assert frame_sampling.AFFECTED == AFFECTED
    frame_sampling.install()
    assert frame_sampling.installed() == AFFECTED
    assert frame_sampling.install() == AFFECTED  # idempotent
    assert threading.get_ident() in sys._current_frames()
    assert gc.isenabled()
    gc.disable()
    try:
        sys._current_frames()
        assert not gc.isenabled()  # a program that turned collection off keeps it off
    finally:
        gc.enable()
    sys._current_exceptions()
    assert gc.isenabled()
