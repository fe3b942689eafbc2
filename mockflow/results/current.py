"""A session's scores as they stand now: the newest scorecard version with the reviews
applied. The one place that decides it.

``rescore`` adds ``scorecard.v2.json``, ``v3`` … beside ``scorecard.json`` (never
overwriting), and ``review`` appends to ``reviews.jsonl`` (never changing a scorecard).
Every view of a session -- the ``sessions`` index, ``report``, every webhook payload
(``session.ended``, ``session.reviewed``, ``session.rescored``) -- takes its scores from
``apply_reviews`` (or ``read_current``, which reads the files first), so no two views can
disagree about which version counts or how a reviewer's score changes the overall.

Reviews apply per question and per competency (``reviewed_card``): a question a reviewer
overrode counts the reviewer's raw score with the question's own level adjustment and
hint penalty; a competency takes the latest reviewer score given to it, else the mean of
its counted questions with the overrides; the reviewed overall is the weighted mean over
the competencies with those (rounded to two decimals), and ``None`` while no review
changes a score. A flag a reviewer resolved carries who, when and the note.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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


def fmt_when(stamp: Any) -> str:
    """An ISO time as people read it ('2026-12-06 19:52 UTC')."""
    if not isinstance(stamp, str):
        return "unknown"
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return when.strftime("%Y-%m-%d %H:%M UTC")


def who_said(what: str, by: Mapping[str, Any]) -> str:
    """'<what> by <reviewer>, <when>: <note>' for a review's mark on a score or flag."""
    note = f": {by['note']}" if isinstance(by.get("note"), str) and by["note"] else ""
    return f"{what} by {by.get('reviewer') or 'a reviewer'}, {fmt_when(by.get('at'))}{note}"


def flag_text(flag: Any) -> str:
    """A review flag as one line, whatever shape the scorer gave it: its name, then why
    (a flag of the scorecard's top-level list also names its question), and who resolved
    it."""
    if isinstance(flag, str):
        return flag
    if isinstance(flag, Mapping):
        parts = [str(flag[k]) for k in ("flag", "code", "kind", "reason", "message", "detail")
                 if isinstance(flag.get(k), str | int | float)]
        if parts:
            where = ""
            if isinstance(flag.get("number"), int):
                where = f"question {flag['number']}"
                if isinstance(flag.get("question"), str):
                    where += f" ({flag['question']})"
                where += ": "
            done = flag.get("resolved")
            resolved = who_said(" (resolved", done) + ")" if isinstance(done, Mapping) else ""
            return where + ": ".join(parts) + resolved
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
    card: Mapping[str, Any]  # ... with the reviews applied (``reviewed_card``)
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
    card = reviewed_card(scorecard, reviews)
    by_id = {r.id: r for r in reviews}
    comps: list[CompetencyScore] = []
    for c in card.get("competencies") or []:
        if not isinstance(c, Mapping) or not isinstance(c.get("id"), str):
            continue
        given = c.get("reviewed") if isinstance(c.get("reviewed"), Mapping) else None
        comps.append(CompetencyScore(
            id=c["id"], name=str(c.get("name") or c["id"]), weight=_num(c.get("weight")),
            score=_num(c.get("score")),
            reviewed=None if given is None else _num(given.get("score")),
            review=None if given is None else by_id.get(str(given.get("review")))))
    overall = scorecard.get("overall")
    return CurrentScorecard(
        scorecard=scorecard, card=card, version=version, path=path, reviews=tuple(reviews),
        competencies=tuple(comps),
        overall=_num(overall.get("score")) if isinstance(overall, Mapping) else None,
        reviewed_overall=_num(card.get("reviewed_overall")), flags=scorecard_flags(card),
        skipped_reviews=tuple(skipped_reviews))


def scorecard_flags(scorecard: Mapping[str, Any]) -> tuple[str, ...]:
    """The scorer's review flags, each once and naming its question ("question 3
    (sd-cache): no quotes: ..."): the session's list, then each question's own flags that
    the session's list doesn't repeat."""
    top = scorecard.get("review")
    flags: list[str] = []
    seen: set[tuple[Any, Any, Any]] = set()
    for f in top if isinstance(top, list) else []:
        if isinstance(f, Mapping):
            seen.add((f.get("number"), f.get("flag"), f.get("detail")))
        flags.append(flag_text(f))
    for q in scorecard.get("questions") or []:
        if isinstance(q, Mapping) and isinstance(q.get("review"), list):
            flags += [f"question {q.get('number')} ({q.get('id')}): {flag_text(f)}"
                      for f in q["review"] if not (isinstance(f, Mapping) and (
                          q.get("number"), f.get("flag"), f.get("detail")) in seen)]
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


def _who(review: Review) -> dict[str, Any]:
    return {"review": review.id, "reviewer": review.reviewer or "a reviewer", "at": review.at,
            "note": review.note}


def reviewed_card(scorecard: Mapping[str, Any], reviews: Sequence[Review]) -> dict[str, Any]:
    """The scorecard with the reviews applied (a copy: the scorecard itself is never
    changed); ``apply_reviews`` builds every view from it.

    - a question overridden by a reviewer gets ``reviewed``: the reviewer's raw score, the
      counted score (with the question's level adjustment and hint penalty, on the scale),
      who, when and why (the latest review that scores it wins);
    - every review flag a reviewer resolved gets ``resolved``: who, when and the note (in
      the question's list and in the scorecard's top-level list);
    - a competency gets ``reviewed``: the reviewer's competency score when one was given
      (the latest), else the mean of its counted questions with the question overrides, when
      any of its questions was overridden; ``reviewed_overall`` is the weighted mean with
      those (null when no review changes a score).
    """
    card: dict[str, Any] = json.loads(json.dumps(scorecard))
    scale = card.get("scale") or {}
    low = float(scale.get("min", 1))
    high = float(scale.get("max", 5))
    overrides: dict[int, tuple[float, Review]] = {}
    for review in reviews:
        for number, value in review.questions.items():
            overrides[number] = (value, review)
    questions = [q for q in card.get("questions", []) if isinstance(q, dict)]
    counted: dict[int, float] = {}
    for q in questions:
        if not isinstance(q.get("number"), int):
            continue
        number = int(q["number"])
        for flag in q.get("review") or []:
            for review in reviews:
                if isinstance(flag, dict) and any(r.covers(number, str(flag.get("flag")))
                                                  for r in review.resolved):
                    flag["resolved"] = _who(review)
        if number in overrides:
            value, review = overrides[number]
            adjustment = float(q.get("adjustment") or 0.0)
            penalty = float(q.get("hint_penalty") or 0.0)
            score = min(high, max(low, value + adjustment - penalty))
            counted[number] = score
            q["reviewed"] = {"raw_score": value, "score": round(score, 2), **_who(review)}
    for flag in card.get("review") or []:
        if not isinstance(flag, dict):
            continue
        for review in reviews:
            if any(r.covers(int(flag.get("number", 0)), str(flag.get("flag")))
                   for r in review.resolved):
                flag["resolved"] = _who(review)
    given = reviewed_scores(reviews)
    changed = False
    for comp in card.get("competencies") or []:
        if not isinstance(comp, dict):
            continue
        cid = comp.get("id")
        mine = [q for q in questions if q.get("competency") == cid and q.get("score") is not None]
        if cid in given:
            value, review = given[cid]
            comp["reviewed"] = {"score": value, "basis": "competency score", **_who(review)}
            changed = True
        elif any(q.get("number") in counted for q in mine):
            values = [counted.get(q["number"], float(q["score"])) for q in mine]
            last = max((overrides[q["number"]][1] for q in mine if q["number"] in overrides),
                       key=lambda r: r.at)
            comp["reviewed"] = {"score": round(sum(values) / len(values), 2),
                                "basis": "question scores", **_who(last)}
            changed = True
    overall = None
    if changed:
        raw = [((c.get("reviewed") or {}).get("score", c.get("score")),
                float(c.get("weight") or 0.0)) for c in card.get("competencies") or []
               if isinstance(c, dict)]
        pairs = [(float(s), w) for s, w in raw if s is not None and w > 0]
        if pairs:
            overall = round(sum(s * w for s, w in pairs) / sum(w for _, w in pairs), 2)
    card["reviewed_overall"] = overall
    card["reviews"] = [r.to_dict() for r in reviews]
    return card
