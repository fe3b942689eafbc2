"""A full disk and special files: `review`, the transcript and the scorecard fail loudly
with a typed error and lose nothing already written; `report -o` writes through a FIFO,
a device or a link and never renames over it.

The disk-full cases run on a real, small tmpfs (mounted here as root: CI runs as root;
skipped only where mounting is impossible) and, everywhere, on injected short writes.
These tests use only interfaces that existed before the fix, so they run (and fail) on
the old code too."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import shutil
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.format.validate import check_file
from mockflow.results.files import ResultsError, SessionRecorder, read_transcript_report
from mockflow.results.load import load_session
from mockflow.simulate.runner import simulate

runner = CliRunner()
BACKEND = ROOT / "interviews" / "backend.yaml"


# ---------------------------------------------------------------------- fixtures


@contextlib.contextmanager
def small_disk(where: Path, size: str = "256k") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (root only; skipped where mounting is
    impossible, e.g. an unprivileged container)."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700",
                              "tmpfs", str(where)], capture_output=True, text=True,
                             check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def fill(directory: Path, leave: int = 0) -> Path:
    """Fill the filesystem of ``directory`` until at most ``leave`` bytes are free."""
    ballast = directory / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while True:
            free = os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize
            if free <= leave:
                break
            try:
                os.write(fd, b"\0" * min(65536, max(1, free - leave)))
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
    finally:
        os.close(fd)
    return ballast


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiled = check_file(str(BACKEND)).compiled
    assert compiled is not None
    root = tmp_path_factory.mktemp("simulated")
    outcome = asyncio.run(simulate(compiled, "average", seed=3, results_root=root))
    return outcome.recorder.directory


def copy_session(source: Path, root: Path) -> Path:
    target = root / source.parent.name / source.name
    shutil.copytree(source, target)
    return target


class ShortWrites:
    """``os.write`` as a nearly full disk does it: ``budget`` bytes in total go through
    (the last write partially), then ENOSPC."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.real = os.write

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if self.budget <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = self.real(fd, bytes(data)[: self.budget])
        self.budget -= n
        return n


# ---------------------------------------------------------------------- a full disk


def test_review_on_a_full_disk_fails_loudly_and_loses_nothing(
        tmp_path: Path, simulated: Path) -> None:
    """`review --note <long>` on a nearly full disk used to print "recorded", exit 0 and
    leave a torn line that broke every later review and report of the session."""
    with small_disk(tmp_path / "disk", "512k") as disk:
        directory = copy_session(simulated, disk / "results")
        ok = runner.invoke(app, ["review", str(directory), "--note", "first look",
                                 "--reviewer", "Kim"])
        assert ok.exit_code == 0, ok.output
        ballast = fill(disk, leave=4096)
        note = "long note " * 1900  # 19,000 characters: more than is free
        full = runner.invoke(app, ["review", str(directory), "--note", note])
        assert full.exit_code == 1, full.output
        assert "recorded" not in full.stdout
        assert "disk is full" in full.stderr, full.stderr
        assert "reviews.jsonl" in full.stderr
        assert [r.note for r in load_session(directory).reviews] == ["first look"]
        ballast.unlink()
        again = runner.invoke(app, ["review", str(directory), "--note", "after"])
        assert again.exit_code == 0, again.output
        assert [r.note for r in load_session(directory).reviews] == ["first look", "after"]
        report = runner.invoke(app, ["report", str(directory), "--format", "md"])
        assert report.exit_code == 0 and "after" in report.stdout


def test_a_transcript_on_a_full_disk_keeps_every_turn_written(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "256k") as disk:
        recorder = SessionRecorder(disk / "results", "iv", "20261124T121212Z-abcdef")
        recorder.append_turn("candidate", "before the disk filled")
        ballast = fill(disk, leave=2048)
        with pytest.raises(ResultsError, match="disk is full"):
            recorder.append_turn("candidate", "lost " * 2000)
        assert recorder.write_error is not None and "disk is full" in recorder.write_error
        ballast.unlink()
        recorder.append_turn("candidate", "after space came back")
        recorder.write_session({"status": "complete", "error": None})
        recorder.close()
        turns, skipped = read_transcript_report(recorder.transcript_path)
        assert [t["text"] for t in turns] == ["before the disk filled",
                                              "after space came back"]
        assert skipped == []
        session = json.loads(recorder.session_path.read_text())
        assert session["status"] == "error"
        assert "disk is full" in session["error"] and "transcript.jsonl" in session["error"]


def test_a_scorecard_on_a_full_disk_leaves_the_old_one_whole(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "256k") as disk:
        recorder = SessionRecorder(disk / "results", "iv", "20261124T121212Z-abcdef")
        recorder.write_scorecard({"overall": {"score": 3}})
        ballast = fill(disk, leave=1024)
        with pytest.raises(ResultsError, match="disk is full"):
            recorder.write_scorecard({"overall": {"score": 4}, "pad": "x" * 50_000})
        assert json.loads(recorder.scorecard_path.read_text()) == {"overall": {"score": 3}}
        assert sorted(p.name for p in recorder.directory.iterdir()
                      if p.name.endswith(".tmp")) == []
        ballast.unlink()
        recorder.close()


def test_short_writes_in_a_session_file_never_glue_turns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The injected version of the tmpfs case, for machines that can't mount one."""
    recorder = SessionRecorder(tmp_path, "iv", "20261124T121212Z-abcdef")
    recorder.append_turn("candidate", "one")
    monkeypatch.setattr(os, "write", ShortWrites(40))
    with pytest.raises(ResultsError, match="disk is full"):
        recorder.append_turn("candidate", "two " * 100)
    monkeypatch.undo()
    recorder.append_turn("candidate", "three")
    recorder.close()
    turns, skipped = read_transcript_report(recorder.transcript_path)
    assert [t["text"] for t in turns] == ["one", "three"] and skipped == []


# ---------------------------------------------------------------------- report -o


@pytest.fixture
def report_source(tmp_path: Path, simulated: Path) -> Path:
    return copy_session(simulated, tmp_path / "results")


def test_report_output_to_a_fifo_is_written_through(tmp_path: Path,
                                                    report_source: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = runner.invoke(app, ["report", str(report_source), "--format", "md",
                                 "-o", str(fifo)])
    reader.join(30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO, not a regular file
    assert got and got[0].startswith(b"# ")


def test_report_output_through_a_symlink_keeps_the_link(tmp_path: Path,
                                                        report_source: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    result = runner.invoke(app, ["report", str(report_source), "--format", "md",
                                 "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("# ")


def test_report_output_to_a_character_device_is_not_replaced(tmp_path: Path,
                                                             report_source: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    result = runner.invoke(app, ["report", str(report_source), "--format", "md",
                                 "-o", str(null)])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_report_output_refuses_a_directory_and_a_dangling_link(tmp_path: Path,
                                                               report_source: Path) -> None:
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    for target, words in ((tmp_path, "Is a directory"),
                          (dangling, "symbolic link to a file that does not exist")):
        result = runner.invoke(app, ["report", str(report_source), "-o", str(target)])
        assert result.exit_code == 2, result.output
        assert words in result.stderr and str(target) in result.stderr
    assert dangling.is_symlink() and not (tmp_path / "nowhere").exists()
