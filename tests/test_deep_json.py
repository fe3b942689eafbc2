"""A session file nested 200,000 levels deep is one bad session, listed with its problem:
`sessions` lists the others, `report` names the file, and the queues skip such an entry
instead of stopping."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.format.validate import check_file
from mockflow.results.notify.webhook import DEAD_DIR, flush_outbox, outbox_dir
from mockflow.results.store.uploads import UploadQueue, flush_uploads
from mockflow.simulate.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
DEEP = "[" * 200_000 + "]" * 200_000
DEEP_OBJECT = '{"a":' * 200_000 + "1" + "}" * 200_000


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiled = check_file(str(ROOT / "interviews" / "backend.yaml")).compiled
    assert compiled is not None
    root = tmp_path_factory.mktemp("deep")
    return asyncio.run(simulate(compiled, "average", seed=3, results_root=root)
                       ).recorder.directory


@pytest.mark.parametrize("name", ["session.json", "scorecard.json"])
def test_a_deep_file_is_one_bad_session(tmp_path: Path, simulated: Path, name: str) -> None:
    root = tmp_path / "results"
    good = root / "backend-engineer" / "good"
    bad = root / "backend-engineer" / "bad"
    shutil.copytree(simulated, good)
    shutil.copytree(simulated, bad)
    (bad / name).write_text(DEEP_OBJECT)
    listed = runner.invoke(app, ["sessions", "--results", str(root), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["path"].split("/")[-1]: r for r in json.loads(listed.stdout)["sessions"]}
    assert set(rows) == {"good", "bad"}
    assert rows["good"]["problem"] is None
    assert f"{name} is damaged (nested more than" in rows["bad"]["problem"]
    report = runner.invoke(app, ["report", str(bad)])
    assert report.exit_code == 1
    assert f"{name}: nested more than" in report.stderr


def test_deep_lines_in_reviews_and_transcript_are_skipped_and_named(tmp_path: Path,
                                                                   simulated: Path) -> None:
    directory = tmp_path / "results" / "backend-engineer" / "s"
    shutil.copytree(simulated, directory)
    with (directory / "transcript.jsonl").open("a") as f:
        f.write(DEEP + "\n")
    (directory / "reviews.jsonl").write_text(DEEP + "\n" + json.dumps({
        "format": 1, "id": "rv-2", "at": "2026-11-29T12:00:00Z", "reviewer": "Kim",
        "scores": {}, "note": "after the damage"}) + "\n")
    report = runner.invoke(app, ["report", str(directory), "--format", "md"])
    assert report.exit_code == 0, report.output
    shown = report.stdout.replace("\\", "")  # as rendered: without Markdown's escapes
    assert "after the damage" in shown
    assert "line(s) of reviews.jsonl could not be read" in shown
    assert "transcript line(s) could not be read" in shown
    review = runner.invoke(app, ["review", str(directory), "--note", "still works"])
    assert review.exit_code == 0, review.output


def test_a_deep_outbox_item_is_buried_not_fatal(tmp_path: Path) -> None:
    outbox = outbox_dir(tmp_path)
    outbox.mkdir(parents=True)
    (outbox / "000000000000001-mf-deep.json").write_text(DEEP)
    report = asyncio.run(flush_outbox(tmp_path, env={}))
    assert report.dead == 1
    assert (outbox / DEAD_DIR / "000000000000001-mf-deep.json").exists()


def test_a_deep_upload_entry_is_dropped_not_fatal(tmp_path: Path) -> None:
    queue = UploadQueue(tmp_path)
    queue.inflight.mkdir(parents=True)
    (queue.directory / "deep.json").write_text(DEEP)
    result = flush_uploads(tmp_path, attempts=1)
    assert result.remaining == 0
