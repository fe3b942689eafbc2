"""Offline scorer v2: the reference-answer component, own words, no circular scoring."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml
from conftest import INTERVIEWS, ROOT

from mockflow.format.model import Examples, Interview, Question
from mockflow.format.validate import load_interview
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Rubric
from mockflow.scoring.echo import echoed, own_words_mask, said_runs
from mockflow.scoring.matching import Answer
from mockflow.scoring.offline import OFFLINE, OfflineScorer
from mockflow.scoring.reference import ReferenceSet
from mockflow.simulate.personas import GRADES, Persona, builtin, view_of

_LOADED = {p.name: load_interview(p).interview for p in INTERVIEWS}
BACKEND = _LOADED["backend.yaml"]
CALIBRATION = sorted((ROOT / "tests" / "calibration").glob("*.yaml"))


def score(iv: Interview, q: Question, *answers: str, questions: bool = True) -> QuestionScore:
    rubric = Rubric(iv.competency(q.competency), iv.scale, iv.questions if questions else ())
    return OFFLINE.score(AnsweredQuestion.of(q, list(answers)), rubric)


def test_an_answer_in_other_words_scores_above_the_key_point_count() -> None:
    """A plain-words answer (no key phrase) close to the strong example scores above the
    minimum the key points alone would give, and quotes the candidate's own sentences."""
    q = BACKEND.question("sd-cache")
    answer = ("I'd keep recent answers from the pricing service under the product and"
              " currency, and give each one a short lifespan so memory stays bounded. When"
              " the price changes, the writer sends an event and we remove that one entry"
              " right away, so nobody is shown a stale price for long. If a popular entry"
              " lapses, only one caller goes back to the pricing service while the rest wait.")
    lexical = score(BACKEND, replace(q, examples=Examples()), answer, questions=False)
    result = score(BACKEND, q, answer)
    assert lexical.score is not None and result.score is not None
    assert result.score > lexical.score
    assert "Closest to the strong example" in result.rationale
    assert result.evidence and all(quote in answer for quote in result.evidence)


def test_without_examples_it_is_key_points_only() -> None:
    q = replace(BACKEND.question("sd-cache"), examples=Examples())
    answer = ("Entries get a TTL, writes invalidate the key, and we watch for a stampede"
              " when hot keys expire at the same time.")
    result = score(BACKEND, q, answer, questions=False)
    assert result.score == 5
    assert "No example answers to compare with: key points only." in result.rationale


def test_an_answer_to_another_question_scores_the_minimum() -> None:
    cache = BACKEND.question("sd-cache")
    other = BACKEND.question("sd-webhooks").examples.strong
    assert other is not None
    result = score(BACKEND, cache, other)
    assert result.score == BACKEND.scale.min, result.rationale


def test_scores_are_deterministic_across_scorers_and_calls() -> None:
    q = BACKEND.question("sd-webhooks")
    answer = "I'd store the event with the order change and retry with growing gaps."
    a = score(BACKEND, q, answer)
    b = OfflineScorer().score(AnsweredQuestion.of(q, [answer]),
                              Rubric(BACKEND.competency(q.competency), BACKEND.scale,
                                     BACKEND.questions))
    assert a == b == score(BACKEND, q, answer)


def test_echoed_runs_are_masked_and_single_shared_words_are_not() -> None:
    answer = Answer(["To put a cache in front of the pricing service I'd add a TTL."])
    masked = echoed(answer, said_runs(["How would you put a cache in front of a slow"
                                       " pricing service?"]))
    echoed_words = {answer.words[i] for i in masked}
    assert echoed_words == {"put", "cache", "in", "front", "of"}  # "of pricing service"
    # is not a run of the question ("of a slow pricing service")
    lone = Answer(["The cache needs a TTL."])
    assert echoed(lone, said_runs(["How would you put a cache in front?"])) == frozenset()


def test_a_key_point_said_only_by_the_interviewer_earns_nothing() -> None:
    q = BACKEND.question("sd-cache")
    follow_up = q.follow_ups[0].text
    item = AnsweredQuestion(1, q, ("I'm not sure.", follow_up), (q.text, follow_up))
    result = OFFLINE.score(item, Rubric(BACKEND.competency(q.competency), BACKEND.scale,
                                        BACKEND.questions))
    assert result.score == BACKEND.scale.min
    assert result.evidence == ()


@dataclass(frozen=True, slots=True)
class _P:
    number: int | None
    question_id: str | None
    phase: str
    elapsed: float


@pytest.mark.parametrize("name", sorted(_LOADED))
def test_simulated_answers_are_never_compared_with_the_example_they_repeat(name: str) -> None:
    """No circular scoring: every persona answer, whatever its variation (fillers, swaps,
    a held-back sentence, an aside), is recognised as repeating its example, and scored
    on key points alone, exactly as if the question had no examples."""
    iv = _LOADED[name]
    view = view_of(iv)
    for grade in GRADES:
        for seed in (1, 2, 3):
            persona = Persona(builtin(grade), view, seed)
            for n, q in enumerate(iv.questions, 1):
                if not q.examples.get(grade):
                    continue
                text = persona.respond(_P(n, q.id, "question", 10.0)).text
                result = score(iv, q, text)
                assert "Not compared with the examples" in result.rationale, (q.id, text)
                alone = score(iv, replace(q, examples=Examples()), text, questions=False)
                assert result.score == alone.score


@pytest.mark.parametrize("path", CALIBRATION, ids=lambda p: p.name)
def test_independent_answers_are_never_taken_for_a_repeated_example(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    iv = next(i for i in _LOADED.values() if i.id == data["interview"])
    refs = ReferenceSet(iv.questions)
    for item in data["answers"]:
        assert refs.reproduced(item["question"], Answer([item["answer"]])) == (), item


def test_only_what_was_said_before_a_turn_can_be_echoed_in_it() -> None:
    """The follow-up "What happens to cached prices right after a price change?" comes
    after the first answer: words of that answer it happens to repeat stay the
    candidate's own; the same words in the answer to the follow-up are an echo."""
    q = BACKEND.question("sd-cache")
    follow_up = q.follow_ups[0].text
    first = "Right after a price change I'd invalidate that key."
    rubric = Rubric(BACKEND.competency(q.competency), BACKEND.scale, BACKEND.questions)
    before = OFFLINE.score(AnsweredQuestion(1, q, (first, "Nothing more."),
                                            (q.text, follow_up)), rubric)
    assert "invalidation" in before.covered
    after = OFFLINE.score(AnsweredQuestion(1, q, ("Nothing more.", first),
                                           (q.text, follow_up)), rubric)
    assert after.covered == ("invalidation",)  # the key point itself is still theirs
    masked = Answer(["Nothing more.", first])
    gone = {masked.words[i] for i in own_words_mask(masked, (q.text, follow_up), ())}
    assert gone == {"right", "after", "price", "change"}
    kept = Answer([first, "Nothing more."])
    assert own_words_mask(kept, (q.text, follow_up), ()) == frozenset()
