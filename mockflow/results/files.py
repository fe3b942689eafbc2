"""Crash-safe, private results on disk, per session: ``<root>/<interview-id>/<session-id>/``.

- ``transcript.jsonl``: one JSON line per turn, appended, flushed and fsynced as each
  turn happens, so a crash loses at most the turn in flight;
- ``scorecard.json`` and ``session.json``: written atomically (temp file in the same
  directory, fsync, ``os.replace``, fsync of the directory), so a reader never sees half
  a file.

Every write goes through ``durable`` (whole or not at all, a typed error on a full disk).
A recorder whose write failed remembers it (``write_error``) and records the finished
session as ``status: error`` naming the failure, where ``session.json`` can still be
written.

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

from mockflow.results import durable, safe_json
from mockflow.results.durable import (  # noqa: F401 - also reachable from here
    DIR_MODE,
    FILE_MODE,
    DurableWriteError,
    ResultsError,
    fsync_dir,
    open_private,
    private_dir,
)
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
Role = Literal["interviewer", "candidate", "system"]


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


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that ``path`` holds either the old or the new content, never a mix."""
    write_text_private(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
                       + "\n")


def write_text_private(path: Path, text: str) -> None:
    """Write ``path`` atomically as a 0600 file (old or new content, never a mix)."""
    durable.replace_atomic(path, text.encode("utf-8"))


def append_line_durable(path: Path, line: str) -> None:
    """Append one line durably (``durable.append``: whole or not at all)."""
    durable.append(path, (line.rstrip("\n") + "\n").encode("utf-8"))


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
        self.write_error: str | None = None  # the first write that failed, if any
        try:
            self._lock_fd: int | None = open_private(self.directory / LOCK_NAME,
                                                     os.O_RDWR | os.O_CREAT)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ResultsError(f"cannot open {self.directory} for writing: "
                               f"{exc.strerror or exc}") from exc
        try:
            self._transcript: durable.AppendFile | None = durable.AppendFile(
                self.transcript_path)
        except ResultsError:
            os.close(self._lock_fd)
            raise
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
            if self._transcript is None:
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
                self._transcript.append(line.encode("utf-8"))
            except ResultsError as exc:
                self._failed(exc)
                raise
            if self.uploads is not None:
                self.uploads.turn_written(self.transcript_path)

    def _failed(self, exc: ResultsError) -> None:
        if self.write_error is None:
            self.write_error = str(exc)

    def write_scorecard(self, scorecard: Mapping[str, Any]) -> None:
        try:
            write_json_atomic(self.scorecard_path, dict(scorecard))
        except ResultsError as exc:
            self._failed(exc)
            raise
        if self.uploads is not None:
            self.uploads.file_written(self.scorecard_path)

    def write_session(self, session: Mapping[str, Any]) -> None:
        """Write ``session.json``. Once a write of this session has failed (a full disk),
        a finished session is recorded as ``status: error`` with that failure, so a
        reader knows its files are incomplete."""
        document = dict(session)
        if self.write_error is not None and document.get("status") != "running":
            earlier = document.get("error")
            document["status"] = "error"
            document["error"] = (f"the session's files could not all be written:"
                                 f" {self.write_error}"
                                 + (f"; {earlier}" if earlier else ""))[:2000]
        try:
            write_json_atomic(self.session_path, document)
        except ResultsError as exc:
            self._failed(exc)
            raise
        if self.uploads is not None:
            self.uploads.file_written(self.session_path)

    def publish(self, path: Path) -> None:
        """A file added to the session directory after it closed (e.g. ``persona.json``)."""
        if self.uploads is not None:
            self.uploads.publish(path)

    @property
    def closed(self) -> bool:
        return self._transcript is None

    def close(self) -> None:
        with self._lock:
            was_open = self._transcript is not None
            if self._transcript is not None:
                self._transcript.close()
                self._transcript = None
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


def parse_jsonl(data: bytes) -> tuple[list[dict[str, Any]], list[SkippedLine]]:
    """Every JSON-object line of a JSON-lines file, and what was skipped: a damaged line
    is skipped, never the rest of the file. A torn record (a crash or a full disk
    mid-write) is one damaged line: appends start a new line after it (``durable``)."""
    numbered, skipped = parse_jsonl_numbered(data)
    return [record for _, record in numbered], skipped


def parse_jsonl_numbered(data: bytes
                         ) -> tuple[list[tuple[int, dict[str, Any]]], list[SkippedLine]]:
    """``parse_jsonl`` with each record's 1-based line number."""
    records: list[tuple[int, dict[str, Any]]] = []
    skipped: list[SkippedLine] = []
    lines = data.split(b"\n")
    last = len(lines)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        torn = number == last  # no newline after it: the write never finished
        try:
            value = safe_json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            skipped.append(SkippedLine(number, "not UTF-8 text"))
            continue
        except json.JSONDecodeError as exc:
            skipped.append(SkippedLine(
                number, "torn last line (the write was cut off)" if torn
                else f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        except ValueError as exc:  # nested too deeply
            skipped.append(SkippedLine(number, str(exc)))
            continue
        if not isinstance(value, dict):
            skipped.append(SkippedLine(number, "not a JSON object"))
            continue
        records.append((number, value))
    return records, skipped


def read_transcript_report(path: Path) -> tuple[list[dict[str, Any]], list[SkippedLine]]:
    """Every readable turn, and what was skipped (see ``parse_jsonl``)."""
    with open(path, "rb") as handle:
        return parse_jsonl(handle.read())


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
