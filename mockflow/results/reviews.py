"""Reviewers' overrides and notes: ``reviews.jsonl`` beside the session's records.

Append-only (``O_APPEND`` + fsync, one JSON line per review): the original scorecard is
never changed, every review is kept in order, and a report shows the machine's score
and each reviewer's side by side. The latest review that scores a competency is its
reviewed score.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockflow.results.files import ResultsError, append_line_durable, iso

REVIEWS_NAME = "reviews.jsonl"
REVIEW_FORMAT = 1
MAX_NOTE = 20_000
MAX_REVIEWER = 200


class ReviewError(ResultsError):
    """A review can't be recorded as given (unknown competency, score off the scale...)."""


@dataclass(frozen=True, slots=True)
class Review:
    id: str
    at: str
    reviewer: str | None
    scores: Mapping[str, float] = field(default_factory=dict)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"format": REVIEW_FORMAT, "id": self.id, "at": self.at,
                "reviewer": self.reviewer, "scores": dict(self.scores), "note": self.note}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Review:
        scores = data.get("scores") or {}
        if not isinstance(scores, Mapping) or not all(
                isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
                for k, v in scores.items()):
            raise ValueError("scores must map competency ids to numbers")
        reviewer, note = data.get("reviewer"), data.get("note")
        if not isinstance(data.get("id"), str) or not isinstance(data.get("at"), str):
            raise ValueError("id and at must be strings")
        if reviewer is not None and not isinstance(reviewer, str):
            raise ValueError("reviewer must be a string")
        if note is not None and not isinstance(note, str):
            raise ValueError("note must be a string")
        return cls(data["id"], data["at"], reviewer, dict(scores), note)


def parse_score(text: str) -> tuple[str, float]:
    """``COMPETENCY=N`` as given on the command line."""
    competency, sep, value = text.partition("=")
    competency = competency.strip()
    if not sep or not competency:
        raise ReviewError(f"--score '{text}' is not COMPETENCY=N (e.g. --score"
                          " system_design=4)")
    try:
        number = float(value.strip()) if len(value.strip()) <= 32 else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ReviewError(f"--score '{text}': '{value.strip()}' is not a number")
    return competency, number


def make_review(scorecard: Mapping[str, Any], scores: Sequence[tuple[str, float]],
                note: str | None, reviewer: str | None, *, now: float | None = None
                ) -> Review:
    """Check a review against the session's scorecard (known competencies, on the scale)."""
    known = {str(c.get("id")): c for c in scorecard.get("competencies", [])
             if isinstance(c, Mapping)}
    scale = scorecard.get("scale") or {}
    low, high = scale.get("min"), scale.get("max")
    out: dict[str, float] = {}
    for competency, value in scores:
        if competency not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ReviewError(f"unknown competency '{competency}' (this session's"
                              f" competencies: {names})")
        if isinstance(low, int | float) and isinstance(high, int | float) and not (
                low <= value <= high):
            raise ReviewError(f"score {value:g} for '{competency}' is off the scale"
                              f" {low:g}-{high:g}")
        if competency in out:
            raise ReviewError(f"'{competency}' is scored twice in one review")
        out[competency] = value
    if not out and not (note and note.strip()):
        raise ReviewError("a review needs at least one --score or a --note")
    if note is not None and len(note) > MAX_NOTE:
        raise ReviewError(f"the note is {len(note)} characters; the limit is {MAX_NOTE}")
    if reviewer is not None and len(reviewer) > MAX_REVIEWER:
        raise ReviewError(f"the reviewer name is longer than {MAX_REVIEWER} characters")
    stamp = time.time() if now is None else now
    return Review(f"rv-{secrets.token_hex(6)}", iso(stamp), reviewer, out, note)


def append_review(directory: Path, review: Review) -> Path:
    path = directory / REVIEWS_NAME
    append_line_durable(path, json.dumps(review.to_dict(), ensure_ascii=False,
                                         sort_keys=True))
    return path


def read_reviews(directory: Path) -> tuple[Review, ...]:
    """Every review in order; a corrupt line raises ``ResultsError`` naming it (a review
    is a person's decision: it is never silently dropped)."""
    path = directory / REVIEWS_NAME
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"cannot read: {exc}") from None
    out: list[Review] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            out.append(Review.from_dict(data))
        except (ValueError, KeyError) as exc:
            raise ResultsError(f"line {number} is not a review ({exc})") from None
    return tuple(out)


def reviewed_scores(reviews: Sequence[Review]) -> dict[str, tuple[float, Review]]:
    """Competency id -> (the latest reviewer score, the review that gave it)."""
    latest: dict[str, tuple[float, Review]] = {}
    for review in reviews:
        for competency, value in review.scores.items():
            latest[competency] = (value, review)
    return latest
