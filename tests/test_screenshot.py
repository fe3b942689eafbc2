"""The docs' screenshots: scripts/screenshot_report.py renders a simulated session's HTML
report and screenshots it in headless Chromium (skipped without it); scripts/
screenshot_join.py takes the candidate join page's states (docs/candidate.md)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(n)), None)


@pytest.mark.slow
@pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed (apt-get install -y"
                    " chromium); the screenshot script needs it")
def test_screenshot_script_renders_a_report(tmp_path: Path) -> None:
    out = tmp_path / "report.png"
    done = subprocess.run([sys.executable, "scripts/screenshot_report.py", "-o", str(out),
                           "--size", "900,700"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (900, 700)
    assert len(data) > 20_000  # a blank page compresses to a few kilobytes


def test_readme_shows_the_committed_screenshot() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "](docs/report.png)" in readme
    assert (ROOT / "docs" / "report.png").stat().st_size > 10_000


@pytest.mark.slow
def test_join_page_screenshots(tmp_path: Path) -> None:
    """scripts/screenshot_join.py: the join page before, in and after the interview."""
    from browser import require_browser

    require_browser()  # skips only without chromium and without MOCKFLOW_REQUIRE_BROWSER
    done = subprocess.run([sys.executable, "scripts/screenshot_join.py", "-o", str(tmp_path),
                           "--width", "800"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for stem in ("join-before", "join-mic", "join-call", "join-after"):
        data = (tmp_path / f"{stem}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width == 800 and height >= 500
        assert len(data) > 20_000, stem  # a blank page compresses to a few kilobytes


def test_candidate_doc_shows_the_committed_join_screenshots() -> None:
    doc = (ROOT / "docs" / "candidate.md").read_text()
    for stem in ("join-before", "join-mic", "join-call", "join-after"):
        assert f"]({stem}.png)" in doc
        assert (ROOT / "docs" / f"{stem}.png").stat().st_size > 10_000
