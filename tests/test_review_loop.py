"""The reviewer's loop (issue 26): ``mockflow review`` overrides a question's score as well
as a competency's and resolves review flags with a note; every report shows what was
overridden or resolved, by whom and why, and the scorecard itself never changes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.format.templates import Candidate
from mockflow.format.validate import check_file
from mockflow.results.files import SCORECARD_NAME
from mockflow.results.reviews import REVIEWS_NAME
from mockflow.simulate.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
FLAG = {"flag": "needs a human read",
        "detail": "long, on-topic answer (90 words) that matches no key point, scored 1"}


@pytest.fixture
def session(tmp_path: Path) -> Path:
    compiled = check_file(str(ROOT / "interviews" / "backend.yaml")).compiled
    assert compiled is not None
    done = asyncio.run(simulate(compiled, "average", seed=5, results_root=tmp_path,
                                candidate=Candidate(name="Robin")))
    directory = done.recorder.directory
    path = directory / SCORECARD_NAME
    card = json.loads(path.read_text(encoding="utf-8"))
    q = card["questions"][0]
    q["review"].append(FLAG)
    card["review"].insert(0, {"number": q["number"], "question": q["id"], **FLAG})
    path.write_text(json.dumps(card), encoding="utf-8")
    return directory


def review(directory: Path, *args: str) -> str:
    result = runner.invoke(app, ["review", str(directory), "--reviewer", "Kim", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_question_override_is_shown_in_every_format(session: Path) -> None:
    before = (session / SCORECARD_NAME).read_text(encoding="utf-8")
    card = json.loads(before)
    q = card["questions"][0]
    review(session, "--question", f"{q['id']}=5", "--note", "Plain words, but all there.")
    assert (session / SCORECARD_NAME).read_text(encoding="utf-8") == before  # unchanged
    line = json.loads((session / REVIEWS_NAME).read_text().splitlines()[0])
    assert line["questions"] == {str(q["number"]): 5.0}
    viewed = json.loads(runner.invoke(app, ["report", str(session), "--format", "json"]).stdout)
    shown = viewed["questions"][0]["reviewed"]
    assert shown["raw_score"] == 5 and shown["reviewer"] == "Kim"
    assert shown["note"] == "Plain words, but all there."
    assert shown["score"] == min(5, 5 + q["adjustment"] - q["hint_penalty"])
    comp = next(c for c in viewed["competencies"] if c["id"] == q["competency"])
    assert comp["reviewed"]["basis"] == "question scores"
    assert viewed["reviewed_overall"] is not None
    md = runner.invoke(app, ["report", str(session), "--format", "md"]).stdout
    assert "reviewer's score: 5 (counts" in md and "by Kim" in md
    assert "Plain words, but all there." in md
    html = runner.invoke(app, ["report", str(session)]).stdout
    assert "reviewer: 5 (counts" in html and "Kim" in html


def test_resolving_a_flag_needs_a_note_and_is_shown_with_who_and_why(session: Path) -> None:
    number = json.loads((session / SCORECARD_NAME).read_text())["questions"][0]["number"]
    refused = runner.invoke(app, ["review", str(session), "--resolve", str(number)])
    assert refused.exit_code == 1 and "needs a --note" in refused.stderr
    unknown = runner.invoke(app, ["review", str(session), "--resolve", f"{number}:nope",
                                  "--note", "x"])
    assert unknown.exit_code == 1 and "has no flag 'nope'" in unknown.stderr
    assert "needs a human read" in unknown.stderr  # names the flags it has
    assert not (session / REVIEWS_NAME).exists()
    review(session, "--resolve", f"{number}:needs a human read", "--note",
           "Read it: a good answer in plain words.")
    viewed = json.loads(runner.invoke(app, ["report", str(session), "--format", "json"]).stdout)
    [flag] = [f for f in viewed["questions"][0]["review"] if f["flag"] == FLAG["flag"]]
    assert flag["resolved"]["reviewer"] == "Kim"
    assert flag["resolved"]["note"] == "Read it: a good answer in plain words."
    assert viewed["review"][0]["resolved"]["reviewer"] == "Kim"
    md = runner.invoke(app, ["report", str(session), "--format", "md"]).stdout
    assert "(resolved by Kim" in md and "a good answer in plain words" in md
    html = runner.invoke(app, ["report", str(session)]).stdout
    assert "resolved by Kim" in html
