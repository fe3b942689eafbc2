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

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockflow.results import durable
from mockflow.results.files import parse_jsonl

FILES_FORMAT = 1
QUESTIONS = "questions.jsonl"
JUDGEMENTS = "judgements.jsonl"
INTERVIEW_COPY = "interview.yaml"


class JsonlLog:
    """An append-only JSON-lines file: each line durable before ``append`` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = durable.AppendFile(path)

    def append(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        self._file.append(line.encode("utf-8"))

    def close(self) -> None:
        self._file.close()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file; a torn or damaged line is skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return parse_jsonl(data)[0]


class ScoringFiles:
    """``questions.jsonl`` and ``judgements.jsonl`` of one session directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.questions = JsonlLog(self.directory / QUESTIONS)
        self.judgements = JsonlLog(self.directory / JUDGEMENTS)

    def write_header(self, header: Mapping[str, Any], source: bytes | None = None) -> None:
        """The session's header line, and the interview file it ran (once)."""
        if source is not None:
            with contextlib.suppress(FileExistsError):  # an existing copy is kept
                durable.create_new(self.directory / INTERVIEW_COPY, source)
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
