"""Crash-safe results on disk, per session: ``<root>/<interview-id>/<session-id>/``.

- ``transcript.jsonl``: one JSON line per turn, appended, flushed and fsynced as each
  turn happens, so a crash loses at most the turn in flight;
- ``scorecard.json`` and ``session.json``: written atomically (temp file in the same
  directory, fsync, ``os.replace``, fsync of the directory), so a reader never sees half
  a file.

Candidate answers are personal data: they go to these files only, never to logs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mockflow.format.errors import MockflowError
from mockflow.results.checkpoints import SessionUploads
from mockflow.results.store import (  # noqa: F401 - DEFAULT_RESULTS_DIR, RESULTS_ENV: API
    DEFAULT_RESULTS_DIR,
    RESULTS_ENV,
    CheckpointPolicy,
    results_target,
)

Role = Literal["interviewer", "candidate", "system"]


class ResultsError(MockflowError):
    """The results directory can't be created or written."""


def results_root(flag: str | None, env: Mapping[str, str] | None = None) -> Path:
    """The local directory: ``--results`` wins, then ``MOCKFLOW_RESULTS``, then
    ``./results``; an s3:// spec is a store, not a directory, and is skipped here
    (``store.results_target`` gives both)."""
    env = os.environ if env is None else env
    return results_target(flag, env).directory


def new_session_id(now: datetime | None = None) -> str:
    """Sortable and unique: ``20261124T121212Z-1a2b3c``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def _safe(part: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", part).strip(".-")
    if not cleaned:
        raise ResultsError(f"'{part}' can't be used as a directory name")
    return cleaned


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that ``path`` holds either the old or the new content, never a mix."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ResultsError(f"cannot write {path}: {exc.strerror or exc}") from exc
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class SessionRecorder:
    """Everything one interview session writes to disk."""

    def __init__(self, root: Path, interview_id: str, session_id: str | None = None, *,
                 store: str | None = None, checkpoint: CheckpointPolicy | None = None) -> None:
        """``store``: an s3:// spec the files are also uploaded to, after each local write
        (``checkpoints.SessionUploads`` decides when)."""
        self.session_id = session_id or new_session_id()
        self.directory = Path(root) / _safe(interview_id) / _safe(self.session_id)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(
                f"cannot create results directory {self.directory}: {exc.strerror or exc}"
            ) from exc
        self.transcript_path = self.directory / "transcript.jsonl"
        self.scorecard_path = self.directory / "scorecard.json"
        self.session_path = self.directory / "session.json"
        self._lock = threading.Lock()
        self._seq = 0
        self._handle = open(self.transcript_path, "a", encoding="utf-8")
        self.uploads = SessionUploads(Path(root), store, checkpoint) if store else None

    def append_turn(
        self,
        role: Role,
        text: str,
        *,
        question_id: str | None = None,
        kind: str | None = None,
        started_at: float | None = None,
        ended_at: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one turn and make it durable before returning."""
        with self._lock:
            if self._handle.closed:
                raise ResultsError(f"transcript {self.transcript_path} is already closed")
            self._seq += 1
            record: dict[str, Any] = {
                "seq": self._seq,
                "role": role,
                "text": text,
                "question_id": question_id,
                "kind": kind,
                "started_at": started_at,
                "ended_at": ended_at if ended_at is not None else time.time(),
            }
            if extra:
                record.update(extra)
            self._handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())
            if self.uploads is not None:
                self.uploads.turn_written(self.transcript_path)

    def write_scorecard(self, scorecard: Mapping[str, Any]) -> None:
        write_json_atomic(self.scorecard_path, dict(scorecard))
        if self.uploads is not None:
            self.uploads.file_written(self.scorecard_path)

    def write_session(self, session: Mapping[str, Any]) -> None:
        write_json_atomic(self.session_path, dict(session))
        if self.uploads is not None:
            self.uploads.file_written(self.session_path)

    def publish(self, path: Path) -> None:
        """A file added to the session directory after it closed (e.g. ``persona.json``)."""
        if self.uploads is not None:
            self.uploads.publish(path)

    def close(self) -> None:
        with self._lock:
            if self._handle.closed:
                return
            self._handle.close()
        if self.uploads is not None:
            self.uploads.closed(self.directory)


def read_transcript(path: Path) -> list[dict[str, Any]]:
    """Read a transcript, ignoring a torn last line left by a crash mid-write."""
    turns: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                turns.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return turns
