"""Crash-safe, private results on disk, per session: ``<root>/<interview-id>/<session-id>/``.

- ``transcript.jsonl``: one JSON line per turn, appended, flushed and fsynced as each
  turn happens, so a crash loses at most the turn in flight;
- ``scorecard.json`` and ``session.json``: written atomically (temp file in the same
  directory, fsync, ``os.replace``, fsync of the directory), so a reader never sees half
  a file.

Candidate answers are personal data: they go to these files only, never to logs. Every
directory mockflow creates here is 0700 and every file 0600, whatever the umask.

Times: the recorder maps readings of the session's one clock (the engine's) onto the
wall clock with a single anchor taken when the recorder starts, so every ``started_at``
and ``ended_at`` in a session comes from the same clock (ISO 8601 UTC), and the
``start_s``/``end_s`` offsets line up with the scorecard's timings.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mockflow.format.errors import MockflowError
from mockflow.results.store.backend import (  # noqa: F401 - DEFAULT_RESULTS_DIR, RESULTS_ENV: API
    DEFAULT_RESULTS_DIR,
    RESULTS_ENV,
    CheckpointPolicy,
    results_target,
)
from mockflow.results.store.checkpoints import SessionUploads

if TYPE_CHECKING:
    from mockflow.results.session_record import SessionInfo

SIMULATIONS_DIR = "simulations"
TRANSCRIPT_FORMAT = 1
TRANSCRIPT_NAME = "transcript.jsonl"
SCORECARD_NAME = "scorecard.json"
_SCORECARD_VERSION = re.compile(r"^scorecard\.v(\d+)\.json$")  # rescore writes these
SESSION_NAME = "session.json"
LOCK_NAME = ".writer.lock"
DIR_MODE = 0o700
FILE_MODE = 0o600
Role = Literal["interviewer", "candidate", "system"]


class ResultsError(MockflowError):
    """The results directory can't be created or written."""


class SessionFileError(ResultsError):
    """A session file is missing, unreadable or malformed."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


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


def iso(ts: float) -> str:
    """A POSIX time as ISO 8601 UTC with milliseconds: ``2026-11-29T12:55:35.123Z``."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def safe_name(part: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", part).strip(".-")
    if not cleaned:
        raise ResultsError(f"'{part}' can't be used as a directory name")
    return cleaned


def private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents as 0700 (explicit chmod: the umask may be
    wider or narrower). Directories that already exist are left as they are."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        for created in missing:
            os.chmod(created, DIR_MODE)
    except OSError as exc:
        raise ResultsError(
            f"cannot create results directory {path}: {exc.strerror or exc}") from exc


def open_private(path: Path, flags: int) -> int:
    """``os.open`` a file that only its owner can read, whatever the umask."""
    fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that ``path`` holds either the old or the new content, never a mix."""
    write_text_private(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
                       + "\n")


def write_text_private(path: Path, text: str) -> None:
    """Write ``path`` atomically as a 0600 file (old or new content, never a mix)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ResultsError(f"cannot write {path}: {exc.strerror or exc}") from exc
    fsync_dir(path.parent)


def append_line_durable(path: Path, line: str) -> None:
    """Append one line (O_APPEND, so concurrent appenders never interleave) and fsync."""
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    try:
        fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ResultsError(f"cannot append to {path}: {exc.strerror or exc}") from exc


def fsync_dir(directory: Path) -> None:
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


def writer_alive(directory: Path) -> bool:
    """True while a process holds the session's writer lock (a recorder is open)."""
    try:
        fd = os.open(directory / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops our probe lock too
    return False


class SessionRecorder:
    """Everything one interview session writes to disk.

    ``clock`` is the session's clock (the engine's); ``mark_start`` sets the reading that
    counts as the interview's second 0 (the engine's start). ``store``: an s3:// spec the
    files are also uploaded to, after each local write (``checkpoints.SessionUploads``
    decides when).
    """

    def __init__(self, root: Path, interview_id: str, session_id: str | None = None, *,
                 clock: Callable[[], float] = time.monotonic, store: str | None = None,
                 checkpoint: CheckpointPolicy | None = None) -> None:
        self.session_id = session_id or new_session_id()
        self.root = Path(root)
        self.directory = self.root / safe_name(interview_id) / safe_name(self.session_id)
        self.info: SessionInfo | None = None
        private_dir(self.directory)
        self.transcript_path = self.directory / TRANSCRIPT_NAME
        self.scorecard_path = self.directory / SCORECARD_NAME
        self.session_path = self.directory / SESSION_NAME
        self.clock = clock
        self._origin = clock()
        self._wall_origin = time.time()
        self._lock = threading.Lock()
        self._seq = 0
        try:
            self._lock_fd: int | None = open_private(self.directory / LOCK_NAME,
                                                     os.O_RDWR | os.O_CREAT)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._fd: int | None = open_private(self.transcript_path,
                                                os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        except OSError as exc:
            raise ResultsError(f"cannot open {self.directory} for writing: "
                               f"{exc.strerror or exc}") from exc
        self.uploads = SessionUploads(self.root, store, checkpoint) if store else None

    def start(self, info: SessionInfo) -> None:
        """Record what is known at the start: ``session.json`` with status ``running``
        (a process that dies leaves it so; readers then list it as interrupted)."""
        self.info = info
        self.write_session(info.document())

    # ------------------------------------------------------------------ time

    def mark_start(self, reading: float) -> None:
        """The clock reading at the interview's start (offsets count from here)."""
        self._wall_origin += reading - self._origin
        self._origin = reading

    def offset(self, reading: float) -> float:
        return round(reading - self._origin, 3)

    def wall(self, reading: float) -> str:
        return iso(self._wall_origin + (reading - self._origin))

    @property
    def started_at(self) -> str:
        return iso(self._wall_origin)

    def now(self) -> str:
        return self.wall(self.clock())

    # ------------------------------------------------------------------ writing

    def append_turn(
        self,
        role: Role,
        text: str,
        *,
        kind: str | None = None,
        question: int | None = None,
        question_id: str | None = None,
        request: str | None = None,
        started: float | None = None,
        ended: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one turn and make it durable before returning. ``started``/``ended``
        are readings of the session clock (``ended`` defaults to now, ``started`` to
        ``ended``)."""
        end = self.clock() if ended is None else ended
        start = end if started is None else min(started, end)
        with self._lock:
            if self._fd is None:
                raise ResultsError(f"transcript {self.transcript_path} is already closed")
            self._seq += 1
            record: dict[str, Any] = {
                "format": TRANSCRIPT_FORMAT,
                "seq": self._seq,
                "role": role,
                "kind": kind,
                "text": text,
                "question": question,
                "question_id": question_id,
                "request": request,
                "start_s": self.offset(start),
                "end_s": self.offset(end),
                "started_at": self.wall(start),
                "ended_at": self.wall(end),
            }
            if extra:
                record.update({k: v for k, v in extra.items() if k not in record})
            line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
            try:
                os.write(self._fd, line.encode("utf-8"))
                os.fsync(self._fd)
            except OSError as exc:
                raise ResultsError(f"cannot append to {self.transcript_path}: "
                                   f"{exc.strerror or exc}") from exc
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

    @property
    def closed(self) -> bool:
        return self._fd is None

    def close(self) -> None:
        with self._lock:
            was_open = self._fd is not None
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    (self.directory / LOCK_NAME).unlink()
                os.close(self._lock_fd)
                self._lock_fd = None
        if was_open and self.uploads is not None:  # the final upload, once
            self.uploads.closed(self.directory)


# ---------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class SkippedLine:
    line: int  # 1-based line number in the file
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def read_transcript_report(path: Path) -> tuple[list[dict[str, Any]], list[SkippedLine]]:
    """Every readable turn, and what was skipped: a corrupt line is skipped, not the
    rest of the file (a torn last line, left by a crash mid-write, is one of them)."""
    turns: list[dict[str, Any]] = []
    skipped: list[SkippedLine] = []
    with open(path, "rb") as handle:
        data = handle.read()
    lines = data.split(b"\n")
    last = len(lines)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        torn = number == last  # no newline after it: the write never finished
        try:
            value = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            skipped.append(SkippedLine(number, "not UTF-8 text"))
            continue
        except json.JSONDecodeError as exc:
            skipped.append(SkippedLine(
                number, "torn last line (the write was cut off)" if torn
                else f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        if not isinstance(value, dict):
            skipped.append(SkippedLine(number, "not a JSON object"))
            continue
        turns.append(value)
    return turns, skipped


def read_transcript(path: Path) -> list[dict[str, Any]]:
    """Every readable turn of a transcript (see ``read_transcript_report``)."""
    return read_transcript_report(path)[0]


def scorecard_versions(directory: Path) -> list[tuple[int, Path]]:
    """The scorecard versions in a session directory, oldest first: ``scorecard.json`` is
    version 1, ``rescore`` adds ``scorecard.v2.json``, ``v3`` ... and never overwrites."""
    found = [(1, directory / SCORECARD_NAME)] if (directory / SCORECARD_NAME).is_file() else []
    for path in directory.iterdir():
        m = _SCORECARD_VERSION.match(path.name)
        if m:
            found.append((int(m.group(1)), path))
    return sorted(found)
