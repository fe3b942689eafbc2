"""The results store as the reading commands see it, against a real S3-protocol server
(moto) on loopback: hostile keys are refused and never followed, `sessions` reads an
s3:// store instead of silently listing ./results, a review of a synced session goes back
to the store, and a deeply nested object is one bad object, not the end of the sync."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.s3_server import S3Server
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.format.validate import check_file
from mockflow.results.store.sync import StoreCorrupt, cache_directory, resolve_results
from mockflow.results.store.uploads import flush_uploads
from mockflow.simulate.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.fixture
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
       ) -> Iterator[S3Server]:
    bucket = "seam-" + request.node.name.replace("_", "-")[-40:].strip("-").lower()
    server = S3Server(bucket)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_REGION",
                 "MOCKFLOW_RESULTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**server.env(tmp_path), "MOCKFLOW_CACHE": str(tmp_path / "cache")
                        }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # a ./results here would be the wrong thing to list
    yield server
    server.stop()


def _stored_session(s3: S3Server, tmp_path: Path) -> str:
    """A simulated session, written by a worker with the store and uploaded."""
    compiled = check_file(str(ROOT / "interviews" / "backend.yaml")).compiled
    assert compiled is not None
    worker = tmp_path / "worker-results"
    outcome = asyncio.run(simulate(compiled, "average", seed=3, results_root=worker,
                                   store=s3.spec()))
    assert flush_uploads(worker).remaining == 0
    return outcome.recorder.session_id


def _files_under(path: Path) -> set[str]:
    return {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}


# ---------------------------------------------------------------------- hostile keys


def test_keys_that_leave_the_cache_are_refused_and_reported(s3: S3Server, tmp_path: Path
                                                           ) -> None:
    _stored_session(s3, tmp_path)
    hostile = ["team/../undated/../ESCAPED.json", "team/x/undated/../../../ESCAPED2.json",
               "team//etc/undated/s/ESCAPED3.json", "team/iv\\..\\..\\undated/s/ESCAPED4.json",
               "team/iv/2026-01-01//ESCAPED5.json"]
    for key in hostile:
        s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"{}")
    cache_root = tmp_path / "cache"
    before = _files_under(tmp_path)
    with pytest.raises(StoreCorrupt) as info:
        resolve_results(s3.spec())
    copy = info.value.directory
    messages = [str(p) for p in info.value.problems]
    assert len(messages) == len(hostile), messages
    assert all("in the results store is refused: its key" in m for m in messages), messages
    assert any("'.' or '..' part" in m for m in messages)
    assert any("backslash" in m for m in messages)
    assert any("empty part" in m for m in messages)
    # nothing landed outside the store's own copy (in particular not in another's)
    outside = {f for f in _files_under(tmp_path) - before
               if not (tmp_path / f).is_relative_to(copy)}
    assert outside == set(), outside
    assert not list(cache_root.rglob("ESCAPED*"))
    # the real session was synced all the same
    assert any(p.name == "scorecard.json" for p in copy.rglob("*"))
    result = runner.invoke(app, ["results", "sync", "--results", s3.spec()])
    assert result.exit_code == 1
    assert "ESCAPED.json' in the results store is refused" in result.stderr


def test_a_deeply_nested_object_is_one_bad_object(s3: S3Server, tmp_path: Path) -> None:
    session_id = _stored_session(s3, tmp_path)
    key = next(k for k in s3.keys() if k.endswith("/session.json"))
    s3.client.put_object(Bucket=s3.bucket, Key=key.replace(session_id, session_id[:-1] + "f"),
                         Body=DEEP)
    with pytest.raises(StoreCorrupt) as info:
        resolve_results(s3.spec())
    assert len(info.value.problems) == 1
    assert "nested more than" in str(info.value.problems[0])
    assert any(p.name == "transcript.jsonl" for p in info.value.directory.rglob("*"))


# ---------------------------------------------------------------------- reading commands


def test_sessions_reads_an_s3_store_not_the_local_directory(s3: S3Server, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    session_id = _stored_session(s3, tmp_path)
    (tmp_path / "results" / "local-only" / "s1").mkdir(parents=True)  # must not be listed
    result = runner.invoke(app, ["sessions", "--results", s3.spec(), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [s["session_id"] for s in doc["sessions"]] == [session_id]
    assert doc["results"] == str(cache_directory(s3.spec()))
    monkeypatch.setenv("MOCKFLOW_RESULTS", s3.spec())
    by_env = runner.invoke(app, ["sessions", "--format", "json"])
    assert by_env.exit_code == 0, by_env.output
    assert [s["session_id"] for s in json.loads(by_env.stdout)["sessions"]] == [session_id]


def test_a_store_that_cannot_be_read_is_an_error_not_an_empty_list(
        s3: S3Server, tmp_path: Path) -> None:
    s3.stop()
    result = runner.invoke(app, ["sessions", "--results", s3.spec()])
    assert result.exit_code == 2
    assert f"listing {s3.spec()}" in result.stderr


def test_a_review_of_a_synced_session_is_uploaded(s3: S3Server, tmp_path: Path) -> None:
    _stored_session(s3, tmp_path)
    listed = runner.invoke(app, ["sessions", "--results", s3.spec(), "--format", "json"])
    row = json.loads(listed.stdout)["sessions"][0]
    directory = cache_directory(s3.spec()) / row["path"]
    result = runner.invoke(app, ["review", str(directory), "--note", "Checked the design."])
    assert result.exit_code == 0, result.output
    key = next(k for k in s3.keys() if k.endswith("/reviews.jsonl"))
    assert b"Checked the design." in s3.body(key)
    # another machine syncing the store sees it
    other = tmp_path / "elsewhere"
    os.environ["MOCKFLOW_CACHE"] = str(other)
    try:
        again = runner.invoke(app, ["sessions", "--results", s3.spec(), "--format", "json"])
    finally:
        os.environ["MOCKFLOW_CACHE"] = str(tmp_path / "cache")
    assert json.loads(again.stdout)["sessions"][0]["reviews"] == 1


def test_a_review_while_the_store_is_down_is_kept_and_says_so(s3: S3Server, tmp_path: Path
                                                              ) -> None:
    _stored_session(s3, tmp_path)
    listed = runner.invoke(app, ["sessions", "--results", s3.spec(), "--format", "json"])
    directory = cache_directory(s3.spec()) / json.loads(listed.stdout)["sessions"][0]["path"]
    s3.stop()
    result = runner.invoke(app, ["review", str(directory), "--note", "Offline review."])
    assert result.exit_code == 1
    assert "recorded" in result.stdout and "not uploaded to" in result.stderr
    assert "mockflow results flush --results s3://" in result.stderr
    s3.restart()
    # a sync before the upload keeps the local review (it is still queued)
    resolve_results(s3.spec())
    assert "Offline review." in (directory / "reviews.jsonl").read_text()
    flushed = runner.invoke(app, ["results", "flush", "--results", s3.spec()])
    assert flushed.exit_code == 0, flushed.output
    key = next(k for k in s3.keys() if k.endswith("/reviews.jsonl"))
    assert b"Offline review." in s3.body(key)


@pytest.mark.parametrize("command", [["report"], ["review", "--note", "x"], ["rescore"]])
def test_session_commands_refuse_a_store_url(command: list[str]) -> None:
    url = "s3://acme-interviews/team/backend-engineer/2026-11-24/20261124T121212Z-1a2b3c"
    result = runner.invoke(app, [command[0], url, *command[1:]])
    assert result.exit_code == 2, result.output
    assert "reads a session directory, not the store URL s3://acme-interviews/team/" \
        in result.stderr
    assert "mockflow sessions --results s3://" in result.stderr


@pytest.mark.parametrize("command", [["simulate", "interviews/backend.yaml", "--persona",
                                      "strong"], ["test", "interviews/backend.yaml"]])
def test_simulations_refuse_a_store_as_their_directory(command: list[str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, [*command, "--results", "s3://acme-interviews/sims"])
    assert result.exit_code == 2, result.output
    assert "simulations are written to a local directory, not to the store" in result.stderr
    assert not (ROOT / "s3:").exists()
