"""The list rule, general (issue 26): a list of terms joined by commas, "and", "or",
bullets or line breaks, with no claim, reason or action, scores the minimum whatever the
joiners, with or without a one-verb wrapper ("I'd use X, Y and Z"), on every question of
every shipped interview and on the same interviews without their examples (key points
only: before, "X and Y and Z" scored 5/5 there). Real answers never trip it."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from conftest import INTERVIEWS, ROOT

from mockflow.format.model import Examples, Interview, Question
from mockflow.format.validate import load_interview
from mockflow.scoring.base import AnsweredQuestion, Rubric
from mockflow.scoring.offline import OfflineScorer

_LOADED = {p.name: load_interview(p).interview for p in INTERVIEWS}
# the same interviews without their examples: key points only
_BARE = {iv.id: tuple(replace(x, examples=Examples()) for x in iv.questions)
         for iv in _LOADED.values()}
_SCORER = OfflineScorer()
LIST = "a bare list of terms"


def shapes(q: Question) -> dict[str, str]:
    t = [kp.phrases[0] for kp in q.key_points]
    last = [kp.phrases[-1] for kp in q.key_points]
    head, tail = ", ".join(t[:-1]), t[-1]
    return {
        "commas": ", ".join(t) + ".",
        "X and Y and Z": " and ".join(t) + ".",
        "X, Y and Z": f"{head} and {tail}.",
        "X, Y, and Z": f"{head}, and {tail}.",
        "X or Y or Z": " or ".join(t),
        "other phrasings": ", ".join(last[:-1]) + " and " + last[-1],
        "X plus Y": " plus ".join(t) + ".",
        "bullets": "\n".join(f"- {x}" for x in t),
        "numbered": "\n".join(f"{i}. {x}" for i, x in enumerate(t, 1)),
        "I'd use X, Y and Z": f"I'd use {head} and {tail}.",
        "I would think about": f"I would think about {head}, and {tail}.",
        "you need": f"You need {head} and {tail}, basically.",
        "labelled": "My answer: " + " and ".join(t) + ".",
        "two sentences": f"I'd use {' and '.join(t[:2])}. Also {', '.join(t[2:] or t[:1])}.",
        "padded": f"{head} and {tail}. Those are the things I would think about here, yes.",
    }


def _cases() -> list[tuple[Interview, Question]]:
    return [(iv, q) for iv in _LOADED.values() for q in iv.questions if len(q.key_points) >= 2]


def _score(iv: Interview, q: Question, text: str, questions: tuple[Question, ...]
           ) -> tuple[float | None, str]:
    result = _SCORER.score(AnsweredQuestion.of(q, [text]),
                                   Rubric(iv.competency(q.competency), iv.scale, questions))
    return result.score, result.rationale


@pytest.mark.parametrize(("iv", "q"), _cases(), ids=lambda x: getattr(x, "id", ""))
def test_every_list_shape_scores_the_minimum(iv: Interview, q: Question) -> None:
    bare = _BARE[iv.id]
    plain = next(x for x in bare if x.id == q.id)
    for name, text in shapes(q).items():
        for questions, which in ((iv.questions, q), (bare, plain)):
            score, why = _score(iv, which, text, questions)
            assert score == iv.scale.min, (name, text, why)


def test_real_answers_never_trip_it() -> None:
    texts: list[tuple[Interview, Question, str]] = []
    for path in [*sorted((ROOT / "tests" / "calibration").glob("*.yaml")),
                 *sorted((ROOT / "tests" / "calibration" / "holdout").glob("*.yaml"))]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        iv = next(i for i in _LOADED.values() if i.id == data["interview"])
        texts += [(iv, iv.question(a["question"]), a["answer"]) for a in data["answers"]]
    for iv in _LOADED.values():
        texts += [(iv, q, t) for q in iv.questions
                  for t in (q.examples.strong, q.examples.average, q.examples.weak) if t]
    assert len(texts) > 450
    caught = [(q.id, t[:60]) for iv, q, t in texts
              if LIST in _score(iv, q, t, iv.questions)[1]]
    assert caught == []


@pytest.mark.parametrize("text", [
    "I'd add an index on the email column and check the query plan with EXPLAIN.",
    "We cut some scope and shipped a bit late, which the customer was fine with.",
    "I'd check the logs, the metrics and the recent deploys, because the errors started"
    " right after the release and that's the cheapest thing to rule out.",
])
def test_sentences_with_a_claim_or_reason_are_not_lists(text: str) -> None:
    iv = _LOADED["backend.yaml"]
    q = iv.question("dbg-500s")
    assert LIST not in _score(iv, q, text, iv.questions)[1]
