"""The session files scoring needs, written as the interview runs, so a killed session can
be re-scored (``mockflow rescore``) without losing a finished judgement.

In the session directory, beside ``transcript.jsonl``:

- ``questions.jsonl``: a header line (the interview's ``id@sha256``, seed, ladder start,
  planned questions per stage), then one line per question as it closes (the engine's
  record of it: turns, prompts, hints, outcome, the engine's own score);
- ``judgements.jsonl``: one line per judged question as each judgement arrives (the
  score with its evidence, rationale, source and review flags, and which judge);
- ``interview.yaml``: the exact interview file the session ran, when the runner had it.

Lines are appended, flushed and fsynced before the call returns; files are created 0600
(candidate answers are personal data). Readers skip a torn last line left by a crash.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockflow.results.files import ResultsError

FILES_FORMAT = 1
QUESTIONS = "questions.jsonl"
JUDGEMENTS = "judgements.jsonl"
INTERVIEW_COPY = "interview.yaml"


def _open_private(path: Path, flags: int) -> int:
    try:
        return os.open(path, flags, 0o600)
    except OSError as exc:
        raise ResultsError(f"cannot write {path}: {exc.strerror or exc}") from exc


class JsonlLog:
    """An append-only JSON-lines file: each line durable before ``append`` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd = _open_private(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def append(self, record: Mapping[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        with self._lock:
            if self._fd < 0:
                raise ResultsError(f"{self.path} is already closed")
            try:
                os.write(self._fd, line)  # O_APPEND: one write per line, never interleaved
                os.fsync(self._fd)
            except OSError as exc:
                raise ResultsError(f"cannot write {self.path}: {exc.strerror or exc}"
                                   ) from exc

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file; a torn or foreign last line is skipped."""
    records: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return records
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def write_private(path: Path, data: bytes) -> None:
    """Write a new private file (0600) and make it durable; an existing file is kept."""
    fd = _open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


class ScoringFiles:
    """``questions.jsonl`` and ``judgements.jsonl`` of one session directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.questions = JsonlLog(self.directory / QUESTIONS)
        self.judgements = JsonlLog(self.directory / JUDGEMENTS)

    def write_header(self, header: Mapping[str, Any], source: bytes | None = None) -> None:
        """The session's header line, and the interview file it ran (once)."""
        if source is not None and not (self.directory / INTERVIEW_COPY).exists():
            write_private(self.directory / INTERVIEW_COPY, source)
        self.questions.append({"type": "session", "format": FILES_FORMAT, **header,
                               "interview_file": INTERVIEW_COPY if source is not None
                               else None})

    def append_question(self, record: Mapping[str, Any], nudged_at: float | None) -> None:
        self.questions.append({"type": "question", "record": dict(record),
                               "nudged_at": nudged_at})

    def append_judgement(self, judgement: Mapping[str, Any]) -> None:
        self.judgements.append({"format": FILES_FORMAT, **judgement})

    def close(self) -> None:
        self.questions.close()
        self.judgements.close()
