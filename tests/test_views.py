"""Every view of a session agrees on its current scores: `sessions`, `report` and the
webhook payloads (`session.reviewed`, `session.rescored`) all show the newest scorecard
version with the reviews applied."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.format.validate import check_file
from mockflow.results.notify.events import summary
from mockflow.simulate.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiled = check_file(str(ROOT / "interviews" / "backend.yaml")).compiled
    assert compiled is not None
    root = tmp_path_factory.mktemp("views")
    return asyncio.run(simulate(compiled, "average", seed=3, results_root=root)
                       ).recorder.directory


def _rescored(card: dict[str, Any]) -> dict[str, Any]:
    """A second version with different scores (what `rescore` writes beside the first)."""
    new = json.loads(json.dumps(card))
    low, high = new["scale"]["min"], new["scale"]["max"]
    for c in new["competencies"]:
        c["score"] = high if c.get("score") != high else low
    new["overall"]["score"] = 4.44
    return new


def _sessions_row(root: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["sessions", "--results", str(root), "--format", "json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)["sessions"]
    return dict(row)


def test_sessions_report_and_payloads_agree_after_rescore_and_review(
        tmp_path: Path, simulated: Path) -> None:
    root = tmp_path / "results"
    directory = root / simulated.parent.name / simulated.name
    shutil.copytree(simulated, directory)
    first = json.loads((directory / "scorecard.json").read_text())
    assert _sessions_row(root)["overall"] == first["overall"]["score"]  # indexed now
    second = _rescored(first)
    (directory / "scorecard.v2.json").write_text(json.dumps(second))
    row = _sessions_row(root)
    assert row["overall"] == 4.44  # the index saw the new version, and shows it
    competency = second["competencies"][0]
    review = runner.invoke(app, ["review", str(directory), "--score",
                                 f"{competency['id']}={second['scale']['min']}"])
    assert review.exit_code == 0, review.output
    weights = {c["id"]: c["weight"] for c in second["competencies"]}
    scores = {c["id"]: c["score"] for c in second["competencies"]
              if c.get("score") is not None}
    scores[competency["id"]] = second["scale"]["min"]
    expected = round(sum(scores[c] * weights[c] for c in scores)
                     / sum(weights[c] for c in scores), 2)
    row = _sessions_row(root)
    assert (row["overall"], row["reviewed_overall"]) == (4.44, expected)
    payload = summary(root, directory)["scorecard"]
    assert payload["overall"] == 4.44 and payload["reviewed_overall"] == expected
    assert [c["score"] for c in payload["competencies"]] == \
        [c["score"] for c in second["competencies"]]
    assert payload["competencies"][0]["reviewed"] == second["scale"]["min"]
    assert payload["review_flags"] == len(row["flags"])
    md = runner.invoke(app, ["report", str(directory), "--format", "md"])
    assert md.exit_code == 0, md.output
    assert "Overall: **4.44**/" in md.stdout
    assert f"With reviewer scores: **{expected:g}**" in md.stdout
