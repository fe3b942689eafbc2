"""A benchmark and test hook: worker jobs that interview a simulated candidate.

A LiveKit job normally joins its room (``mockflow.live.worker.entrypoint``). Where no
LiveKit media server exists (the fleet benchmark runs the worker protocol against a local
fake), a job can't get past ``ctx.connect()``. A worker started with
``mockflow run --simulated-jobs`` registers ``mockflow.simulate.runner.simulated_job``
instead: a job whose
dispatch metadata asks for it (``{"mockflow_simulate": {"persona": "average", "seed": 3,
"think_seconds": 0.2}}``) runs the room-less session path in its job process — the same
``simulate`` as ``mockflow simulate`` (``AgentSession``, ``InterviewerAgent``, engine,
scorer, the session files, their upload queue) with the interviewer model the file's
``voice.llm`` builds — and then shuts the job down. Any other job runs the real
entrypoint. Only whoever dispatches jobs (holding the LiveKit API secret) sets dispatch
metadata; a candidate can't.

What this does not exercise: the room connection, WebRTC media, STT, TTS, VAD and the
end-of-turn model (the candidate speaks text, on a virtual interview clock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mockflow.format.errors import MockflowError

METADATA_KEY = "mockflow_simulate"


class SimulatedJobError(MockflowError):
    """A job's simulation request can't be used."""


@dataclass(frozen=True, slots=True)
class SimulatedJob:
    persona: str = "average"
    seed: int = 1
    think_seconds: float = 0.0


def simulation_request(metadata: str | None) -> SimulatedJob | None:
    """The simulation a job's metadata asks for, or None for an ordinary job."""
    if not metadata:
        return None
    try:
        data = json.loads(metadata)
    except ValueError:
        return None  # metadata for someone else
    if not isinstance(data, dict) or METADATA_KEY not in data:
        return None
    spec = data[METADATA_KEY]
    try:
        return SimulatedJob(persona=str(spec.get("persona", "average")),
                            seed=int(spec.get("seed", 1)),
                            think_seconds=max(0.0, float(spec.get("think_seconds", 0.0))))
    except (AttributeError, TypeError, ValueError) as exc:
        raise SimulatedJobError(f"job metadata '{METADATA_KEY}' must be an object with"
                                f" persona, seed and think_seconds: {exc}") from None
