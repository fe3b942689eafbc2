"""The README's report screenshot: scripts/screenshot_report.py renders a simulated
session's HTML report and screenshots it in headless Chromium (skipped without it)."""

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
