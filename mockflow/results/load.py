"""Read one session directory back, checking everything a report relies on.

A session is ``session.json`` + ``scorecard.json`` + ``transcript.jsonl`` (+ the optional
``reviews.jsonl``). ``load_session`` raises ``SessionFileError`` naming the file and
what is wrong with it (missing, not JSON, wrong shape); a corrupt transcript line is
skipped and reported in ``Session.skipped`` rather than failing the whole session.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockflow.results import safe_json
from mockflow.results.current import CurrentScorecard, apply_reviews, current_path
from mockflow.results.durable import ResultsError
from mockflow.results.files import (
    SCORECARD_NAME,
    SESSION_NAME,
    TRANSCRIPT_NAME,
    SessionFileError,
    SkippedLine,
    read_transcript_report,
)
from mockflow.results.record_schemas import check_record
from mockflow.results.reviews import REVIEWS_NAME, Review, read_reviews_report

__all__ = ["Session", "SessionFileError", "load_session", "session_dir"]


@dataclass(frozen=True, slots=True)
class Session:
    directory: Path
    session: Mapping[str, Any]
    scorecard: Mapping[str, Any]
    transcript: Sequence[Mapping[str, Any]]
    reviews: Sequence[Review] = ()
    skipped: Sequence[SkippedLine] = field(default=())
    skipped_reviews: Sequence[SkippedLine] = field(default=())  # reviews.jsonl lines
    version: int = 1  # the scorecard version read (``rescore`` adds versions)
    scorecard_path: Path | None = None

    @property
    def current(self) -> CurrentScorecard:
        """The scores that stand: this scorecard version with the reviews applied."""
        return apply_reviews(self.scorecard, self.reviews, version=self.version,
                             path=self.scorecard_path, skipped_reviews=self.skipped_reviews)

    @property
    def session_id(self) -> str:
        return str(self.session.get("session_id") or self.directory.name)

    @property
    def candidate_name(self) -> str | None:
        cand = self.session.get("candidate")
        if isinstance(cand, Mapping):
            name = cand.get("name") or cand.get("identity")
            return None if name is None else str(name)
        return None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SessionFileError(path, "missing (the session never finished writing it, or"
                               " this is not a session directory)") from None
    except UnicodeDecodeError:
        raise SessionFileError(path, "not UTF-8 text") from None
    except OSError as exc:
        raise SessionFileError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        data = safe_json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionFileError(path, f"not valid JSON (line {exc.lineno}, column"
                               f" {exc.colno}: {exc.msg}); the file is corrupt or"
                               " truncated") from None
    except ValueError as exc:  # nested too deeply
        raise SessionFileError(path, f"{exc}; the file is corrupt") from None
    if not isinstance(data, dict):
        raise SessionFileError(path, "expected a JSON object at the top level")
    return data


def _require(path: Path, data: Mapping[str, Any], keys: Mapping[str, type | tuple[type, ...]]
             ) -> None:
    for key, kind in keys.items():
        if key not in data:
            raise SessionFileError(path, f"has no '{key}' field (a partial or foreign file)")
        if not isinstance(data[key], kind):
            raise SessionFileError(path, f"field '{key}' has the wrong type")


def session_dir(target: Path) -> Path:
    """Accept the session directory or any file inside it."""
    if target.is_file() and target.name in (SESSION_NAME, SCORECARD_NAME, TRANSCRIPT_NAME):
        return target.parent
    return target


def load_session(target: Path) -> Session:
    directory = session_dir(Path(target))
    if not directory.exists():
        raise SessionFileError(directory, "no such session directory")
    if not directory.is_dir():
        raise SessionFileError(directory, "not a session directory")
    session = _read_json(directory / SESSION_NAME)
    _require(directory / SESSION_NAME, session, {"interview": (str, dict), "status": str})
    # the current scorecard version (``rescore`` writes new ones beside the first)
    version, card_path = current_path(directory)
    scorecard = _read_json(card_path)
    _require(card_path, scorecard, {
        "interview": str, "scale": dict, "overall": dict, "competencies": list,
        "questions": list, "ladder": dict, "timing": dict,
    })
    # the shipped schemas: what a report relies on is there and has the right types
    check_record("session", directory / SESSION_NAME, session)
    check_record("scorecard", card_path, scorecard)
    transcript_path = directory / TRANSCRIPT_NAME
    try:
        turns, skipped = read_transcript_report(transcript_path)
    except FileNotFoundError:
        raise SessionFileError(transcript_path, "missing") from None
    except OSError as exc:
        raise SessionFileError(transcript_path, f"cannot read: {exc.strerror or exc}"
                               ) from None
    try:
        reviews, skipped_reviews = read_reviews_report(directory)
    except ResultsError as exc:
        raise SessionFileError(directory / REVIEWS_NAME, str(exc)) from None
    return Session(directory, session, scorecard, turns, reviews, skipped,
                   tuple(skipped_reviews), version, card_path)
