"""The durable-write helpers (``results/durable.py``): whole or a typed error, private,
torn appends cut back and never glued to the next record, directory fsync failures
raised, and no other module of the package writing result files itself."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

import pytest
from conftest import ROOT
from test_disk_full import ShortWrites

from mockflow.results import durable
from mockflow.results.files import read_transcript_report
from mockflow.results.scoring_files import read_jsonl

# ---------------------------------------------------------------------- the helpers


def test_short_writes_are_continued_until_complete(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data)[:7]))
    durable.replace_atomic(tmp_path / "a.json", b"x" * 100)
    durable.append(tmp_path / "b.jsonl", b"y" * 50 + b"\n")
    assert (tmp_path / "a.json").read_bytes() == b"x" * 100
    assert (tmp_path / "b.jsonl").read_bytes() == b"y" * 50 + b"\n"


def test_a_write_that_makes_no_progress_fails(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "write", lambda fd, data: 0)
    with pytest.raises(durable.DurableWriteError, match="disk is full") as caught:
        durable.replace_atomic(tmp_path / "a.json", b"{}")
    assert caught.value.disk_full
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_a_torn_append_is_cut_back_and_the_next_one_is_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log.jsonl"
    durable.append(path, b'{"n": 1}\n')
    monkeypatch.setattr(os, "write", ShortWrites(5))
    with pytest.raises(durable.DurableWriteError, match=r"disk is full \(5 of 10 bytes"):
        durable.append(path, b'{"n": 22}\n')
    monkeypatch.undo()
    assert path.read_bytes() == b'{"n": 1}\n'  # the partial record was cut back off
    durable.append(path, b'{"n": 3}\n')
    assert read_jsonl(path) == [{"n": 1}, {"n": 3}]


def test_an_append_after_a_crash_mid_record_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": 2, "text": "cut o')  # a crash mid-write
    durable.append(path, b'{"n": 3}\n')
    records, skipped = read_transcript_report(path)
    assert records == [{"n": 1}, {"n": 3}]
    assert [s.line for s in skipped] == [2]


def test_directory_fsync_failure_is_raised_not_swallowed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(durable.DurableWriteError, match="cannot fsync the directory"):
        durable.replace_atomic(tmp_path / "a.json", b"{}")


def test_files_and_directories_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        durable.private_dir(tmp_path / "a" / "b")
        durable.replace_atomic(tmp_path / "a" / "b" / "x.json", b"{}")
        durable.append(tmp_path / "a" / "b" / "y.jsonl", b"{}\n")
        durable.create_new(tmp_path / "a" / "b" / "z.yaml", b"x")
    finally:
        os.umask(old)
    for d in (tmp_path / "a", tmp_path / "a" / "b"):
        assert d.stat().st_mode & 0o777 == 0o700
    for name in ("x.json", "y.jsonl", "z.yaml"):
        assert (tmp_path / "a" / "b" / name).stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        durable.create_new(tmp_path / "a" / "b" / "z.yaml", b"other")
    assert (tmp_path / "a" / "b" / "z.yaml").read_bytes() == b"x"


WRITES = re.compile(r"\bos\.(write|pwrite|writev|replace|rename|fsync|fdatasync|ftruncate|"
                    r"link)\s*\(|\.(write_text|write_bytes)\s*\(|\bshutil\.(copy|move)")


def test_only_durable_writes_result_files() -> None:
    """Every write of a result file goes through ``results/durable.py``: no other module
    of the package calls the low-level calls itself (the grep sees a planted one)."""
    def offenders(package: Path) -> list[str]:
        found = []
        for path in sorted(package.rglob("*.py")):
            rel = path.relative_to(package.parent).as_posix()
            if rel == "mockflow/results/durable.py":
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if WRITES.search(code) and not code.lstrip().startswith(('"', "'")):
                    found.append(f"{rel}:{number}: {line.strip()}")
        return found

    # the JUnit report of `mockflow test` is a test-run artefact, not a result file
    allowed = {"mockflow/cli/simulate.py"}
    assert [o for o in offenders(ROOT / "mockflow") if o.split(":")[0] not in allowed] == []


def test_the_grep_sees_a_planted_write(tmp_path: Path) -> None:
    planted = "    os.write(fd, data)\n"
    assert WRITES.search(planted)
    assert WRITES.search("path.write_text(text)")
    assert not WRITES.search("durable.write_all(fd, data, path)")


