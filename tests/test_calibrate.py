"""``mockflow calibrate`` and ``mockflow.scoring.calibration``: answers files, statistics."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT

from mockflow.format.errors import InputError
from mockflow.format.validate import load_interview
from mockflow.scoring.calibration import (
    CalibrationFileError,
    HandScore,
    Scored,
    agreement,
    calibrate,
    exact,
    load_answers,
    mae,
    parse_answers,
    qwk,
    violations,
)
from mockflow.scoring.offline import OFFLINE

BACKEND = ROOT / "interviews" / "backend.yaml"
BACKEND_ANSWERS = ROOT / "tests" / "calibration" / "backend-engineer.yaml"
IV = load_interview(BACKEND).interview


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockflow", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def parse(text: str) -> list[str]:
    """The located problems of an answers file, as printed."""
    with pytest.raises(CalibrationFileError) as info:
        parse_answers(textwrap.dedent(text).encode(), IV, "a.yaml")
    return info.value.lines()


# --------------------------------------------------------------------------- the file


def test_the_shipped_calibration_files_load() -> None:
    loaded = load_answers(BACKEND_ANSWERS, IV)
    assert loaded.interview == "backend-engineer" and len(loaded.answers) == 56
    first = loaded.answers[0]
    assert first.question == "warmup-project" and first.kind == "rambling"
    assert 1 <= first.score <= 5 and first.answer and first.reason


def test_a_minimal_file_needs_only_question_score_and_answer() -> None:
    loaded = parse_answers(b"interview: backend-engineer\nanswers:\n"
                           b"  - {question: sd-cache, score: 3, answer: I'd add a TTL.}\n",
                           IV, "a.yaml")
    assert loaded.answers == (HandScore("sd-cache", 3, "I'd add a TTL."),)


@pytest.mark.parametrize(("text", "expected"), [
    ("""\
     interview: backend-engineer
     answer:
       - {question: sd-cache, score: 3, answer: x}
     """, ["a.yaml:1:1: error: 'answers' must be a list of {question, score, answer}"
           " entries, at least one",
           "a.yaml:2:1: error: unknown key 'answer'; did you mean 'answers'?"]),
    ("""\
     interview: frontend-engineer
     answers:
       - {question: sd-cache, score: 3, answer: x}
     """, ["a.yaml:1:12: error: these answers are for interview 'frontend-engineer', but the"
           " interview given is 'backend-engineer'; pass the matching interview file"]),
    ("""\
     answers:
       - {question: sd-cache, score: 3, answer: x}
     """, ["a.yaml:1:1: error: 'interview' must name the interview's id"
           " ('backend-engineer')"]),
    ("""\
     interview: backend-engineer
     answers:
       - {question: sd-cahce, score: 3, answer: x}
     """, ["a.yaml:3:16: error: answer 1 refers to unknown question 'sd-cahce' of interview"
           " 'backend-engineer'; did you mean 'sd-cache'?"]),
    ("""\
     interview: backend-engineer
     answers:
       - {question: sd-cache, score: 7, answer: x}
       - {question: sd-cache, score: 2.5, answer: x}
       - {question: sd-cache, score: true, answer: x}
     """, ["a.yaml:3:33: error: answer 1 has score 7; a hand score is a whole number from 1"
           " to 5",
           "a.yaml:4:33: error: answer 2 has score 2.5; a hand score is a whole number from 1"
           " to 5",
           "a.yaml:5:33: error: answer 3 has score True; a hand score is a whole number from 1"
           " to 5"]),
    ("""\
     interview: backend-engineer
     answers:
       - {question: sd-cache, score: 3, answer: '  '}
       - {question: sd-cache, score: 3}
       - {question: sd-cache, score: 3, answer: x, knd: strong}
       - {question: sd-cache, score: 3, answer: x, kind: [strong]}
       - just text
     """, ["a.yaml:3:44: error: answer 1 has no text; write what the candidate said",
           "a.yaml:4:5: error: answer 2 has no 'answer'",
           "a.yaml:5:47: error: unknown key 'knd' in answer 3; did you mean 'kind'?",
           "a.yaml:6:53: error: answer 4: 'kind' must be text",
           "a.yaml:7:5: error: answer 5 must be a mapping with question, score and answer"]),
    ("- a list\n", ["a.yaml:1:1: error: an answers file is a mapping with 'interview' and"
                    " 'answers'"]),
    ("interview: [unclosed\n", None),
])
def test_every_problem_is_located_and_says_the_fix(text: str, expected: list[str] | None
                                                    ) -> None:
    lines = parse(text)
    if expected is None:  # a YAML syntax error, from the interview loader's reader
        assert len(lines) == 1 and lines[0].startswith("a.yaml:1:")
    else:
        assert lines == expected


def test_an_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_answers(tmp_path / "missing.yaml", IV)


# --------------------------------------------------------------------------- statistics


def hand(question: str, score: int) -> HandScore:
    return HandScore(question, score, "an answer")


def test_statistics_on_known_values() -> None:
    gold, got = [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]
    assert exact(gold, got) == 1 and mae(gold, got) == 0 and qwk(gold, got, 1, 5) == 1
    assert mae([1, 5], [2, 3]) == 1.5
    assert exact([1, 5], [1, 3]) == 0.5
    # kappa: a constant scorer agrees no better than chance
    assert qwk([1, 2, 3, 4, 5], [3, 3, 3, 3, 3], 1, 5) == pytest.approx(0.0)
    # reversed ratings: strongly negative
    assert qwk([1, 2, 4, 5], [5, 4, 2, 1], 1, 5) < -0.5
    assert math.isnan(qwk([3, 3], [3, 3], 1, 5))
    items = [Scored(hand("q", g), "c", float(p), None) for g, p in zip(gold, got, strict=True)]
    a = agreement(items, 1, 5)
    assert (a.n, a.exact, a.within_one, a.mae, a.spearman, a.qwk) == (5, 1, 1, 0, 1, 1)


def test_ordering_violations_are_per_question() -> None:
    items = [Scored(hand("a", 5), "c", 2.0, None), Scored(hand("a", 3), "c", 3.0, None),
             Scored(hand("b", 1), "c", 4.0, None), Scored(hand("a", 3), "c", 2.0, None)]
    found = violations(items)
    assert [(v.question, v.higher.hand.score, v.lower.hand.score) for v in found] == \
        [("a", 5, 3)]


def test_calibrate_scores_like_an_interview() -> None:
    """Every answer is scored as the candidate's one turn to the question as written, and
    through the evidence gate: quotes are verbatim, not-observed counts as the minimum."""
    answers = load_answers(BACKEND_ANSWERS, IV)
    result = calibrate(IV, [answers], OFFLINE)
    assert result.overall.n == 56 and result.judge == "offline"
    assert {name for name, _ in result.by_kind} >= {"rambling", "wrong", "plain-words"}
    assert {name for name, _ in result.by_competency} <= {c.id for c in IV.competencies}
    for s in result.items:
        assert IV.scale.min <= s.score <= IV.scale.max
        if s.result is not None:
            assert all(quote in s.hand.answer for quote in s.result.evidence)


# --------------------------------------------------------------------------- the command


def test_the_command_reports_agreement_as_text() -> None:
    done = cli("calibrate", str(BACKEND), str(BACKEND_ANSWERS))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("backend-engineer: 56 answers from 1 file, judge offline\n")
    for part in ("within one", "Spearman", "QWK", "per competency:", "per kind:",
                 "  plain-words", "ordering (a higher hand score scored lower", "bias ",
                 "flag recall", "flagged for review:", "needs a human read: "):
        assert part in done.stdout


def test_the_command_prints_the_documented_json() -> None:
    done = cli("calibrate", str(BACKEND), str(BACKEND_ANSWERS), "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert list(data) == ["interview", "judge", "n", "exact", "within_one", "mae", "spearman",
                          "qwk", "bias", "flag_rate", "flag_recall", "off_by_two", "per_kind",
                          "answers"]
    assert data["interview"] == "backend-engineer" and data["judge"] == "offline"
    assert data["n"] == len(data["answers"]) == 56
    assert all(list(a) == ["question", "kind", "expected", "score", "confidence", "flags",
                           "evidence", "rationale"] for a in data["answers"])
    assert 0 <= data["within_one"] <= 1
    answers = data["answers"]
    # the figures are what the per-answer flags say
    far = [a for a in answers if abs(a["score"] - a["expected"]) >= 2]
    assert data["off_by_two"] == len(far) > 0
    assert data["flag_rate"] == round(sum(bool(a["flags"]) for a in answers) / len(answers), 3)
    assert data["flag_recall"] == round(sum(bool(a["flags"]) for a in far) / len(far), 3)
    assert data["bias"] == round(sum(a["score"] - a["expected"] for a in answers)
                                 / len(answers), 3)
    assert set(data["per_kind"]) == {a["kind"] for a in answers}
    assert all({"n", "exact", "bias", "flag_rate", "flag_recall"} <= set(k)
               for k in data["per_kind"].values())
    for a in answers:
        assert 0 <= a["confidence"] <= 1
        reads = [f for f in a["flags"] if f["flag"] == "needs a human read"]
        assert (a["confidence"] <= 0.5) == bool(reads), a


def test_min_within_one_fails_the_run_only_when_missed() -> None:
    assert cli("calibrate", str(BACKEND), str(BACKEND_ANSWERS),
               "--min-within-one", "0.5").returncode == 0
    missed = cli("calibrate", str(BACKEND), str(BACKEND_ANSWERS), "--min-within-one", "1")
    assert missed.returncode == 1
    assert "is below --min-within-one 1" in missed.stderr


def test_the_llm_judge_without_a_key_is_a_usage_error_naming_the_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run([sys.executable, "-m", "mockflow", "calibrate", str(BACKEND),
                           str(BACKEND_ANSWERS), "--judge", "llm"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert "an LLM judge needs an API key: set OPENAI_API_KEY" in done.stderr
    assert "--judge-base-url" in done.stderr
    flags = cli("calibrate", str(BACKEND), str(BACKEND_ANSWERS), "--judge-model", "m")
    assert flags.returncode == 2
    assert "--judge-model and --judge-base-url need --judge llm" in flags.stderr


def test_calibrate_runs_the_llm_judge_against_an_openai_compatible_endpoint() -> None:
    """--judge llm through the real openai client, against the competent fake judge on
    loopback (it scores by the reference answers): the same figures, judged by the model."""
    from mockflow.testing.judges import competent_judge
    from mockflow.testing.thread import serve_in_thread

    with serve_in_thread(competent_judge) as server:
        done = cli("calibrate", str(BACKEND), str(BACKEND_ANSWERS), "--judge", "llm",
                   "--judge-model", "fake-judge", "--judge-base-url", server.base_url,
                   "--format", "json")
        requests = len(server.requests)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["judge"] == "judge:fake-judge" and data["n"] == 56
    assert requests >= 56  # one judge request per answer (and a retry where needed)
    assert all(a["score"] is not None for a in data["answers"])


def test_a_bad_answers_file_exits_2_with_located_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("interview: backend-engineer\nanswers:\n"
                   "  - {question: nope, score: 3, answer: x}\n", encoding="utf-8")
    done = cli("calibrate", str(BACKEND), str(bad))
    assert done.returncode == 2 and done.stdout == ""
    assert f"{bad}:3:16: error: answer 1 refers to unknown question 'nope'" in done.stderr
    missing = cli("calibrate", str(BACKEND), str(tmp_path / "none.yaml"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
