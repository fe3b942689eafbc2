"""``mockflow sessions`` and its SQLite index: newest first, filters, rebuilt after
deletion or corruption, consistent under two concurrent writers, interrupted sessions."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.results.files import SESSION_NAME, read_transcript, write_json_atomic
from mockflow.results.index import INDEX_NAME, SessionIndex, summarise

runner = CliRunner()


def _session(root: Path, interview: str, sid: str, *, started: str, status: str = "complete",
             name: str | None = "Sam", overall: float | None = 3.0) -> Path:
    directory = root / interview / sid
    directory.mkdir(parents=True)
    write_json_atomic(directory / SESSION_NAME, {
        "session_id": sid, "interview": {"ref": f"{interview}@sha256:{'0' * 64}",
                                         "id": interview, "title": interview},
        "candidate": {"name": name, "identity": None, "attributes": {}},
        "status": status, "started_at": started, "kind": "console"})
    write_json_atomic(directory / "scorecard.json", {
        "interview": f"{interview}@sha256:{'0' * 64}", "overall": {"score": overall},
        "competencies": [{"id": "c1", "score": overall, "weight": 1.0}],
        "questions": [], "review": ["check this"]})
    (directory / "transcript.jsonl").write_text("")
    return directory


def _writer(root: str, tag: str, n: int) -> None:
    for i in range(n):
        directory = _session(Path(root), "iv", f"{tag}-{i:03d}",
                             started=f"2026-11-29T10:{i % 60:02d}:00.000Z")
        with SessionIndex(Path(root)) as index:
            index.update(directory)


def test_newest_first_and_filters(tmp_path: Path) -> None:
    _session(tmp_path, "backend", "a", started="2026-11-01T09:00:00.000Z")
    _session(tmp_path, "backend", "b", started="2026-11-20T09:00:00.000Z", status="dropped")
    _session(tmp_path, "frontend", "c", started="2026-11-10T09:00:00.000Z")
    with SessionIndex(tmp_path) as index:
        assert [r.session_id for r in index.query()] == ["b", "c", "a"]
        assert [r.session_id for r in index.query(interview="backend")] == ["b", "a"]
        assert [r.session_id for r in index.query(since="2026-11-05")] == ["b", "c"]
        assert [r.session_id for r in index.query(status="dropped")] == ["b"]
    result = runner.invoke(app, ["sessions", "--results", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [s["session_id"] for s in doc["sessions"]] == ["b", "c", "a"]
    assert doc["sessions"][0]["flags"] == ["check this"]
    text = runner.invoke(app, ["sessions", "--results", str(tmp_path), "--since",
                               "2026-11-05"])
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split()[:3] == ["DATE", "CANDIDATE", "INTERVIEW"]
    assert "2026-11-20 09:00" in lines[1] and "dropped" in lines[1]
    assert lines[-1] == f"2 sessions in {tmp_path}"


def test_index_is_rebuilt_after_deletion_and_corruption(tmp_path: Path) -> None:
    for i in range(3):
        _session(tmp_path, "iv", f"s{i}", started=f"2026-11-2{i}T09:00:00.000Z")
    with SessionIndex(tmp_path) as index:
        assert len(index.query()) == 3
    shutil.rmtree(tmp_path / "iv" / "s1")
    with SessionIndex(tmp_path) as index:
        assert [r.session_id for r in index.query()] == ["s2", "s0"]
    (tmp_path / INDEX_NAME).unlink()
    with SessionIndex(tmp_path) as index:
        assert [r.session_id for r in index.query()] == ["s2", "s0"]
    (tmp_path / INDEX_NAME).write_bytes(b"not a database" * 100)
    with SessionIndex(tmp_path) as index:
        assert [r.session_id for r in index.query()] == ["s2", "s0"]
    (tmp_path / INDEX_NAME).unlink()
    (tmp_path / INDEX_NAME).mkdir()  # can't be replaced: the listing works from memory
    with SessionIndex(tmp_path) as index:
        assert [r.session_id for r in index.query()] == ["s2", "s0"]
    (tmp_path / INDEX_NAME).rmdir()
    # a changed file is re-read (the files are the source of truth)
    session = json.loads((tmp_path / "iv" / "s0" / SESSION_NAME).read_text())
    session["status"] = "time_up"
    write_json_atomic(tmp_path / "iv" / "s0" / SESSION_NAME, session)
    with SessionIndex(tmp_path) as index:
        assert index.query(status="time_up")[0].session_id == "s0"
    assert (tmp_path / INDEX_NAME).stat().st_mode & 0o777 == 0o600
    db = sqlite3.connect(tmp_path / INDEX_NAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_two_concurrent_writers_both_land(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), tag, 40)) for tag in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    with SessionIndex(tmp_path) as index:
        stored = index.db.execute("SELECT count(*) FROM sessions").fetchone()[0]
        assert stored == 80  # every writer's rows, before any refresh
        rows = index.query()
    assert len(rows) == 80
    fresh = {r.path: summarise(tmp_path, tmp_path / r.path) for r in rows}
    assert {r.path: r for r in rows} == fresh


def test_a_killed_console_session_is_listed_as_interrupted(tmp_path: Path) -> None:
    """SIGKILL mid-interview: nothing can run, yet the session is listed as interrupted
    (its writer lock is gone while session.json still says running), with its turns."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockflow", "run", str(ROOT / "interviews" / "backend.yaml"),
         "--console", "--offline", "--results", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=ROOT)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("Yes, ready.\n")
        proc.stdin.flush()
        seen = ""
        while "[question 1" not in seen:  # the first question is on screen
            line = proc.stdout.readline()
            assert line, "the console ended early"
            seen += line
        running = runner.invoke(app, ["sessions", "--results", str(tmp_path), "--format",
                                      "json"])
        assert [s["status"] for s in json.loads(running.stdout)["sessions"]] == ["running"]
    finally:
        proc.kill()
        proc.wait(timeout=60)
        proc.stdin.close()
        proc.stdout.close()
    result = runner.invoke(app, ["sessions", "--results", str(tmp_path), "--format", "json"])
    (row,) = json.loads(result.stdout)["sessions"]
    assert row["status"] == "interrupted"
    directory = tmp_path / row["path"]
    assert json.loads((directory / SESSION_NAME).read_text())["status"] == "running"
    said = [t["text"] for t in read_transcript(directory / "transcript.jsonl")]
    assert "Yes, ready." in said
    text = runner.invoke(app, ["sessions", "--results", str(tmp_path), "--status",
                               "interrupted"])
    assert "interrupted" in text.stdout and row["path"] in text.stdout


def test_bad_options_exit_2(tmp_path: Path) -> None:
    for args, message in [(["--since", "yesterday"], "is not a date"),
                          (["--status", "finished"], "is not a status"),
                          ([], "no results directory")]:
        target = tmp_path if args else tmp_path / "missing"
        result = runner.invoke(app, ["sessions", "--results", str(target), *args])
        assert result.exit_code == 2 and message in result.stderr, result.output
