"""``sys._current_frames()`` without CPython 3.11's garbage-collector deadlock.

LiveKit Agents watches every job's event loop for synchronous blocking
(``livekit.agents.telemetry.loop_monitor``): a watchdog thread per job loop calls
``sys._current_frames()`` to sample the loop thread's stack once the loop has been blocked
for about 80 ms. On CPython before 3.12 that call can deadlock the whole process
(CPython issue gh-106883, fixed in 3.12, where the collector only runs between
bytecodes; the 3.11 backport was not taken): it takes the interpreter's thread-list lock,
then allocates frame objects, and an allocation can start a garbage collection that runs
a finalizer (a ``__del__``, a weakref callback: an asyncio task of a finished interview,
a ``WeakSet`` entry) while the lock is held. Python code in the finalizer lets go of the
GIL; another thread that holds the GIL and needs the same lock (starting or ending a
thread, or sampling frames itself) then waits forever, and so does every thread of the
process, at no CPU.

A thread worker (``mockflow run --executor thread``) is where this happens: several job
loops, each with its watchdog, share one GIL (so each loop's heartbeat is often late and
its watchdog samples often), while threads start and end all the time (job threads, timers,
executor threads). Observed in ``benchmarks/fleet.py``: a worker with 8 interviews froze
mid-interview (every thread waiting for the GIL, one watchdog inside a collection inside
``_current_frames``, the other waiting for the thread-list lock while holding the GIL).
A process per job runs the same watchdog next to timer and executor threads, more rarely
hit; LiveKit then kills the silent process after a minute and that interview is lost.

``install()`` replaces ``sys._current_frames`` (and ``sys._current_exceptions``, the same
bug) with a version that pauses automatic collection for the duration of the call, as
CPython's own fix does, and serialises its callers (so one caller never re-enables
collection while another is inside). Collection is only switched back on if it was on.
Nothing changes on CPython 3.12 and later.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from typing import Any

AFFECTED = sys.version_info < (3, 12)
"""Whether this interpreter has the deadlock (CPython gh-106883)."""

_NAMES = ("_current_frames", "_current_exceptions")
_lock = threading.RLock()  # re-entrant: a signal handler on the same thread may sample too
_installed = False


def _without_collection(original: Callable[[], dict[int, Any]]) -> Callable[[], dict[int, Any]]:
    def call() -> dict[int, Any]:
        with _lock:
            enabled = gc.isenabled()
            gc.disable()
            try:
                return original()
            finally:
                if enabled:
                    gc.enable()

    call.__name__ = getattr(original, "__name__", "call")
    call.__doc__ = original.__doc__
    call.__wrapped__ = original  # type: ignore[attr-defined]
    return call


def install() -> bool:
    """Make frame sampling safe in this process (idempotent; thread-safe). True when the
    interpreter needs it (and it is now installed)."""
    global _installed
    if not AFFECTED:
        return False
    with _lock:
        if not _installed:
            for name in _NAMES:
                original = getattr(sys, name, None)
                if original is not None:
                    setattr(sys, name, _without_collection(original))
            _installed = True
    return True


def installed() -> bool:
    """Whether ``install`` has guarded this process's frame sampling."""
    return _installed
