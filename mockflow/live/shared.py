"""What a worker process loads once and every job in it shares.

A LiveKit worker runs jobs in one of two ways (``mockflow run --executor``):

- **process**: one process per job, forked from a forkserver. What the forkserver loaded
  before forking (``mockflow.live.preload``) is shared copy-on-write by every job process;
  what a job process loads itself is its own.
- **thread**: one process, one thread (with its own event loop) per job. LiveKit calls the
  worker's ``prewarm`` once per thread, so anything heavy must be loaded once per
  process and handed to every thread.

``shared(key, load)`` is that once-per-process load, for both: the first caller runs
``load()`` while later callers with the same key wait for it and get the same object;
a load that raises is not kept (the next caller tries again). Keys say what was loaded
and with which settings, e.g. ``("interview", sha256-of-the-file)``; a loader for a
local speech model would use ``("stt", provider, model, device)``, so two settings never
share one object by accident.

Share only what is safe to share: the compiled interview (immutable; templates compile
under a lock) and model *weights* or inference sessions that are thread-safe. A LiveKit
plugin object (``stt.STT``, ``vad.VAD``, ``tts.TTS``) is an event emitter that each
session subscribes to for metrics: build one per session around the shared weights.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    loaded: bool = False
    value: Any = None


_entries: dict[Hashable, _Entry] = {}
_entries_lock = threading.Lock()
_loads: dict[Hashable, int] = {}


def shared(key: Hashable, load: Callable[[], T]) -> T:
    """The process's one ``load()`` result for ``key`` (loaded on first use)."""
    with _entries_lock:
        entry = _entries.setdefault(key, _Entry())
    with entry.lock:
        if not entry.loaded:
            entry.value = load()
            entry.loaded = True
            with _entries_lock:
                _loads[key] = _loads.get(key, 0) + 1
        value: T = entry.value
        return value


def loaded(key: Hashable) -> bool:
    """Whether ``key`` is loaded in this process (e.g. by the forkserver, before a fork)."""
    with _entries_lock:
        entry = _entries.get(key)
    return entry is not None and entry.loaded


def load_count(key: Hashable) -> int:
    """How many times ``key`` was loaded in this process (tests: once)."""
    with _entries_lock:
        return _loads.get(key, 0)


def forget(key: Hashable | None = None) -> None:
    """Drop one entry, or all (tests)."""
    with _entries_lock:
        if key is None:
            _entries.clear()
            _loads.clear()
        else:
            _entries.pop(key, None)
            _loads.pop(key, None)
