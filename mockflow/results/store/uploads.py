"""Uploading session files to an object store: a durable on-disk queue and its drainer.

A session always writes its files locally first (``files.SessionRecorder``: append +
fsync, atomic replace); uploading never stands between a turn and the disk. When a store
is configured, the recorder queues files here (when: ``checkpoints.SessionUploads``).

The queue is a directory, ``<results>/.uploads/`` (0700), one small JSON entry per file to
upload (0600, written atomically, named by a hash of store + path, so repeated checkpoints
of one file coalesce into one entry). Entries name the local file, not its bytes: an
upload always sends the file's newest content, trimmed to whole lines for ``.jsonl``, so
uploads are idempotent and never go backwards. An entry is removed only after the store
acknowledged the upload; an outage, a crash or a SIGKILL leaves it queued.

The *drainer* (``drain``) takes an exclusive ``flock`` on ``.uploads/lock`` so exactly one
process uploads from a results directory at a time (job processes only enqueue; the
worker's main process, the console, or ``flush_uploads`` drain). It claims an entry by
renaming it into ``.uploads/inflight/``; an entry enqueued meanwhile is a new file and is
uploaded on the next pass. Entries left in flight by a crash are put back when the lock
is next taken. ``UploadWorker`` drains in a background thread with exponential backoff
while the store is down; ``flush_uploads`` drains now, with retries, and reports what is
left.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mockflow.format.errors import MockflowError
from mockflow.results import durable, safe_json
from mockflow.results.store.backend import (
    ObjectStore,
    StoreError,
    StoreUnavailable,
    key_for,
    open_store,
)

logger = logging.getLogger("mockflow.uploads")

QUEUE_DIR = ".uploads"
MAX_PASSES = 100  # a flush ends even while files keep being queued
POLL_SECONDS = 0.25  # how often a background drainer looks at the queue
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0  # seconds between attempts while the store is down
_WAKE = threading.Event()  # set on enqueue: a drainer in this process starts at once


class QueueError(MockflowError):
    """The upload queue directory can't be created or written."""


class UploadQueue:
    """The on-disk queue under ``<root>/.uploads``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.directory = self.root / QUEUE_DIR
        self.inflight = self.directory / "inflight"

    def _ensure(self) -> None:
        try:
            durable.private_dir(self.inflight)
        except durable.DurableWriteError as exc:
            raise QueueError(f"cannot create the upload queue {self.directory}:"
                             f" {exc}") from exc

    def enqueue(self, path: Path, store: str) -> None:
        """Queue ``path`` (a file under the root) for upload to ``store``; durable on return."""
        relative = Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        key_for(relative)  # a clear error now rather than at upload time
        self._ensure()
        name = hashlib.sha256(f"{store}\0{relative}".encode()).hexdigest()[:32] + ".json"
        if (self.directory / name).exists():
            return  # already queued and not yet taken: the upload sends the newest content
        entry = {"v": 1, "store": store, "path": relative, "queued_at": time.time()}
        try:
            durable.replace_atomic(self.directory / name, json.dumps(entry).encode())
        except durable.DurableWriteError as exc:
            raise QueueError(f"cannot queue {relative} for upload: {exc}") from exc
        _WAKE.set()

    def pending(self) -> list[Path]:
        try:
            entries = [p for p in self.directory.iterdir()
                       if p.suffix == ".json" and not p.name.startswith(".")]
        except FileNotFoundError:
            return []
        return sorted(entries, key=lambda p: (_mtime(p), p.name))

    def queued_paths(self) -> set[str]:
        """The files (relative to the root) waiting for upload, in flight included."""
        paths: set[str] = set()
        for entry in [*self.pending(), *_files(self.inflight)]:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                paths.add(str(safe_json.loads(entry.read_bytes())["path"]))
        return paths

    def __len__(self) -> int:
        return len(self.pending()) + len(list(_files(self.inflight)))

    @contextlib.contextmanager
    def locked(self, *, wait: float | None) -> Iterator[bool]:
        """Hold the drainer lock; yields False if ``wait`` ran out (None: don't wait)."""
        self._ensure()
        fd = durable.open_private(self.directory / "lock", os.O_RDWR | os.O_CREAT)
        try:
            deadline = time.monotonic() + (wait or 0.0)
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.05)
            try:
                self._recover()
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _recover(self) -> None:
        """Entries left in flight by a drainer that died: back into the queue."""
        for stale in _files(self.inflight):
            self._release(stale)

    def _claim(self, entry: Path) -> Path | None:
        target = self.inflight / entry.name
        try:  # a claim lost in a crash is harmless: the entry is just queued again
            durable.move(entry, target, sync=False)
        except FileNotFoundError:
            return None
        return target

    def _release(self, inflight: Path) -> None:
        """Back into the queue, unless a newer entry for the same file is there already."""
        with contextlib.suppress(FileExistsError):
            durable.link(inflight, self.directory / inflight.name)
        inflight.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _files(directory: Path) -> Iterator[Path]:
    with contextlib.suppress(FileNotFoundError):
        yield from (p for p in directory.iterdir() if p.suffix == ".json")


def _body(path: Path) -> bytes:
    body = path.read_bytes()
    if path.suffix == ".jsonl" and body and not body.endswith(b"\n"):
        body = body[: body.rfind(b"\n") + 1]  # a line being written: whole lines only
    return body


@dataclass
class DrainResult:
    uploaded: int = 0
    dropped: int = 0  # entries whose local file no longer exists
    error: str | None = None  # why the pass stopped early (the store is down, …)
    uploaded_keys: list[str] = field(default_factory=list)


StoreFactory = Callable[[str], ObjectStore]


def drain(queue: UploadQueue, stores: dict[str, ObjectStore],
          factory: StoreFactory = open_store) -> DrainResult:
    """One pass over the queue (the caller holds the lock). Stops at the first failure
    that means the store is down; everything not uploaded stays queued."""
    result = DrainResult()
    for entry in queue.pending():
        claimed = queue._claim(entry)
        if claimed is None:
            continue
        try:
            data = safe_json.loads(claimed.read_bytes())
            spec, relative = str(data["store"]), str(data["path"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.error("dropping unreadable upload queue entry %s: %s", claimed.name, exc)
            claimed.unlink(missing_ok=True)
            result.dropped += 1
            continue
        local = queue.root / relative
        try:
            store = stores.get(spec) or stores.setdefault(spec, factory(spec))
            body = _body(local)
            key = key_for(relative)
            store.put(key, body)
        except FileNotFoundError:
            logger.warning("queued file %s is gone; nothing to upload", relative)
            claimed.unlink(missing_ok=True)
            result.dropped += 1
            continue
        except StoreUnavailable as exc:
            queue._release(claimed)
            result.error = str(exc)
            return result
        except StoreError as exc:  # a bad spec or a missing extra: retrying won't help yet
            queue._release(claimed)
            result.error = str(exc)
            return result
        claimed.unlink(missing_ok=True)
        result.uploaded += 1
        result.uploaded_keys.append(key)
    return result


@dataclass
class FlushResult:
    uploaded: int
    remaining: int
    error: str | None


def flush_uploads(root: Path, *, attempts: int = 4, wait: float = 30.0,
                  factory: StoreFactory = open_store) -> FlushResult:
    """Upload everything queued under ``root`` now (``mockflow sessions --flush``).

    Waits up to ``wait`` seconds for a running drainer to let go of the lock, retries a
    store that is down ``attempts`` times with backoff, and reports what is still queued
    (nothing is lost: a later flush or worker uploads it)."""
    queue = UploadQueue(root)
    if not queue.directory.exists():
        return FlushResult(0, 0, None)
    uploaded, error = 0, None
    stores: dict[str, ObjectStore] = {}
    with queue.locked(wait=wait) as held:
        if not held:
            return FlushResult(0, len(queue), f"another process is uploading from {root};"
                                              " try again when it is done")
        delay, failures = BACKOFF_FIRST, 0
        for _ in range(MAX_PASSES):  # files queued meanwhile are taken on the next pass
            result = drain(queue, stores, factory)
            uploaded += result.uploaded
            error = result.error
            if not queue.pending():
                break
            if error is not None:
                failures += 1
                if failures >= attempts:
                    break
                time.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
    return FlushResult(uploaded, len(queue), error)


class UploadWorker:
    """Drains a results directory's queue in a background thread until stopped."""

    def __init__(self, root: Path, *, poll: float = POLL_SECONDS,
                 factory: StoreFactory = open_store) -> None:
        self.queue = UploadQueue(root)
        self.poll = poll
        self.factory = factory
        self.last_error: str | None = None
        self.uploaded = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stores: dict[str, ObjectStore] = {}

    def start(self) -> UploadWorker:
        self._thread = threading.Thread(target=self._run, name="mockflow-uploads",
                                        daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        delay = BACKOFF_FIRST
        while not self._stop.is_set():
            error = self._pass()
            if error is None:
                delay = BACKOFF_FIRST
                _WAKE.wait(self.poll)
                _WAKE.clear()
            else:
                # jittered exponential backoff: many workers don't hammer a recovering store
                self._stop.wait(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, BACKOFF_MAX)

    def _pass(self) -> str | None:
        if not self.queue.pending():
            return None
        try:
            with self.queue.locked(wait=None) as held:
                if not held:
                    return None  # another process is draining this directory
                result = drain(self.queue, self._stores, self.factory)
        except OSError as exc:
            result = DrainResult(error=f"upload queue: {exc}")
        self.uploaded += result.uploaded
        if result.error != self.last_error and result.error is not None:
            logger.warning("results store: %s", result.error)
        self.last_error = result.error
        return result.error

    def stop(self, *, flush_timeout: float = 10.0) -> FlushResult:
        """Stop the thread, then one last bounded flush; returns what is still queued."""
        self._stop.set()
        _WAKE.set()
        if self._thread is not None:
            self._thread.join(flush_timeout)
        result = flush_uploads(self.queue.root, attempts=2, wait=flush_timeout,
                               factory=self.factory)
        self.uploaded += result.uploaded
        return result
