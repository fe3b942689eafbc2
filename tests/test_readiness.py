"""Readiness for scoring: the measured cost of missing examples (recomputed: the figures
``validate`` quotes and docs/calibration.md shows must be today's), and per question in
``mockflow test`` whether its scoring is calibrated."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.format import readiness
from mockflow.format.model import Examples
from mockflow.format.validate import load_interview
from mockflow.simulate.readiness import answer_turns, question_readiness

sys.path.insert(0, str(ROOT / "scripts"))

import measure_readiness  # noqa: E402

BACKEND = ROOT / "interviews" / "backend.yaml"
RE_MEASURE = "run .venv/bin/python scripts/measure_readiness.py --write"


@pytest.fixture(scope="module")
def measured() -> tuple[readiness.Figures, dict[tuple[str, ...], readiness.Figures]]:
    base, variants, _ = measure_readiness.measure()
    return base, variants


def test_quoted_figures_are_todays(measured: tuple[readiness.Figures,
                                                   dict[tuple[str, ...], readiness.Figures]]
                                   ) -> None:
    base, variants = measured
    assert base == readiness.WITH_EXAMPLES, f"the scorer changed: {RE_MEASURE}"
    assert variants == readiness.WITHOUT, f"the scorer changed: {RE_MEASURE}"
    assert set(variants) == set(measure_readiness.VARIANTS)  # every subset of grades


def test_the_docs_table_is_the_measured_one() -> None:
    doc = (ROOT / "docs" / "calibration.md").read_text()
    table = measure_readiness._table(readiness.WITH_EXAMPLES, readiness.WITHOUT,
                                     readiness.MEASURED_ON)
    assert table in doc, f"docs/calibration.md is stale: {RE_MEASURE}"
    assert readiness.MEASURED_ON != "unmeasured"


def test_missing_examples_cost_agreement() -> None:
    """What the warning says is true of the measurement: without examples the scorer
    agrees less with the hand scores and ranks answers worse."""
    none = readiness.WITHOUT[("strong", "average", "weak")]
    assert none.within_one < readiness.WITH_EXAMPLES.within_one
    assert none.spearman < readiness.WITH_EXAMPLES.spearman
    text = readiness.consequence(["weak", "strong", "average"])
    assert text == (
        f"on the calibration set, answers scored on key points alone agreed with the hand"
        f" score within one point {none.within_one * 100:.0f}% of the time instead of"
        f" {readiness.WITH_EXAMPLES.within_one * 100:.0f}%, with rank correlation"
        f" {none.spearman:.2f} instead of {readiness.WITH_EXAMPLES.spearman:.2f}"
        " (docs/calibration.md)")


# ------------------------------------------------------------------ per question, mockflow test


def test_a_question_without_examples_is_not_calibrated() -> None:
    iv = load_interview(BACKEND).interview
    q = iv.question("sd-cache")
    stripped = dataclasses.replace(q, examples=Examples(strong=q.examples.strong))
    questions = tuple(stripped if x.id == q.id else x for x in iv.questions)
    iv = dataclasses.replace(iv, questions=questions,
                             questions_by_id={x.id: x for x in questions})
    [found] = [r for r in question_readiness(iv, [1, 2]) if r.id == "sd-cache"]
    assert not found.calibrated
    assert found.reason == "no average/weak examples: write them or run mockflow draft"


def test_graded_examples_that_order_the_personas_are_calibrated() -> None:
    iv = load_interview(BACKEND).interview
    [found] = [r for r in question_readiness(iv, range(1, 4)) if r.id == "sd-cache"]
    assert found.calibrated, found.reason
    assert found.means["strong"] > found.means["average"] > found.means["weak"]
    assert found.reason.startswith("strong ")


def test_examples_in_the_wrong_order_are_named() -> None:
    """Swap the strong and weak examples: the report says which step fails."""
    iv = load_interview(BACKEND).interview
    q = iv.question("sd-cache")
    swapped = dataclasses.replace(q, examples=Examples(
        strong=q.examples.weak, average=q.examples.average, weak=q.examples.strong))
    questions = tuple(swapped if x.id == q.id else x for x in iv.questions)
    iv = dataclasses.replace(iv, questions=questions,
                             questions_by_id={x.id: x for x in questions})
    [found] = [r for r in question_readiness(iv, [1, 2, 3]) if r.id == "sd-cache"]
    assert not found.calibrated
    assert found.misses == (1, 2, 3)
    assert found.reason.startswith("on every seed, the strong example scores no higher than"
                                   " the average one (")
    assert "the average example scores no higher than the weak one" in found.reason


def test_personas_say_their_example_and_what_they_held_back() -> None:
    iv = load_interview(BACKEND).interview
    q = iv.question("sd-cache")
    for seed in range(1, 6):
        turns = answer_turns(iv, q, "strong", seed)
        said = " ".join(turns)
        assert "keyed by product and currency" in said or "refill" in said
        assert 1 <= len(turns) <= 2


def test_mockflow_test_reports_every_question(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["test", str(BACKEND), "--seeds", "1", "--format", "json"])
    assert result.exit_code in (0, 1), result.stderr
    files = json.loads(result.stdout)["files"]
    questions = files[0]["questions"]
    iv = load_interview(BACKEND).interview
    assert [q["id"] for q in questions] == [q.id for q in iv.questions]
    assert all(set(q) == {"id", "calibrated", "reason", "means", "order_misses"}
               for q in questions)
    text = runner.invoke(app, ["test", str(BACKEND), "--seeds", "1"]).stdout
    good = sum(q["calibrated"] for q in questions)
    assert f"scoring calibrated for {good} of {len(questions)} questions" in text
    assert "    calibrated: " in text
    strict = runner.invoke(app, ["test", str(BACKEND), "--seeds", "1",
                                 "--require-calibrated"])
    if good < len(questions):
        assert strict.exit_code == 1
        assert "--require-calibrated:" in strict.stderr
