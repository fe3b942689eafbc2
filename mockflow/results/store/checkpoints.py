"""When a running session's files are queued for upload (``SessionUploads``).

The recorder (``files.SessionRecorder``) tells this object about every local write; it
queues (``uploads.UploadQueue``) the transcript at its first turn, then every
``CheckpointPolicy.turns`` turns or ``CheckpointPolicy.seconds`` after the first turn not
yet queued (a timer covers a session that goes quiet), ``session.json`` and
``scorecard.json`` when written, and every file of the session when it closes. Queueing
never fails a session: the local copy is already safe, and an error is logged (paths only,
never candidate text).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from mockflow.results.store.backend import CheckpointPolicy
from mockflow.results.store.uploads import QueueError, UploadQueue

logger = logging.getLogger("mockflow.uploads")


class SessionUploads:
    """What one session's recorder enqueues, and when (see the module docstring)."""

    def __init__(self, root: Path, store: str, policy: CheckpointPolicy | None = None) -> None:
        self.queue = UploadQueue(root)
        self.store = store
        self.policy = policy or CheckpointPolicy()
        self._lock = threading.Lock()
        self._pending = 0
        self._last = time.monotonic()
        self._timer: threading.Timer | None = None
        self._closed = False
        self._first = True

    def _queue(self, path: Path) -> None:
        try:
            self.queue.enqueue(path, self.store)
        except QueueError as exc:  # the local copy is safe; say so, don't end the interview
            logger.error("not queued for upload: %s", exc)

    def file_written(self, path: Path) -> None:
        """``session.json`` or ``scorecard.json`` was (re)written: upload it soon."""
        self._queue(path)

    def turn_written(self, transcript: Path) -> None:
        with self._lock:
            if self._closed:
                return
            self._pending += 1
            due = self._last + self.policy.seconds
            if (self._first or self._pending >= self.policy.turns
                    or time.monotonic() >= due):
                self._first = False  # the first turn goes at once: the store knows the session
                self._checkpoint(transcript)
            elif self._timer is None:
                self._timer = threading.Timer(max(0.0, due - time.monotonic()),
                                              self._on_timer, (transcript,))
                self._timer.daemon = True
                self._timer.start()

    def _on_timer(self, transcript: Path) -> None:
        with self._lock:
            self._timer = None
            if self._pending and not self._closed:
                self._checkpoint(transcript)

    def _checkpoint(self, transcript: Path) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending = 0
        self._last = time.monotonic()
        self._queue(transcript)

    def closed(self, directory: Path) -> None:
        """The session closed: queue every file in its directory."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        for path in sorted(Path(directory).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                self._queue(path)

    def publish(self, path: Path) -> None:
        """A file added to a closed session (``persona.json``, a review)."""
        self._queue(path)
