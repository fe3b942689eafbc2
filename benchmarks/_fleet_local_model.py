"""A ``mockflow run --simulated-jobs`` worker whose jobs also hold a local model: the fleet
benchmark's stand-in for local speech models (``fleet.py --local-model-mib``).

Real local STT/TTS weights are a few hundred MiB that every session reads and none
writes. The stand-in is that much memory, written once when this module is imported and
only read by jobs afterwards, loaded through the hook such models use
(``mockflow.live.shared.shared``, keyed by its settings): ``build_server`` has a process-
executor worker's forkserver import the job's module before it forks, which loads it
there (job processes share the pages copy-on-write; the worker's main process, which runs
no job, never loads it), and a thread-executor worker loads it once in its one process.
Each job reads a slice of it every half second (no inference is simulated: local models
cost CPU this does not).

Run like ``mockflow run``: ``_fleet_local_model.py INTERVIEW --results DIR --max-jobs N
--executor process|thread [--idle-processes N]``, with ``FLEET_LOCAL_MODEL_MIB`` set (the
forkserver reads it at import, as a model path would be read).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

MIB = int(os.environ.get("FLEET_LOCAL_MODEL_MIB", "0"))


def _load() -> Any:
    import numpy as np

    weights = np.empty(MIB * 1024 * 1024 // 8, dtype=np.float64)
    weights.fill(0.5)  # written once, like weights read from a file into memory
    weights.flags.writeable = False
    return weights


def model() -> Any:
    from mockflow.live.shared import shared

    return shared(("stand-in model", MIB), _load)


def _in_forkserver() -> bool:
    return sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules


if MIB and _in_forkserver():
    model()  # process executor: once in the forkserver, before it forks job processes


async def local_model_job(ctx: Any) -> None:
    from mockflow.simulate.runner import simulated_job

    weights = model()

    async def read_now_and_then() -> None:
        step = max(1, len(weights) // 64)
        offset = 0
        while True:
            float(weights[offset:offset + step].sum())  # reads, never writes
            offset = (offset + step) % len(weights)
            await asyncio.sleep(0.5)

    reader = asyncio.create_task(read_now_and_then())
    try:
        await simulated_job(ctx)
    finally:
        reader.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("interview")
    parser.add_argument("--results", required=True)
    parser.add_argument("--max-jobs", type=int, required=True)
    parser.add_argument("--executor", default="process")
    parser.add_argument("--idle-processes", type=int, default=None)
    args = parser.parse_args()
    from _fleet_local_model import local_model_job as job  # by module name, not __main__
    from _fleet_local_model import model

    if MIB and args.executor == "thread":
        model()  # thread executor: once in this process, which runs every job

    from mockflow.format.validate import load_interview, read_source
    from mockflow.live.worker import WorkerConfig, build_server, serve
    from mockflow.results.store.backend import CheckpointPolicy, results_target

    path = str(Path(args.interview).resolve())
    compiled = load_interview(path)
    settings = compiled.interview.results
    target = results_target(args.results, os.environ, file_store=settings.store,
                            checkpoint=CheckpointPolicy(settings.checkpoint_turns,
                                                        settings.checkpoint_seconds))
    config = WorkerConfig(interview_path=path, interview_source=read_source(path),
                          results_dir=str(target.directory.resolve()),
                          agent_name=compiled.interview.id, results_store=target.store,
                          checkpoint=target.checkpoint)
    server = build_server(config, port=0, job=job, max_jobs=args.max_jobs,
                          executor=args.executor, idle_processes=args.idle_processes,
                          compiled=compiled)
    asyncio.run(serve(server, devmode=False, config=config))


if __name__ == "__main__":
    main()
