"""`results.store` in an interview file sends every transcript to that bucket: validate
warns (MF520, also a case file), `run` says where the files go before the interview
starts, and an s3:// `--results` that overrides the file's store is said out loud."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from test_console import clean_env

TIMEOUT = 180


def _interview(tmp_path: Path, store: str) -> Path:
    path = tmp_path / "backend.yaml"
    path.write_text((ROOT / "interviews" / "backend.yaml").read_text()
                    + f"\nresults:\n  store: {store}\n")
    return path


def _console(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**clean_env(), "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1"}
    return subprocess.run([sys.executable, "-m", "mockflow", "run", str(path), "--console",
                           "--offline", *extra], input="/quit\n", cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


def test_validate_warns_that_the_file_names_a_store(tmp_path: Path) -> None:
    path = _interview(tmp_path, "s3://someone-elses-bucket/x")
    proc = subprocess.run([sys.executable, "-m", "mockflow", "validate", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert "warning[MF520] results.store sends every session's files" in proc.stdout
    assert "s3://someone-elses-bucket/x" in proc.stdout


def test_console_says_where_the_files_go_before_the_interview(tmp_path: Path) -> None:
    path = _interview(tmp_path, "s3://acme-interviews/backend")
    results = tmp_path / "results"
    proc = _console(path, "--results", str(results))
    lines = proc.stdout.splitlines()
    where = next(i for i, line in enumerate(lines) if line.startswith("results: "))
    assert lines[where] == (f"results: {results.resolve()}, uploaded to"
                            " s3://acme-interviews/backend (the interview file's"
                            " results.store)")
    opening = next(i for i, line in enumerate(lines) if line.startswith("Alex: "))
    assert where < opening  # said before a single word of the interview


def test_an_overriding_store_is_said_out_loud(tmp_path: Path) -> None:
    path = _interview(tmp_path, "s3://acme-interviews/backend")
    proc = _console(path, "--results", "s3://other-bucket/here")
    assert ("mockflow: warning: the interview file's results.store"
            " s3://acme-interviews/backend is overridden by --results: sessions are uploaded"
            " to s3://other-bucket/here only") in proc.stderr
    where = next(line for line in proc.stdout.splitlines() if line.startswith("results: "))
    assert where.endswith(", uploaded to s3://other-bucket/here")
