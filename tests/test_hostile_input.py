"""The 'bad input' list of the foundation issue: each → exit 1, a located message, no
traceback, bounded time (10 s hang guard, not a timed test) and memory (< 200 MiB)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HOSTILE: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "MF009"),
    "whitespace-only": (b"   \n\n# just a comment\n", "MF009"),
    "top-level-list": (b"- mockflow: 1\n- id: x\n", "MF009"),
    "top-level-scalar": (b"hello world\n", "MF009"),
    "binary": (bytes(range(256)) * 4, "MF002"),
    "latin-1": ("mockflow: 1\ntitle: Caf\u00e9 lead\n".encode("latin-1"), "MF002"),
    "utf-16": ("mockflow: 1\n".encode("utf-16"), "MF002"),
    "tabs": (b"mockflow: 1\nrole:\n\ttitle: x\n", "MF001"),
    "unclosed-quote": (b'mockflow: 1\ntitle: "Backend\nid: x\n', "MF001"),
    "python-tag": (b"mockflow: 1\nid: !!python/object/apply:os.system [echo hi]\n", "MF005"),
    "billion-laughs": (
        b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        b"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        b"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n",
        "MF006",
    ),
    "deep-brackets": (b"[" * 100_000, "MF011"),
    "deep-mappings": (b"".join(b"  " * i + b"k:\n" for i in range(200)), "MF011"),
    "duplicate-keys": (b"mockflow: 1\nid: a\nid: b\n", "MF004"),
    "merge-key": (b"base: {a: 1}\nother:\n  <<: {a: 2}\n", "MF007"),
    "two-documents": (b"mockflow: 1\n---\nmockflow: 1\n", "MF008"),
    "nul-byte": (b"mockflow: 1\nid: a\x00b\n", "MF001"),
    "huge": (b"a: " + b"x" * (3 * 1024 * 1024) + b"\n", "MF003"),
}

_PROBE = r"""
import json, sys
from mockflow.cli import app
try:
    app(["validate", "--format", "json", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
# VmHWM is the peak of this program's own memory; ru_maxrss would include the peak of
# the (possibly large) test process this one was forked from.
status = open("/proc/self/status").read()
rss = int(status.split("VmHWM:")[1].split()[0]) / 1024
sys.stderr.write(json.dumps({"exit": code, "rss_mib": rss}) + "\n")
"""


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_a_located_problem(name: str, tmp_path: Path) -> None:
    raw, code = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(raw)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        capture_output=True,
        timeout=60,  # hang guard only (a busy machine starts Python slowly)
    )
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    stats = json.loads(proc.stderr.decode().strip().splitlines()[-1])
    assert stats["exit"] == 1
    assert stats["rss_mib"] < 200, f"{name} used {stats['rss_mib']:.0f} MiB"
    report = json.loads(proc.stdout)
    problems = report["files"][0]["problems"]
    assert problems, "expected at least one problem"
    first = problems[0]
    assert first["code"] == code, problems
    assert first["line"] >= 1 and first["column"] >= 1
    assert len(first["message"]) > 20


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mockflow", "validate", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr and "nope.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_directory_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mockflow", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr
