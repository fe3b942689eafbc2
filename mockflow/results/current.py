"""A session's scores as they stand now: the newest scorecard version with the reviews
applied. The one place that decides it.

``rescore`` adds ``scorecard.v2.json``, ``v3`` … beside ``scorecard.json`` (never
overwriting), and ``review`` appends to ``reviews.jsonl`` (never changing a scorecard).
Every view of a session -- the ``sessions`` index, ``report``, every webhook payload
(``session.ended``, ``session.reviewed``, ``session.rescored``) -- takes its scores from
``apply_reviews`` (or ``read_current``, which reads the files first), so no two views can
disagree about which version counts or how a reviewer's score changes the overall.

Reviews apply per competency: the latest review that scores a competency gives its
reviewed score; the reviewed overall is the weighted mean over the competencies, each
with its reviewed score where there is one and the machine's otherwise (rounded to two
decimals), and ``None`` while no reviewer has scored anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockflow.results import safe_json
from mockflow.results.durable import ResultsError
from mockflow.results.files import SCORECARD_NAME, SkippedLine, scorecard_versions
from mockflow.results.reviews import Review, read_reviews_report, reviewed_scores


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def flag_text(flag: Any) -> str:
    """A review flag as one line, whatever shape the scorer gave it."""
    if isinstance(flag, str):
        return flag
    if isinstance(flag, Mapping):
        parts = [str(flag[k]) for k in ("code", "kind", "reason", "message", "detail")
                 if isinstance(flag.get(k), str | int | float)]
        if parts:
            return ": ".join(parts)
    return str(flag)


@dataclass(frozen=True, slots=True)
class CompetencyScore:
    id: str
    name: str
    weight: float | None
    score: float | None  # the machine's, from the current scorecard version
    reviewed: float | None  # the latest reviewer score, if a reviewer gave one
    review: Review | None  # the review that gave it

    @property
    def reviewer(self) -> str | None:
        if self.review is None:
            return None
        return self.review.reviewer or "a reviewer"

    @property
    def effective(self) -> float | None:
        """The score that counts now: the reviewer's, else the machine's."""
        return self.reviewed if self.reviewed is not None else self.score


@dataclass(frozen=True, slots=True)
class CurrentScorecard:
    scorecard: Mapping[str, Any]  # the current version's content
    version: int  # 1 for scorecard.json, N for scorecard.vN.json
    path: Path | None
    reviews: tuple[Review, ...]
    competencies: tuple[CompetencyScore, ...]
    overall: float | None  # the machine's overall (current version)
    reviewed_overall: float | None  # with reviewer scores applied; None without any
    flags: tuple[str, ...]  # the scorer's review flags, session-level first
    skipped_reviews: tuple[SkippedLine, ...] = ()  # reviews.jsonl lines that are not reviews

    def reviewed(self, competency: str) -> float | None:
        found = next((c for c in self.competencies if c.id == competency), None)
        return None if found is None else found.reviewed


def apply_reviews(scorecard: Mapping[str, Any], reviews: Sequence[Review], *,
                  version: int = 1, path: Path | None = None,
                  skipped_reviews: Sequence[SkippedLine] = ()) -> CurrentScorecard:
    """The scores that stand: ``scorecard`` (the current version) with ``reviews``."""
    latest = reviewed_scores(reviews)
    comps: list[CompetencyScore] = []
    for c in scorecard.get("competencies") or []:
        if not isinstance(c, Mapping) or not isinstance(c.get("id"), str):
            continue
        given = latest.get(c["id"])
        comps.append(CompetencyScore(
            id=c["id"], name=str(c.get("name") or c["id"]), weight=_num(c.get("weight")),
            score=_num(c.get("score")), reviewed=None if given is None else given[0],
            review=None if given is None else given[1]))
    reviewed_overall = None
    if any(c.reviewed is not None for c in comps):
        pairs = [(c.effective, c.weight) for c in comps
                 if c.effective is not None and c.weight is not None and c.weight > 0]
        if pairs:
            reviewed_overall = round(sum(s * w for s, w in pairs if s is not None)
                                     / sum(w for _, w in pairs), 2)
    overall = scorecard.get("overall")
    return CurrentScorecard(
        scorecard=scorecard, version=version, path=path, reviews=tuple(reviews),
        competencies=tuple(comps),
        overall=_num(overall.get("score")) if isinstance(overall, Mapping) else None,
        reviewed_overall=reviewed_overall, flags=scorecard_flags(scorecard),
        skipped_reviews=tuple(skipped_reviews))


def scorecard_flags(scorecard: Mapping[str, Any]) -> tuple[str, ...]:
    """The scorer's review flags: the session's, then each question's (``question N: …``)."""
    top = scorecard.get("review")
    flags = [flag_text(f) for f in top] if isinstance(top, list) else []
    for q in scorecard.get("questions") or []:
        if isinstance(q, Mapping) and isinstance(q.get("review"), list):
            flags += [f"question {q.get('number')}: {flag_text(f)}" for f in q["review"]]
    return tuple(flags)


def current_path(directory: Path) -> tuple[int, Path]:
    """The current scorecard version of a session directory and its file (the newest
    version; ``scorecard.json`` as version 1 when there is none yet)."""
    found = scorecard_versions(directory)
    return found[-1] if found else (1, directory / SCORECARD_NAME)


def read_current(directory: Path) -> CurrentScorecard:
    """Read the current scorecard version and the reviews of a session directory.
    Raises ``ResultsError`` naming the file if the scorecard is missing or damaged."""
    version, path = current_path(directory)
    try:
        data = safe_json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ResultsError(f"{path.name} missing") from None
    except OSError as exc:
        raise ResultsError(f"{path.name} unreadable ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ResultsError(f"{path.name} is damaged ({_short(exc)})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path.name} is not a JSON object")
    reviews, skipped = read_reviews_report(directory)
    return apply_reviews(data, reviews, version=version, path=path, skipped_reviews=skipped)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:119] + "…"
