"""Imported once in a process-executor worker's forkserver, before it forks job processes
(LiveKit's ``preload_modules``; ``mockflow.live.worker.build_server`` lists it last but
one, before LiveKit's own warm-up and its ``gc.freeze``).

It compiles the interview the worker serves (``PRELOAD_ENV``) into the process's shared
state (``mockflow.live.shared``), so every job process starts with it, shared
copy-on-write, and ``prewarm`` finds it instead of compiling its own. Loading heavy models
here works the same way, provided the library is safe to fork after loading (no threads
started at load time).
"""

from __future__ import annotations

from mockflow.live.worker import preload_from_environment

preload_from_environment()
