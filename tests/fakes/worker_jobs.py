"""A ``mockflow run`` worker (same ``build_server`` and ``serve``) whose jobs can misbehave
on purpose, for tests of what one job does to its neighbours.

Run as ``python tests/fakes/worker_jobs.py INTERVIEW RESULTS --executor thread
--max-jobs N``. A job's dispatch metadata picks what it does:

- ``{"misbehave": "spin"}``: a runaway loop, busy on the CPU, that yields to its event
  loop only once every ``SPIN_SECONDS`` and never ends;
- ``{"misbehave": "raise"}``: the job raises at once;
- anything else: ``mockflow.simulate.runner.simulated_job`` (a simulated candidate through
  the real session path, as ``mockflow run --simulated-jobs``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

SPIN_SECONDS = 2.0


class MisbehavingJobError(RuntimeError):
    """Raised on purpose by a job asked to fail."""


async def misbehaving_job(ctx: Any) -> None:
    from mockflow.simulate.runner import simulated_job

    metadata = json.loads(ctx.job.metadata or "{}")
    how = metadata.get("misbehave") if isinstance(metadata, dict) else None
    if how == "raise":
        raise MisbehavingJobError(f"job {ctx.job.id} fails on purpose")
    if how == "spin":
        # marks that it is running, then never ends: the worker is killed at the end
        Path(metadata["marker"]).write_text("spinning")
        while True:
            started = time.monotonic()
            while time.monotonic() - started < SPIN_SECONDS:
                pass
            await asyncio.sleep(0)
    await simulated_job(ctx)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("interview")
    parser.add_argument("results")
    parser.add_argument("--executor", default="thread")
    parser.add_argument("--max-jobs", type=int, default=4)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from fakes.worker_jobs import misbehaving_job as job  # by module name, not __main__
    from mockflow.format.validate import load_interview, read_source
    from mockflow.live.worker import WorkerConfig, build_server, serve

    path = str(Path(args.interview).resolve())
    config = WorkerConfig(interview_path=path, interview_source=read_source(path),
                          results_dir=str(Path(args.results).resolve()),
                          agent_name=load_interview(path).interview.id)
    server = build_server(config, port=0, job=job, max_jobs=args.max_jobs,
                          executor=args.executor, connect_attempts=2)
    asyncio.run(serve(server, devmode=False, config=config))


if __name__ == "__main__":
    main()
