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

from mockflow.results.durable import ResultsError
from mockflow.results.files import (
    SkippedLine,
    append_line_durable,
    iso,
    parse_jsonl_numbered,
)

REVIEWS_NAME = "reviews.jsonl"
REVIEW_FORMAT = 1
MAX_NOTE = 20_000
MAX_REVIEWER = 200


class ReviewError(ResultsError):
    """A review can't be recorded as given (unknown competency, score off the scale...)."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """A review flag a reviewer has looked at: a question's flags (``flag`` None: all of
    them) or one flag by name."""

    question: int
    flag: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "flag": self.flag}

    def covers(self, number: int, flag: str) -> bool:
        return self.question == number and (self.flag is None or self.flag == flag)


@dataclass(frozen=True, slots=True)
class Review:
    id: str
    at: str
    reviewer: str | None
    scores: Mapping[str, float] = field(default_factory=dict)  # competency id -> score
    note: str | None = None
    questions: Mapping[int, float] = field(default_factory=dict)  # question number -> raw
    resolved: tuple[Resolution, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": REVIEW_FORMAT, "id": self.id, "at": self.at,
                                "reviewer": self.reviewer, "scores": dict(self.scores),
                                "note": self.note}
        if self.questions:
            data["questions"] = {str(n): v for n, v in sorted(self.questions.items())}
        if self.resolved:
            data["resolved"] = [r.to_dict() for r in self.resolved]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Review:
        scores = data.get("scores") or {}
        if not isinstance(scores, Mapping) or not all(
                isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
                for k, v in scores.items()):
            raise ValueError("scores must map competency ids to numbers")
        questions = data.get("questions") or {}
        if not isinstance(questions, Mapping) or not all(
                isinstance(k, str) and k.isdigit() and isinstance(v, int | float)
                and not isinstance(v, bool) for k, v in questions.items()):
            raise ValueError("questions must map question numbers to numbers")
        resolved = data.get("resolved") or []
        if not isinstance(resolved, list) or not all(
                isinstance(r, Mapping) and isinstance(r.get("question"), int)
                and (r.get("flag") is None or isinstance(r.get("flag"), str))
                for r in resolved):
            raise ValueError("resolved must list {question, flag} entries")
        reviewer, note = data.get("reviewer"), data.get("note")
        if not isinstance(data.get("id"), str) or not isinstance(data.get("at"), str):
            raise ValueError("id and at must be strings")
        if reviewer is not None and not isinstance(reviewer, str):
            raise ValueError("reviewer must be a string")
        if note is not None and not isinstance(note, str):
            raise ValueError("note must be a string")
        return cls(data["id"], data["at"], reviewer, dict(scores), note,
                   {int(k): float(v) for k, v in questions.items()},
                   tuple(Resolution(int(r["question"]), r.get("flag")) for r in resolved))


def parse_score(text: str, *, option: str = "--score") -> tuple[str, float]:
    """``COMPETENCY=N`` (or, for ``--question``, ``QUESTION=N``) as given on the command
    line."""
    competency, sep, value = text.partition("=")
    competency = competency.strip()
    what, example = ("COMPETENCY", "system_design=4") if option == "--score" else (
        "QUESTION", "3=4 or sd-cache=4")
    if not sep or not competency:
        raise ReviewError(f"{option} '{text}' is not {what}=N (e.g. {option} {example})")
    try:
        number = float(value.strip()) if len(value.strip()) <= 32 else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ReviewError(f"{option} '{text}': '{value.strip()}' is not a number")
    return competency, number


def _question_number(scorecard: Mapping[str, Any], ref: str, option: str) -> int:
    """A question of this session by number ("3") or id ("sd-cache")."""
    questions = [q for q in scorecard.get("questions", []) if isinstance(q, Mapping)]
    for q in questions:
        if str(q.get("number")) == ref.strip() or str(q.get("id")) == ref.strip():
            return int(q["number"])
    asked = ", ".join(f"{q.get('number')} ({q.get('id')})" for q in questions) or "none"
    raise ReviewError(f"{option} '{ref}': no such question in this session (asked: {asked})")


def parse_resolution(scorecard: Mapping[str, Any], text: str) -> Resolution:
    """``--resolve Q`` (every flag of question Q) or ``--resolve Q:FLAG``; Q is a number or
    a question id, FLAG a flag's name as the report shows it."""
    ref, _, flag = text.partition(":")
    number = _question_number(scorecard, ref, "--resolve")
    flag = flag.strip()
    if not flag:
        return Resolution(number)
    q = next(q for q in scorecard["questions"] if q.get("number") == number)
    names = sorted({str(f.get("flag")) for f in q.get("review") or [] if isinstance(f, Mapping)})
    if flag not in names:
        raise ReviewError(f"--resolve '{text}': question {number} has no flag '{flag}'"
                          f" (its flags: {', '.join(names) or 'none'})")
    return Resolution(number, flag)


def make_review(scorecard: Mapping[str, Any], scores: Sequence[tuple[str, float]],
                note: str | None, reviewer: str | None, *, now: float | None = None,
                questions: Sequence[tuple[str, float]] = (),
                resolve: Sequence[str] = ()) -> Review:
    """Check a review against the session's scorecard: known competencies and questions
    (by number or id), scores on the scale, flags that exist; resolving a flag needs a
    note saying why."""
    known = {str(c.get("id")): c for c in scorecard.get("competencies", [])
             if isinstance(c, Mapping)}
    scale = scorecard.get("scale") or {}
    low, high = scale.get("min"), scale.get("max")

    def on_scale(value: float, what: str) -> None:
        if isinstance(low, int | float) and isinstance(high, int | float) and not (
                low <= value <= high):
            raise ReviewError(f"score {value:g} for {what} is off the scale {low:g}-{high:g}")

    out: dict[str, float] = {}
    for competency, value in scores:
        if competency not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ReviewError(f"unknown competency '{competency}' (this session's"
                              f" competencies: {names})")
        on_scale(value, f"'{competency}'")
        if competency in out:
            raise ReviewError(f"'{competency}' is scored twice in one review")
        out[competency] = value
    per_question: dict[int, float] = {}
    for ref, value in questions:
        number = _question_number(scorecard, ref, "--question")
        on_scale(value, f"question {number}")
        if number in per_question:
            raise ReviewError(f"question {number} is scored twice in one review")
        per_question[number] = value
    resolved = tuple(parse_resolution(scorecard, r) for r in resolve)
    if resolved and not (note and note.strip()):
        raise ReviewError("resolving a flag needs a --note saying why (what you read and"
                          " what you decided)")
    if not out and not per_question and not resolved and not (note and note.strip()):
        raise ReviewError("a review needs at least one --score, --question, --resolve or a"
                          " --note")
    if note is not None and len(note) > MAX_NOTE:
        raise ReviewError(f"the note is {len(note)} characters; the limit is {MAX_NOTE}")
    if reviewer is not None and len(reviewer) > MAX_REVIEWER:
        raise ReviewError(f"the reviewer name is longer than {MAX_REVIEWER} characters")
    stamp = time.time() if now is None else now
    return Review(f"rv-{secrets.token_hex(6)}", iso(stamp), reviewer, out, note,
                  per_question, resolved)


def append_review(directory: Path, review: Review) -> Path:
    path = directory / REVIEWS_NAME
    append_line_durable(path, json.dumps(review.to_dict(), ensure_ascii=False,
                                         sort_keys=True))
    return path


def read_reviews_report(directory: Path) -> tuple[tuple[Review, ...], list[SkippedLine]]:
    """Every review in order, and the lines that are not reviews (a torn line left by a
    crash or a full disk mid-write, a damaged one): those are skipped and named, never
    silently dropped and never allowed to hide the reviews after them. Raises
    ``ResultsError`` only when the file can't be read at all."""
    path = directory / REVIEWS_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return (), []
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from None
    records, skipped = parse_jsonl_numbered(data)
    out: list[Review] = []
    for number, record in records:
        try:
            out.append(Review.from_dict(record))
        except (ValueError, KeyError) as exc:
            skipped.append(SkippedLine(number, f"not a review ({exc})"))
    return tuple(out), sorted(skipped, key=lambda s: s.line)


def read_reviews(directory: Path) -> tuple[Review, ...]:
    """Every readable review in order (see ``read_reviews_report``)."""
    return read_reviews_report(directory)[0]


def reviewed_scores(reviews: Sequence[Review]) -> dict[str, tuple[float, Review]]:
    """Competency id -> (the latest reviewer score, the review that gave it)."""
    latest: dict[str, tuple[float, Review]] = {}
    for review in reviews:
        for competency, value in review.scores.items():
            latest[competency] = (value, review)
    return latest
